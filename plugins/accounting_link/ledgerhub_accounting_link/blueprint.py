"""The ``/qbwc`` SOAP endpoint, and the ``.qwc`` download under ``/plugins/accounting_link``.

The download view takes ``shop_id`` and ``connection_id`` and is listed in the target's
``ui_actions``, so the settings UI shows it on the connection's card and guards it (a signed-in
user of that shop).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, request

from hub.plugin.target import HubServices
from ledgerhub_accounting_link import config
from ledgerhub_accounting_link.qwc import qwc_document, qwc_filename
from ledgerhub_accounting_link.service import TARGET_NAME, WebConnectorService
from ledgerhub_accounting_link.soap import SOAP11_NS, SoapCall, SoapError, fault, parse_call, response

log = logging.getLogger("ledgerhub.plugin.accounting_link")
MAX_BODY_BYTES = 20 * 1024 * 1024  # a big QuickBooks answer (a long query) stays well under this
XML = "text/xml; charset=utf-8"


def _int(value: str, default: int) -> int:
    try:
        return int(value)
    except ValueError:
        return default


def _operations(service: WebConnectorService) -> dict[str, Callable[[SoapCall], Any]]:
    return {
        "serverVersion": lambda c: service.server_version(),
        "clientVersion": lambda c: service.client_version(c.arg("strVersion")),
        "authenticate": lambda c: service.authenticate(c.arg("strUserName"), c.arg("strPassword")),
        "sendRequestXML": lambda c: service.send_request_xml(
            c.arg("ticket"), _int(c.arg("qbXMLMajorVers"), 13), _int(c.arg("qbXMLMinorVers"), 0),
            c.arg("qbXMLCountry")),
        "receiveResponseXML": lambda c: service.receive_response_xml(
            c.arg("ticket"), c.arg("response"), c.arg("hresult"), c.arg("message")),
        "connectionError": lambda c: service.connection_error(
            c.arg("ticket"), c.arg("hresult"), c.arg("message")),
        "getLastError": lambda c: service.get_last_error(c.arg("ticket")),
        "closeConnection": lambda c: service.close_connection(c.arg("ticket")),
    }


def create_blueprint(services: HubServices, service: WebConnectorService | None = None) -> Blueprint:
    """The blueprint serving the Web Connector at ``/qbwc``."""
    service = service or WebConnectorService(services)
    operations = _operations(service)
    bp = Blueprint("accounting_link_qbwc", __name__, url_prefix="/qbwc")
    bp.web_connector = service  # type: ignore[attr-defined]  # tests and the demo reach it here

    @bp.post("")
    @bp.post("/")
    def soap_endpoint() -> Response:
        """One Web Connector call."""
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return Response(fault("request too large"), status=413, content_type=XML)
        try:
            call = parse_call(request.get_data(cache=False))
        except SoapError as exc:
            return Response(fault(str(exc)), status=400, content_type=XML)
        handler = operations.get(call.operation)
        if handler is None:
            return Response(fault(f"unknown operation {call.operation!r}", call.envelope_ns),
                            status=400, content_type=XML)
        try:
            result = handler(call)
        except Exception:  # noqa: BLE001 - answer the Web Connector with a fault, not an HTML page
            log.exception("Web Connector call %s failed", call.operation)
            return Response(fault("LedgerHub could not handle this call; it is logged", call.envelope_ns,
                                  code="Server"), status=500, content_type=XML)
        content_type = XML if call.envelope_ns == SOAP11_NS else "application/soap+xml; charset=utf-8"
        return Response(response(call, result), content_type=content_type)

    @bp.get("")
    @bp.get("/")
    def about() -> Response:
        """A plain answer for people who open the URL in a browser."""
        return Response("LedgerHub Accounting Link: QuickBooks Web Connector endpoint (SOAP, POST).\n",
                        content_type="text/plain; charset=utf-8")

    return bp


def create_pages_blueprint(services: HubServices) -> Blueprint:
    """``accounting_link.qwc``: the connection's ``.qwc`` file as a download."""
    bp = Blueprint(TARGET_NAME, __name__, url_prefix=f"/plugins/{TARGET_NAME}")

    @bp.get("/shops/<shop_id>/connections/<int:connection_id>/ledgerhub.qwc")
    def qwc(shop_id: str, connection_id: int) -> Response:
        """The ``.qwc`` file of one connection (no secret in it: the key is typed into QBWC)."""
        ctx = services.connection(connection_id)
        if ctx is None or ctx.target_name != TARGET_NAME or ctx.shop.id != shop_id:
            abort(404, f"no Accounting Link connection {connection_id} for shop {shop_id}")
        base = config.public_url(default=request.host_url)
        return Response(qwc_document(ctx, base), content_type="application/xml",
                        headers={"Content-Disposition": f'attachment; filename="{qwc_filename(ctx)}"'})

    return bp
