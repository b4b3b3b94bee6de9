"""What to send for one delivery, and what QuickBooks' answer means: a small state machine.

A delivery goes through one or more steps, each one request and one response:

* ``add`` — the record's ``*Add``. Before it is sent, a flag ``maybe-added:<kind>:<id>`` is put
  in the connection's state and it is cleared when the answer arrives. A flag still there when the
  delivery comes round again means an earlier answer was lost, so a ``probe`` goes first.
* ``probe`` — query by name (lists) or reference number plus our memo marker (transactions): found
  means the add did happen; the delivery completes without adding a duplicate.
* ``mod`` — the ``*Mod`` with the stored EditSequence; 3200 (stale) leads to ``refresh``.
* ``refresh`` — query by ListID/TxnID for the current EditSequence, then ``mod`` again.
* ``name-probe`` — after 3100 (name in use): see :func:`_after_name_probe` for the rule.
* ``void`` — TxnVoid (invoices, bills, vendor credits) or TxnDel (payments).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

from lxml import etree

from hub.domain.kinds import EntityKind
from hub.domain.records import Invoice, InvoiceStatus, Payment
from hub.errors import DeliveryError, NeedsAttentionError, RetryableError
from hub.plugin.target import Action, Delivery, DeliveryResult
from ledgerhub_accounting_link.qbxml import lists, queries, transactions
from ledgerhub_accounting_link.qbxml.context import BuildContext, marker
from ledgerhub_accounting_link.qbxml.responses import (
    RETRYABLE_STATUSES,
    STATUS_NAME_IN_USE,
    STATUS_STALE_EDIT_SEQUENCE,
    Found,
    Reply,
)

MAX_EDIT_RETRIES = 2
MAX_RENAMES = 1

#: The QuickBooks list or transaction type of each kind.
QB_TYPE: dict[EntityKind, str] = {
    EntityKind.CUSTOMER: "Customer",
    EntityKind.VENDOR: "Vendor",
    EntityKind.INVENTORY_ITEM: "ItemInventory",
    EntityKind.INVOICE: "Invoice",
    EntityKind.PAYMENT: "ReceivePayment",
    EntityKind.PARTS_PURCHASE: "Bill",
    EntityKind.SUBLET_DETAIL: "Bill",
    EntityKind.PARTS_RETURN: "VendorCredit",
}
LIST_KINDS = frozenset({EntityKind.CUSTOMER, EntityKind.VENDOR, EntityKind.INVENTORY_ITEM})
MODIFIABLE_KINDS = LIST_KINDS | {EntityKind.INVOICE}


class Purpose(StrEnum):
    """Why a request is sent."""

    ADD = "add"
    PROBE = "probe"
    MOD = "mod"
    REFRESH = "refresh"
    NAME_PROBE = "name-probe"
    VOID = "void"
    ADJUST = "adjust"


@dataclass(frozen=True)
class Step:
    """The next request for one delivery."""

    delivery: Delivery
    purpose: Purpose
    edit_sequence: str = ""
    avoid_name: str | None = None
    tries: int = 0
    warnings: tuple[str, ...] = field(default_factory=tuple)
    found: Found | None = None
    """What QuickBooks returned for the record, kept while a follow-up request runs."""


@dataclass(frozen=True)
class Finished:
    """The delivery's outcome, ready for ``HubServices.complete``."""

    outcome: DeliveryResult | DeliveryError


Next = Step | Finished


def maybe_added_key(delivery: Delivery) -> str:
    """The state key flagging an add whose answer has not come back."""
    return f"maybe-added:{delivery.kind.value}:{delivery.record.id}"


def _is_void(delivery: Delivery) -> bool:
    record = delivery.record
    return (delivery.action == Action.VOID
            or (isinstance(record, Invoice) and record.status == InvoiceStatus.VOIDED)
            or (isinstance(record, Payment) and record.voided))


def _other_location(bctx: BuildContext, delivery: Delivery) -> str | None:
    location = getattr(delivery.record, "location_id", "")
    if location and bctx.settings.location and location != bctx.settings.location:
        return location
    return None


def first_step(bctx: BuildContext, delivery: Delivery) -> Next:
    """Plan a freshly claimed delivery."""
    location = _other_location(bctx, delivery)
    if location:
        detail = f"Not sent: location {location} is served by another connection"
        return Finished(DeliveryResult(detail=detail))
    skipped = [name for name, ref in delivery.references.items() if ref is not None and not ref.target_id]
    if skipped and not _is_void(delivery):
        label = skipped[0].removesuffix("_id")
        return Finished(DeliveryResult(detail=f"Not sent: its {label} was not sent to this connection"))
    external = delivery.external
    if _is_void(delivery):
        if external is None or not external.target_id:
            return Finished(DeliveryResult(detail="Voided before it reached QuickBooks; nothing to void"))
        return Step(delivery, Purpose.VOID)
    if external is not None and external.target_id:
        if delivery.kind not in MODIFIABLE_KINDS:
            return Finished(NeedsAttentionError(
                f"This {delivery.kind.value.replace('_', ' ')} changed after it reached QuickBooks "
                f"({external.target_id}); Accounting Link adds these but does not change them. "
                "Change it in QuickBooks, then skip this delivery."))
        sequence = str(external.data.get("edit_sequence") or "")
        return Step(delivery, Purpose.MOD, edit_sequence=sequence) if sequence else \
            Step(delivery, Purpose.REFRESH)
    if bctx.state.get(maybe_added_key(delivery)):
        return Step(delivery, Purpose.PROBE)
    return Step(delivery, Purpose.ADD)


def _reference(delivery: Delivery, field_name: str) -> tuple[str, dict]:
    ref = delivery.references.get(field_name)
    if ref is None or not ref.target_id:
        raise NeedsAttentionError(
            f"{field_name.removesuffix('_id')} of this {delivery.kind.value.replace('_', ' ')} "
            "is not in QuickBooks yet")
    return ref.target_id, dict(ref.data)


def _record_add_or_mod(bctx: BuildContext, step: Step, request_id: str) -> etree._Element:
    d = step.delivery
    record = d.record
    mod = step.purpose == Purpose.MOD
    target_id = d.external.target_id if mod and d.external else None
    if d.kind in LIST_KINDS:
        builder = {EntityKind.CUSTOMER: lists.customer, EntityKind.VENDOR: lists.vendor,
                   EntityKind.INVENTORY_ITEM: lists.inventory_item}[d.kind]
        return builder(bctx, record, request_id, list_id=target_id,  # type: ignore[arg-type]
                       edit_sequence=step.edit_sequence or None, avoid_name=step.avoid_name)
    if d.kind == EntityKind.INVOICE:
        customer_id, _ = _reference(d, "customer_id")
        return transactions.invoice(bctx, record, request_id, customer_list_id=customer_id,  # type: ignore[arg-type]
                                    txn_id=target_id, edit_sequence=step.edit_sequence or None)
    if d.kind == EntityKind.PAYMENT:
        txn_id, data = _reference(d, "invoice_id")
        customer = str(data.get("customer_list_id") or "")
        if not customer and not bctx.reserve_names:  # a preview of an invoice not sent yet
            customer = "(invoice's customer)"
        if not customer:
            raise NeedsAttentionError("the invoice's QuickBooks customer is unknown; redeliver the invoice")
        method = bctx.settings.payment_method(record.method.value)  # type: ignore[attr-defined]
        return transactions.payment(record, request_id, customer_list_id=customer,  # type: ignore[arg-type]
                                    invoice_txn_id=txn_id, method_name=method)
    vendor_id, _ = _reference(d, "vendor_id")
    builder = {EntityKind.PARTS_PURCHASE: transactions.parts_bill,
               EntityKind.SUBLET_DETAIL: transactions.sublet_bill,
               EntityKind.PARTS_RETURN: transactions.vendor_credit}[d.kind]
    return builder(bctx, record, request_id, vendor_list_id=vendor_id)  # type: ignore[arg-type]


def qb_name(bctx: BuildContext, delivery: Delivery, avoid: str | None = None) -> str:
    """The QuickBooks name of a list record (as the add would send it)."""
    record = delivery.record
    if delivery.kind == EntityKind.CUSTOMER:
        return bctx.customer_name(record.id, record.display_name, avoid)  # type: ignore[attr-defined]
    if delivery.kind == EntityKind.VENDOR:
        return bctx.vendor_name(record.id, record.name, avoid)  # type: ignore[attr-defined]
    return bctx.item_name(record.id, record.part_number, avoid)  # type: ignore[attr-defined]


def ref_number(delivery: Delivery) -> str:
    """The RefNumber a transaction is sent with (what a probe queries by)."""
    record = delivery.record
    match delivery.kind:
        case EntityKind.INVOICE:
            return record.number[: transactions.INVOICE_REF_LIMIT]  # type: ignore[attr-defined]
        case EntityKind.PAYMENT:
            return transactions.payment_ref_number(record)  # type: ignore[arg-type]
        case EntityKind.PARTS_PURCHASE:
            return record.vendor_invoice_number[: transactions.TXN_REF_LIMIT]  # type: ignore[attr-defined]
        case EntityKind.SUBLET_DETAIL:
            return transactions.sublet_ref_number(record)  # type: ignore[arg-type]
        case _:
            return record.credit_number[: transactions.TXN_REF_LIMIT]  # type: ignore[attr-defined]


def build(bctx: BuildContext, step: Step, request_id: str) -> etree._Element:
    """The ``*Rq`` element for *step*. Raises :class:`DeliveryError` when it cannot be built."""
    d = step.delivery
    qb_type = QB_TYPE[d.kind]
    target_id = d.external.target_id if d.external else ""
    match step.purpose:
        case Purpose.ADD | Purpose.MOD:
            return _record_add_or_mod(bctx, step, request_id)
        case Purpose.PROBE | Purpose.NAME_PROBE if d.kind in LIST_KINDS:
            name = step.avoid_name if step.purpose == Purpose.NAME_PROBE else qb_name(bctx, d)
            return queries.by_name(qb_type, name or "", request_id)
        case Purpose.PROBE:
            return queries.by_ref_number(qb_type, ref_number(d), request_id)
        case Purpose.REFRESH if d.kind in LIST_KINDS:
            return queries.by_list_id(qb_type, target_id, request_id)
        case Purpose.REFRESH:
            return queries.by_txn_id(qb_type, target_id, request_id)
        case Purpose.ADJUST:
            return lists.inventory_adjustment(bctx, d.record, request_id,  # type: ignore[arg-type]
                                              list_id=step.found.list_id if step.found else target_id)
        case _:
            if d.kind == EntityKind.PAYMENT:
                return queries.delete(qb_type, target_id, request_id)
            return queries.void(qb_type, target_id, request_id)


def failure(reply: Reply) -> DeliveryError:
    """The error for a QuickBooks status that is neither success nor handled by a rule."""
    text = f"QuickBooks answered {reply.status_code}: {reply.message or 'no message'}"
    if reply.status_code in RETRYABLE_STATUSES:
        return RetryableError(text)
    return NeedsAttentionError(text)


def delivered(bctx: BuildContext, step: Step, found: Found, *extra: str) -> Finished:
    """A success: ids and EditSequence kept for later modifications and links."""
    d = step.delivery
    data: dict[str, str] = {"edit_sequence": found.edit_sequence}
    warnings = [*step.warnings, *extra]
    if d.kind in LIST_KINDS:
        data["name"] = found.name
        if d.kind == EntityKind.INVENTORY_ITEM:
            bctx.remember_inventory_item(d.record.part_number, found.list_id)  # type: ignore[attr-defined]
    else:
        data["ref_number"] = found.ref_number
    if d.kind == EntityKind.INVOICE:
        data["customer_list_id"] = str(d.references["customer_id"].target_id)
        total = d.record.total  # type: ignore[attr-defined]
        if found.total is not None and found.total != total:
            warnings.append(f"QuickBooks' total is {found.total}, the repair order's is {total}: "
                            "check the sales tax item and the tax codes")
    return Finished(DeliveryResult(target_id=found.target_id, data=data, warnings=tuple(warnings),
                                   detail=f"{QB_TYPE[d.kind]} {found.target_id}"))


def _ours(step: Step, found: Found) -> bool:
    d = step.delivery
    return d.kind in LIST_KINDS or marker(d.kind.value, d.record.id) in found.memo


def _after_name_probe(bctx: BuildContext, step: Step, reply: Reply) -> Next:
    """The 3100 rule: the name is taken in QuickBooks.

    * Taken in the *same* list (a customer the shop typed in by hand before connecting): link to
      it, with a warning; nothing is added.
    * Taken in *another* list (a vendor with the customer's name; QuickBooks names are unique
      across customers, vendors, employees and other names): add again under the next unique
      name of the naming rule, with a warning.
    """
    name = step.avoid_name or ""
    if reply.ok and reply.found:
        label = step.delivery.kind.value.replace("_", " ")
        note = f"A QuickBooks {label} named {name!r} already existed; linked to it instead of adding one"
        return delivered(bctx, step, reply.found[0], note)
    if reply.nothing_found and step.tries < MAX_RENAMES:
        return Step(step.delivery, Purpose.ADD, avoid_name=name, tries=step.tries + 1,
                    warnings=(*step.warnings, f"The name {name!r} is used by another QuickBooks list; "
                              "added under a changed name"))
    return Finished(failure(reply))


def handle(bctx: BuildContext, step: Step, reply: Reply) -> Next:
    """What QuickBooks' *reply* to *step* means: an outcome, or the next step."""
    d = step.delivery
    match step.purpose:
        case Purpose.ADD:
            bctx.state.set(maybe_added_key(d), None)
            if reply.ok and reply.found:
                return delivered(bctx, step, reply.found[0])
            if reply.status_code == STATUS_NAME_IN_USE and d.kind in LIST_KINDS:
                return Step(d, Purpose.NAME_PROBE, avoid_name=qb_name(bctx, d, step.avoid_name),
                            tries=step.tries, warnings=step.warnings)
            return Finished(failure(reply))
        case Purpose.PROBE:
            mine = [f for f in reply.found if _ours(step, f)] if reply.ok else []
            if mine:
                bctx.state.set(maybe_added_key(d), None)
                return delivered(bctx, step, mine[0], "Already in QuickBooks from an earlier exchange whose "
                                                      "answer was lost; linked, not added again")
            if reply.ok or reply.nothing_found:
                return replace(step, purpose=Purpose.ADD)
            return Finished(failure(reply))
        case Purpose.MOD:
            if reply.ok and reply.found:
                counted = getattr(d.record, "quantity_on_hand", None)
                held = reply.found[0].quantity_on_hand
                if d.kind == EntityKind.INVENTORY_ITEM and held is not None and held != counted:
                    return replace(step, purpose=Purpose.ADJUST, found=reply.found[0])
                return delivered(bctx, step, reply.found[0])
            if reply.status_code == STATUS_STALE_EDIT_SEQUENCE and step.tries < MAX_EDIT_RETRIES:
                return replace(step, purpose=Purpose.REFRESH, tries=step.tries + 1)
            return Finished(failure(reply))
        case Purpose.REFRESH:
            if reply.ok and reply.found:
                return replace(step, purpose=Purpose.MOD, edit_sequence=reply.found[0].edit_sequence)
            if reply.nothing_found:
                return Finished(NeedsAttentionError(
                    f"{QB_TYPE[d.kind]} {d.external.target_id if d.external else ''} is no longer in "
                    "QuickBooks (deleted there?); skip this delivery or re-create it by hand"))
            return Finished(failure(reply))
        case Purpose.NAME_PROBE:
            return _after_name_probe(bctx, step, reply)
        case Purpose.ADJUST:
            if reply.ok and step.found is not None:
                return delivered(bctx, step, step.found)
            return Finished(failure(reply))
        case _:
            if reply.ok:
                external = d.external
                return Finished(DeliveryResult(
                    target_id=external.target_id if external else None,
                    data=dict(external.data) if external else {},
                    detail=f"{'Deleted' if d.kind == EntityKind.PAYMENT else 'Voided'} in QuickBooks"))
            return Finished(failure(reply))
