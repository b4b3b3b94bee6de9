"""``ledgerhub_preview``: the qbXML document one delivery turns into, without sending it."""

from __future__ import annotations

from hub.errors import DeliveryError
from hub.plugin.target import ConnectionContext, Delivery, PreviewDocument
from ledgerhub_accounting_link import exchange
from ledgerhub_accounting_link.exchange import Finished
from ledgerhub_accounting_link.qbxml.document import render
from ledgerhub_accounting_link.service import build_context


def preview_document(ctx: ConnectionContext, delivery: Delivery) -> PreviewDocument:
    """The request document (or a comment saying why nothing would be sent). Names are looked up,
    never reserved, so a preview leaves the connection's state as it was."""
    bctx = build_context(ctx, reserve_names=False)
    filename = f"{delivery.kind.value}-{delivery.record.id}.qbxml.xml"
    planned = exchange.first_step(bctx, delivery)
    if isinstance(planned, Finished):
        outcome = planned.outcome
        reason = outcome.message if isinstance(outcome, DeliveryError) else outcome.detail
        return PreviewDocument(filename=filename, content_type="application/xml",
                               body=f"<!-- nothing would be sent: {reason} -->\n")
    if planned.purpose == exchange.Purpose.PROBE:
        planned = exchange.Step(delivery, exchange.Purpose.ADD)
    try:
        body = render([exchange.build(bctx, planned, f"{delivery.id}.preview")])
    except DeliveryError as exc:
        body = f"<!-- cannot be sent yet: {exc.message} -->\n"
    return PreviewDocument(filename=filename, content_type="application/xml", body=body)
