"""What a delivery would send to QuickBooks, rendered without sending anything."""

from __future__ import annotations

from typing import Any

from hub.domain.records import Customer, Invoice, InvoiceStatus, Payment
from hub.errors import DeliveryError
from hub.plugin.target import Action, ConnectionContext, Delivery, ExternalRef, PreviewDocument
from ledgerhub_qbo import mapping
from ledgerhub_qbo.client import to_json
from ledgerhub_qbo.delivery import customer_marker
from ledgerhub_qbo.items import ITEM_NAMES, ITEMS_KEY


def _item_ids(ctx: ConnectionContext) -> dict[str, str]:
    try:
        known = ctx.state.get(ITEMS_KEY) or {}
    except Exception:  # noqa: BLE001 - a preview-only context may have no store at all
        known = {}
    return {name: str(known.get(name, {}).get("id", f"<{name} item id>")) for name in ITEM_NAMES}


def _placeholder(delivery: Delivery, field: str, what: str) -> ExternalRef:
    """The reference as delivered, or a readable placeholder where it has not been yet."""
    ref = delivery.references.get(field) or ExternalRef(f"<{what} id in QuickBooks>")
    if "CustomerRef" not in ref.data:
        ref = ExternalRef(ref.target_id, {**ref.data, "CustomerRef": "<customer id in QuickBooks>"})
    return ref


def request_for(ctx: ConnectionContext, delivery: Delivery) -> dict[str, Any]:
    """``{"method", "path", "body"}`` of the request the delivery would make first."""
    record = delivery.record
    ref = delivery.external
    entity = type(record).__name__
    body: dict[str, Any]
    params = ""
    if isinstance(record, Customer):
        body, _ = mapping.customer_body(record)
        body["Notes"] = customer_marker(record)
    elif isinstance(record, Invoice):
        if record.status is InvoiceStatus.VOIDED or delivery.action is Action.VOID:
            body, params = {}, "?operation=void"
        else:
            customer = _placeholder(delivery, "customer_id", "customer")
            body = mapping.invoice_body(record, ctx.shop, _item_ids(ctx), customer)
    elif isinstance(record, Payment):
        if record.voided:
            body, params = {}, "?operation=update&include=void"
        else:
            body = mapping.payment_body(record, _placeholder(delivery, "invoice_id", "invoice"))
    else:
        raise DeliveryError(f"QuickBooks Online does not take {delivery.kind} records")
    if ref is not None:
        body = mapping.sparse(body, ref)
    return {"method": "POST", "path": f"/v3/company/<realm>/{entity.lower()}{params}", "body": body}


def render(ctx: ConnectionContext, delivery: Delivery) -> PreviewDocument:
    """The preview document of one delivery (JSON, money as exact numbers)."""
    try:
        request = request_for(ctx, delivery)
    except DeliveryError as exc:
        request = {"error": exc.message}
    text = to_json(request, indent=2)
    return PreviewDocument(filename=f"qbo-{delivery.kind}-{delivery.record.id}.json",
                           content_type="application/json", body=text)
