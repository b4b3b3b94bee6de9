"""Wrong keys lock out the (user name, client address) pair that sent them, not the user name:
someone holding the .qwc file cannot lock the shop's real Web Connector out."""

from __future__ import annotations

from typing import Any

from flask import Flask
from lxml import etree

from hub import Shop
from hub.sync.runtime import Hub

from .conftest import API_KEY, every_kind_records

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
QBWC = "http://developer.intuit.com/"


def _authenticate(client: Any, address: str, user: str, password: str) -> list[str]:
    body = (f'<soap:Envelope xmlns:soap="{SOAP11}"><soap:Body><authenticate xmlns="{QBWC}">'
            f"<strUserName>{user}</strUserName><strPassword>{password}</strPassword>"
            "</authenticate></soap:Body></soap:Envelope>")
    answer = client.post("/qbwc", data=body.encode(), content_type="text/xml; charset=utf-8",
                         environ_base={"REMOTE_ADDR": address})
    assert answer.status_code == 200, answer.data
    return [e.text or "" for e in etree.fromstring(answer.data).iter(f"{{{QBWC}}}string")]


def test_a_lockout_from_one_address_does_not_block_the_real_client(
        server_app: Flask, connection_id: int, al_hub: Hub, al_shop: Shop) -> None:
    user = f"ledgerhub-{connection_id}"
    al_hub.ingest(al_shop.id, every_kind_records())
    client = server_app.test_client()
    for _ in range(5):
        assert _authenticate(client, "203.0.113.7", user, "guess")[1] == "nvu"
    # Address A is locked out: even the right key is not checked from there.
    assert _authenticate(client, "203.0.113.7", user, API_KEY)[1] == "nvu"
    # The shop's Web Connector at address B still gets in, and gets work.
    ticket, answer = _authenticate(client, "198.51.100.20", user, API_KEY)[:2]
    assert answer == "" and ticket
    # A's bad tries did not count against B either.
    for _ in range(4):
        assert _authenticate(client, "198.51.100.20", user, "typo")[1] == "nvu"
    assert _authenticate(client, "198.51.100.20", user, API_KEY)[1] in ("", "none")
