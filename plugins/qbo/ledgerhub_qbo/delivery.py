"""Delivering one record version: create, update or void, never a duplicate.

Every create carries a ``requestid`` derived from the engine's idempotency key. When an
earlier attempt's outcome is unknown (time-out, dropped connection, 5xx after a write), the
object is looked up first — invoices by DocNumber, customers by DisplayName, payments by
customer, date and memo — and updated instead of created again.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from hub.domain.records import Customer, Invoice, InvoiceStatus, Payment
from hub.errors import NeedsAttentionError
from hub.plugin.target import Action, Delivery, DeliveryResult, ExternalRef
from ledgerhub_qbo import mapping
from ledgerhub_qbo.faults import FaultKind, QboFault
from ledgerhub_qbo.names import disambiguated, query_literal
from ledgerhub_qbo.session import QboSession

_REQUEST_ID_NAMESPACE = uuid.UUID("6f1d5c1e-3b7a-4d55-9f44-1e0b8a7c2d10")
MAX_NAME_ATTEMPTS = 5


def request_id(idempotency_key: str) -> str:
    """A 36-character ``requestid`` (QBO allows 50, 36 for batches) stable for the key."""
    return str(uuid.uuid5(_REQUEST_ID_NAMESPACE, idempotency_key))


def uncertain_key(delivery: Delivery) -> str:
    """State key marking a record whose last write has an unknown outcome."""
    return f"uncertain:{delivery.kind}:{delivery.record.id}"


def must_look_up(session: QboSession, delivery: Delivery) -> bool:
    """True when an earlier attempt may have created the object already."""
    return delivery.attempt > 1 or bool(session.ctx.state.get(uncertain_key(delivery)))


def deliver(session: QboSession, delivery: Delivery) -> DeliveryResult:
    """Deliver one record; :class:`QboFault` escapes for the caller to translate."""
    record = delivery.record
    if isinstance(record, Customer):
        result = deliver_customer(session, delivery, record)
    elif isinstance(record, Invoice):
        result = deliver_invoice(session, delivery, record)
    elif isinstance(record, Payment):
        result = deliver_payment(session, delivery, record)
    else:
        raise NeedsAttentionError(f"QuickBooks Online does not take {delivery.kind} records.")
    if session.ctx.state.get(uncertain_key(delivery)):
        session.ctx.state.set(uncertain_key(delivery), None)
    return result


def _ref_data(row: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"SyncToken": str(row.get("SyncToken", "0")), **extra}


def _sparse_update(session: QboSession, entity: str, ref: ExternalRef, body: dict[str, Any],
                   **params: str) -> dict[str, Any]:
    """A sparse update; on a stale SyncToken (5010) the object is re-read and the update sent
    once more with the current token."""
    try:
        return session.call(lambda: session.api.update(entity, mapping.sparse(body, ref), **params))
    except QboFault as fault:
        if fault.kind is not FaultKind.STALE:
            raise
    current = session.call(lambda: session.api.read(entity, ref.target_id))
    fresh = ExternalRef(ref.target_id, {**ref.data, "SyncToken": current.get("SyncToken", "0")})
    return session.call(lambda: session.api.update(entity, mapping.sparse(body, fresh), **params))


# Customers ---------------------------------------------------------------------------------

def customer_marker(customer: Customer) -> str:
    """The note we leave on a QuickBooks customer, by which we recognise it as ours later."""
    return f"Synced from the shop system (customer {customer.id})"


def _is_same_customer(row: dict[str, Any], customer: Customer) -> bool:
    if customer_marker(customer) in str(row.get("Notes", "")):
        return True
    email = (row.get("PrimaryEmailAddr") or {}).get("Address", "")
    phone = (row.get("PrimaryPhone") or {}).get("FreeFormNumber", "")
    return bool((customer.email and email.lower() == customer.email.strip().lower())
                or (customer.phone and phone == customer.phone))


def _find_customer(session: QboSession, name: str) -> dict[str, Any] | None:
    return session.call(lambda: session.api.find_one("Customer", "DisplayName", name))


def deliver_customer(session: QboSession, delivery: Delivery, customer: Customer) -> DeliveryResult:
    """Create or update a customer, resolving a DisplayName clash by the documented rule."""
    body, changes = mapping.customer_body(customer)
    body["Notes"] = customer_marker(customer)
    warnings = [f"Customer {customer.id}: {c}." for c in changes]
    wanted = body["DisplayName"]
    ref = delivery.external
    names = [wanted] + [disambiguated(wanted, customer.id, n) for n in range(1, MAX_NAME_ATTEMPTS + 1)]
    stored_name = str(ref.data.get("DisplayName") or "") if ref is not None else ""
    if ref is None and must_look_up(session, delivery):
        for name in names:
            row = _find_customer(session, name)
            if row is None:
                break
            if customer_marker(customer) in str(row.get("Notes", "")):
                ref, stored_name = ExternalRef(str(row["Id"]), _ref_data(row)), name
                break
    if stored_name in names:  # keep the variant the clash rule chose last time
        names.remove(stored_name)
        names.insert(0, stored_name)
    for attempt, name in enumerate(names):
        body["DisplayName"] = name
        try:
            if ref is None:
                rid = request_id(f"{delivery.idempotency_key}:{attempt}")
                row = session.call(lambda rid=rid: session.api.create("Customer", body, rid))
            else:
                row = _sparse_update(session, "Customer", ref, body)
        except QboFault as fault:
            if fault.kind is not FaultKind.DUPLICATE_NAME:
                raise
            existing = _find_customer(session, name) if ref is None else None
            if existing is not None and _is_same_customer(existing, customer):
                ref = ExternalRef(str(existing["Id"]), _ref_data(existing))
                row = _sparse_update(session, "Customer", ref, body)
                warnings.append(f'Customer {customer.id} matched the existing QuickBooks customer "{name}".')
                return customer_result(row, warnings)
            continue
        if name != wanted:
            warnings.append(f'Customer {customer.id}: the name "{wanted}" is already used in QuickBooks by '
                            f'another customer, a vendor or an employee; saved as "{name}".')
        return customer_result(row, warnings)
    raise NeedsAttentionError(f'The name "{wanted}" and its variants are all taken in QuickBooks; '
                              "rename the customer or the clashing QuickBooks record.")


def customer_result(row: dict[str, Any], warnings: list[str]) -> DeliveryResult:
    """The result of a written customer; the DisplayName used is kept with it."""
    return DeliveryResult(target_id=str(row["Id"]), data=_ref_data(row, DisplayName=row.get("DisplayName")),
                          warnings=tuple(warnings), detail=f"Customer {row['Id']}")


# Invoices ----------------------------------------------------------------------------------

def deliver_invoice(session: QboSession, delivery: Delivery, invoice: Invoice) -> DeliveryResult:
    """Create, update (sparse, current SyncToken) or void an invoice; compare the totals."""
    ref = delivery.external
    if delivery.action is Action.VOID or invoice.status is InvoiceStatus.VOIDED:
        if ref is None:
            ref = _find_invoice(session, invoice) if must_look_up(session, delivery) else None
            if ref is None:
                return DeliveryResult(detail=f"Invoice {invoice.number} was voided before it reached "
                                             "QuickBooks; nothing to send")
        row = _sparse_update(session, "Invoice", ref, {}, operation="void")
        return DeliveryResult(target_id=str(row["Id"]), data=_ref_data(row, **_customer_of(row, ref)),
                              detail=f"Invoice {invoice.number} voided in QuickBooks")
    customer = delivery.references.get("customer_id")
    if customer is None:
        raise NeedsAttentionError(f"Invoice {invoice.number}: its customer is not in QuickBooks yet.")
    body = mapping.invoice_body(invoice, session.ctx.shop, session.item_ids, customer)
    if ref is None and (must_look_up(session, delivery) or delivery.backfill):
        ref = _find_invoice(session, invoice)

    def write() -> dict[str, Any]:
        if ref is not None:
            return _sparse_update(session, "Invoice", ref, body)
        try:
            rid = request_id(delivery.idempotency_key)
            return session.call(lambda: session.api.create("Invoice", body, rid))
        except QboFault as fault:
            if fault.kind is not FaultKind.DUPLICATE_DOC_NUMBER:
                raise
            existing = _find_invoice(session, invoice)
            if existing is None:
                raise
            return _sparse_update(session, "Invoice", existing, body)

    warnings: list[str] = []
    row = _with_active_customer(session, customer.target_id, write, warnings)
    return invoice_result(session, invoice, row, warnings)


def _with_active_customer(session: QboSession, customer_id: str, write: Callable[[], dict[str, Any]],
                          warnings: list[str]) -> dict[str, Any]:
    """Run *write*; if QBO refuses it because the customer was made inactive there (610),
    make the customer active again, say so in *warnings*, and run it once more."""
    try:
        return write()
    except QboFault as fault:
        if fault.kind is not FaultKind.NOT_FOUND:
            raise
        current = session.call(lambda: session.api.read("Customer", customer_id))
        if current.get("Active", True):
            raise
    session.call(lambda: session.api.update("Customer", {"Id": customer_id, "SyncToken": current["SyncToken"],
                                                          "sparse": True, "Active": True}))
    warnings.append(f'The QuickBooks customer "{current.get("DisplayName", customer_id)}" had been made '
                    "inactive; it was made active again so this could be recorded.")
    return write()


def _customer_of(row: dict[str, Any], ref: ExternalRef | None = None) -> dict[str, Any]:
    value = (row.get("CustomerRef") or {}).get("value") or (ref.data.get("CustomerRef") if ref else None)
    return {"CustomerRef": str(value)} if value else {}


def invoice_result(session: QboSession, invoice: Invoice, row: dict[str, Any],
                   warnings: list[str] | None = None) -> DeliveryResult:
    """The result of a written invoice, with a warning when QuickBooks' total differs."""
    total = row.get("TotalAmt")
    qbo_total = Decimal(str(total)) if total is not None else None
    mismatch = mapping.total_mismatch(invoice, qbo_total, session.ctx.shop)
    return DeliveryResult(
        target_id=str(row["Id"]),
        data=_ref_data(row, **_customer_of(row), TotalAmt=str(total) if total is not None else None),
        warnings=tuple(warnings or ()) + ((mismatch,) if mismatch else ()),
        detail=f"Invoice {invoice.number} → QuickBooks invoice {row['Id']}",
    )


def _find_invoice(session: QboSession, invoice: Invoice) -> ExternalRef | None:
    row = session.call(lambda: session.api.find_one("Invoice", "DocNumber", invoice.number))
    return ExternalRef(str(row["Id"]), _ref_data(row, **_customer_of(row))) if row else None


# Payments ----------------------------------------------------------------------------------

def _payment_note(payment: Payment) -> str:
    return f"payment {payment.id}"


def deliver_payment(session: QboSession, delivery: Delivery, payment: Payment) -> DeliveryResult:
    """Apply a payment to its invoice's QuickBooks Id; void it when the shop voided it."""
    ref = delivery.external
    invoice = delivery.references.get("invoice_id")
    if invoice is None:
        raise NeedsAttentionError(f"Payment {payment.id}: its invoice is not in QuickBooks yet.")
    body = mapping.payment_body(payment, invoice)
    if ref is None and must_look_up(session, delivery):
        ref = _find_payment(session, payment, body)
    if payment.voided or delivery.action is Action.VOID:
        if ref is None:
            return DeliveryResult(detail=f"Payment {payment.id} was voided before it reached QuickBooks; "
                                         "nothing to send")
        row = _sparse_update(session, "Payment", ref, {}, operation="update", include="void")
        return DeliveryResult(target_id=str(row["Id"]), data=_ref_data(row),
                              detail=f"Payment {payment.id} voided in QuickBooks")
    rid = request_id(delivery.idempotency_key)

    def write() -> dict[str, Any]:
        if ref is None:
            return session.call(lambda: session.api.create("Payment", body, rid))
        return _sparse_update(session, "Payment", ref, body)

    warnings: list[str] = []
    row = _with_active_customer(session, body["CustomerRef"]["value"], write, warnings)
    return DeliveryResult(target_id=str(row["Id"]), data=_ref_data(row), warnings=tuple(warnings),
                          detail=f"Payment {payment.id} → QuickBooks payment {row['Id']}")


def _find_payment(session: QboSession, payment: Payment, body: dict[str, Any]) -> ExternalRef | None:
    statement = (f"select * from Payment where CustomerRef = {query_literal(body['CustomerRef']['value'])} "
                 f"and TxnDate = {query_literal(body['TxnDate'])}")
    try:
        rows = session.call(lambda: session.api.query(statement))
    except QboFault as fault:
        if fault.kind is not FaultKind.INVALID:
            raise
        return None  # a company that cannot filter payments so: the requestid still guards
    for row in rows:
        if str(row.get("PrivateNote", "")).endswith(_payment_note(payment)):
            return ExternalRef(str(row["Id"]), _ref_data(row))
    return None


def kind_label(delivery: Delivery) -> str:
    """How a record is named in messages: ``Invoice 1042``, ``Customer C-7``."""
    record = delivery.record
    if isinstance(record, Invoice):
        return f"Invoice {record.number}"
    return f"{delivery.kind.value.replace('_', ' ').capitalize()} {record.id}"
