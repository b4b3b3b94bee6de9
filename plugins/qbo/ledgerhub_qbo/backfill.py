"""Backfill through QuickBooks' batch API: up to 30 creates in one request.

Only first attempts of plain creates go in a batch; anything that needs a look-up, an update,
a void, or a clash resolved goes through :func:`ledgerhub_qbo.delivery.deliver` one by one —
including batch items that came back with a duplicate-name or duplicate-number fault.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from hub.errors import DeliveryError, FatalConnectionError, NeedsAttentionError
from hub.plugin.target import Action, Delivery, DeliveryResult
from ledgerhub_qbo import delivery as single
from ledgerhub_qbo import mapping
from ledgerhub_qbo.client import MAX_BATCH_ITEMS
from ledgerhub_qbo.faults import FaultKind, QboFault, kind_for, to_delivery_error
from ledgerhub_qbo.session import QboSession

Outcome = DeliveryResult | DeliveryError
_ENTITY = {"customer": "Customer", "invoice": "Invoice", "payment": "Payment"}


def _batchable(session: QboSession, d: Delivery) -> bool:
    record: Any = d.record
    return (d.backfill and d.action is Action.CREATE and d.external is None
            and str(d.kind) in _ENTITY and not single.must_look_up(session, d)
            and getattr(record, "status", "closed") == "closed" and not getattr(record, "voided", False))


def _body(session: QboSession, d: Delivery) -> dict[str, Any]:
    record: Any = d.record
    if str(d.kind) == "customer":
        body, _changes = mapping.customer_body(record)
        body["Notes"] = single.customer_marker(record)
        return body
    if str(d.kind) == "invoice":
        customer = d.references.get("customer_id")
        if customer is None:
            raise NeedsAttentionError(f"Invoice {record.number}: its customer is not in QuickBooks yet.")
        return mapping.invoice_body(record, session.ctx.shop, session.item_ids, customer)
    invoice = d.references.get("invoice_id")
    if invoice is None:
        raise NeedsAttentionError(f"Payment {record.id}: its invoice is not in QuickBooks yet.")
    return mapping.payment_body(record, invoice)


def deliver_many(session: QboSession, deliveries: Sequence[Delivery],
                 one_by_one: Callable[[Delivery], Outcome]) -> list[Outcome]:
    """Outcomes in the order of *deliveries*; a :class:`FatalConnectionError` propagates."""
    outcomes: dict[int, Outcome] = {}
    queued: list[tuple[int, Delivery, dict[str, Any]]] = []
    for index, d in enumerate(deliveries):
        if not _batchable(session, d):
            continue
        try:
            queued.append((index, d, _body(session, d)))
        except NeedsAttentionError as exc:
            outcomes[index] = exc
    for start in range(0, len(queued), MAX_BATCH_ITEMS):
        outcomes.update(_send_chunk(session, queued[start:start + MAX_BATCH_ITEMS]))
    for index, d in enumerate(deliveries):
        if index not in outcomes:
            outcomes[index] = one_by_one(d)
    return [outcomes[i] for i in range(len(deliveries))]


def _send_chunk(session: QboSession, chunk: list[tuple[int, Delivery, dict[str, Any]]]) -> dict[int, Outcome]:
    items = [{"bId": f"b{n}", "operation": "create", _ENTITY[str(d.kind)]: body}
             for n, (_, d, body) in enumerate(chunk)]
    batch_id = single.request_id("|".join(d.idempotency_key for _, d, _ in chunk))
    try:
        answers = session.call(lambda: session.api.batch(items, request_id=batch_id))
    except FatalConnectionError:
        raise
    except DeliveryError as exc:  # e.g. the rate limiter gave up waiting
        return {index: exc for index, _, _ in chunk}
    except QboFault as fault:
        if fault.kind is FaultKind.UNKNOWN_OUTCOME:
            for _, d, _ in chunk:
                session.ctx.state.set(single.uncertain_key(d), True)
        error = to_delivery_error(fault, "Batch")
        if isinstance(error, FatalConnectionError):
            raise error from fault
        return {index: error for index, _, _ in chunk}
    outcomes: dict[int, Outcome] = {}
    retry_singly: list[tuple[int, Delivery]] = []
    for n, (index, d, _) in enumerate(chunk):
        answer = answers.get(f"b{n}")
        entity = _ENTITY[str(d.kind)]
        if answer is None:
            session.ctx.state.set(single.uncertain_key(d), True)
            lost = QboFault(FaultKind.UNKNOWN_OUTCOME, "no answer for this item")
            outcomes[index] = to_delivery_error(lost)
        elif entity in answer:
            outcomes[index] = _success(session, d, dict(answer[entity]))
        else:
            fault = _item_fault(answer)
            if fault.kind in (FaultKind.DUPLICATE_NAME, FaultKind.DUPLICATE_DOC_NUMBER):
                retry_singly.append((index, d))
            else:
                outcomes[index] = to_delivery_error(fault, single.kind_label(d))
    for index, d in retry_singly:
        outcomes[index] = _single(session, d)
    return outcomes


def _single(session: QboSession, d: Delivery) -> Outcome:
    try:
        return single.deliver(session, d)
    except QboFault as fault:
        error = to_delivery_error(fault, single.kind_label(d))
        if isinstance(error, FatalConnectionError):
            raise error from fault
        return error
    except FatalConnectionError:
        raise
    except DeliveryError as exc:
        return exc


def _item_fault(answer: dict[str, Any]) -> QboFault:
    errors = (answer.get("Fault") or {}).get("Error") or [{}]
    first = errors[0]
    try:
        code = int(first.get("code", 0))
    except (TypeError, ValueError):
        code = 0
    return QboFault(kind_for(code, None), str(first.get("Message", "refused")), code=code,
                    detail=str(first.get("Detail", "")))


def _success(session: QboSession, d: Delivery, row: dict[str, Any]) -> DeliveryResult:
    record: Any = d.record
    if str(d.kind) == "invoice":
        return single.invoice_result(session, record, row)
    if str(d.kind) == "customer":
        _body_, changes = mapping.customer_body(record)
        return single.customer_result(row, [f"Customer {record.id}: {c}." for c in changes])
    return DeliveryResult(target_id=str(row["Id"]), data={"SyncToken": str(row.get("SyncToken", "0"))},
                          detail=f"Payment {record.id} → QuickBooks payment {row['Id']}")
