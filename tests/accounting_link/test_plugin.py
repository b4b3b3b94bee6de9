"""The target, its settings, status line, preview, .qwc file, CLI and the SOAP endpoint's edges."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner
from ledgerhub_accounting_link.qbxml import schema
from ledgerhub_accounting_link.settings import AccountingLinkSettingsSchema, verify_api_key
from ledgerhub_accounting_link.target import AccountingLinkTarget
from lxml import etree
from sqlalchemy import text

from hub import ConfigurationError, Shop
from hub.cli import build_cli
from hub.cli.state import CliState
from hub.errors import PluginError
from hub.sync.runtime import Hub

from .conftest import API_KEY, WebConnector, every_kind_records

ENVELOPE = ('<soap:Envelope xmlns:soap="{ns}"><soap:Body>{body}</soap:Body></soap:Envelope>')
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"


def test_target_declaration() -> None:
    target = AccountingLinkTarget()
    assert (target.name, target.title) == ("accounting_link", "Accounting Link (QuickBooks Desktop)")
    assert {k.value for k in target.entities} == {
        "customer", "vendor", "inventory_item", "invoice", "payment", "parts_purchase", "sublet_detail",
        "parts_return"}
    assert str(target.delivery_mode) == "pull"
    for country in ("US", "CA"):
        assert target.unavailable_reason(Shop(id="s", name="s", country=country)) is None
    with pytest.raises(PluginError, match="pull target"):
        target.deliver(None, None)  # type: ignore[arg-type]


def test_settings_need_a_key_and_a_location_and_keep_only_a_hash() -> None:
    schema_ = AccountingLinkSettingsSchema()
    with pytest.raises(Exception) as missing:
        schema_.load({})
    assert set(missing.value.messages) == {"api_key", "location"}  # type: ignore[attr-defined]
    loaded = schema_.load({"api_key": API_KEY, "location": "loc-1"})
    assert "api_key" not in loaded and API_KEY not in json.dumps(loaded)
    assert verify_api_key(API_KEY, loaded["api_key_hash"])
    assert not verify_api_key("other", loaded["api_key_hash"])
    again = AccountingLinkSettingsSchema().load(loaded)  # the hub reloads stored settings
    assert again["api_key_hash"] == loaded["api_key_hash"]
    assert loaded["labor_item"] == "Labor" and loaded["asset_account"] == "Inventory Asset"
    assert "api_key" not in AccountingLinkSettingsSchema().dump(loaded)


def test_key_is_kept_hashed_among_the_secrets(al_hub: Hub, connection_id: int) -> None:
    ctx = al_hub.services.connection(connection_id)
    assert ctx is not None
    stored = ctx.secrets.get("api_key_hash")
    assert stored and stored.startswith("scrypt$") and API_KEY not in stored
    assert verify_api_key(API_KEY, stored)
    with al_hub.engine.connect() as conn:
        values = " ".join(str(tuple(row)) for row in conn.execute(text("SELECT * FROM connection_values")))
        settings = " ".join(str(row[0]) for row in conn.execute(text("SELECT settings FROM connections")))
    assert API_KEY not in values and API_KEY not in settings
    assert "scrypt$" in settings  # only the hash, as the schema loads it


def test_reconnecting_with_a_new_key_replaces_the_old_one(soap: Any, al_hub: Hub, al_shop: Shop,
                                                          connection_id: int) -> None:
    user = f"ledgerhub-{connection_id}"
    assert al_hub.connect(al_shop.id, "accounting_link", {"api_key": "", "location": "loc-1",
                                                          "labor_item": "Shop Labor"}) == connection_id
    assert soap.authenticate(user, API_KEY)[1] == "none"  # an empty key field keeps the stored key
    al_hub.connect(al_shop.id, "accounting_link", {"api_key": "a-brand-new-key", "location": "loc-1"})
    assert soap.authenticate(user, API_KEY)[1] == "nvu"
    assert soap.authenticate(user, "a-brand-new-key")[1] == "none"


def test_location_must_be_one_of_the_shops(al_hub: Hub, al_shop: Shop) -> None:
    with pytest.raises(ConfigurationError) as error:
        al_hub.connect(al_shop.id, "accounting_link", {"api_key": API_KEY, "location": "loc-9"})
    assert "loc-9" in str(error.value) or "location" in json.dumps(error.value.errors)


def test_status_line_waits_then_says_data_flowing(web_connector: WebConnector, al_hub: Hub, al_shop: Shop,
                                                  connection_id: int, clock: Any) -> None:
    assert al_hub.connection_status(connection_id) == "Waiting for the first contact from Accounting Link"
    al_hub.ingest(al_shop.id, every_kind_records()[:2])
    web_connector.run()
    assert al_hub.connection_status(connection_id) == "Data flowing, last exchange less than a minute ago"
    clock.advance(minutes=7)
    assert al_hub.connection_status(connection_id) == "Data flowing, last exchange 7 minutes ago"


def test_disconnect_refuses_the_web_connector(soap: Any, al_hub: Hub, connection_id: int) -> None:
    al_hub.disconnect(connection_id)
    assert soap.authenticate(f"ledgerhub-{connection_id}", API_KEY)[1] == "nvu"


def test_preview_is_the_qbxml_document(al_hub: Hub, al_shop: Shop, connection_id: int) -> None:
    records = every_kind_records()
    al_hub.ingest(al_shop.id, records)
    ctx = al_hub.services.connection(connection_id)
    state_before = dict(getattr(ctx.state, "values", lambda: {})())  # type: ignore[union-attr]
    [document] = al_hub.preview(al_shop.id, "accounting_link", records[5])
    assert document.content_type == "application/xml" and document.filename.endswith(".xml")
    assert "<InvoiceAddRq" in document.body and schema.problems(document.body) == []
    assert dict(getattr(ctx.state, "values", lambda: {})()) == state_before  # type: ignore[union-attr]


def test_qwc_download_is_guarded_by_the_ui(server_url: str, al_shop: Shop, connection_id: int) -> None:
    url = f"{server_url}/plugins/accounting_link/shops/{al_shop.id}/connections/{connection_id}/ledgerhub.qwc"
    answer = requests.get(url, allow_redirects=False, timeout=10)
    assert answer.status_code in (302, 303) and "sign" in answer.headers["Location"]


def test_connect_command_prints_user_name_and_writes_qwc(al_hub: Hub, al_shop: Shop, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    cli = build_cli(CliState(hub=al_hub))
    result = CliRunner().invoke(cli, ["connect", "accounting_link", "--shop", al_shop.id,
                                      "--set", f"api_key={API_KEY}", "--set", "location=loc-1"])
    assert result.exit_code == 0, result.output
    [connection] = al_hub.connections(al_shop.id)
    assert f"Web Connector user name: ledgerhub-{connection.id}" in result.output
    qwc = etree.parse(str(tmp_path / f"ledgerhub-{connection.id}.qwc")).getroot()
    assert qwc.tag == "QBWCXML"
    assert qwc.findtext("UserName") == f"ledgerhub-{connection.id}"
    assert qwc.findtext("AppURL").endswith("/qbwc") and qwc.findtext("QBType") == "QBFS"
    assert API_KEY not in (tmp_path / f"ledgerhub-{connection.id}.qwc").read_text()
    again = CliRunner().invoke(cli, ["accounting-link", "qwc", "--connection", str(connection.id),
                                     "--out", str(tmp_path / "out")])
    assert again.exit_code == 0, again.output
    assert (tmp_path / "out" / f"ledgerhub-{connection.id}.qwc").read_text() == \
        (tmp_path / f"ledgerhub-{connection.id}.qwc").read_text()


def test_check_command_reports_problems(tmp_path: Path, al_hub: Hub) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text('<?xml version="1.0"?><QBXML><QBXMLMsgsRq onError="stopOnError"><CustomerAddRq>'
                   "<CustomerAdd><Mobile>1</Mobile><Name>x</Name></CustomerAdd></CustomerAddRq>"
                   "</QBXMLMsgsRq></QBXML>")
    result = CliRunner().invoke(build_cli(CliState(hub=al_hub)), ["accounting-link", "check", str(bad)])
    assert result.exit_code == 1
    assert "qbxml version" in result.output and "Mobile" in result.output


def _post(server_url: str, body: str, ns: str = SOAP11, content_type: str = "text/xml") -> requests.Response:
    return requests.post(f"{server_url}/qbwc", data=ENVELOPE.format(ns=ns, body=body).encode(),
                         headers={"Content-Type": content_type}, timeout=10)


def test_soap_edges(server_url: str) -> None:
    assert requests.get(f"{server_url}/qbwc", timeout=10).status_code == 200
    garbage = requests.post(f"{server_url}/qbwc", data=b"<not soap", timeout=10)
    assert garbage.status_code == 400 and b"faultstring" in garbage.content
    unknown = _post(server_url, '<nope xmlns="http://developer.intuit.com/"/>')
    assert unknown.status_code == 400 and b"unknown operation" in unknown.content
    entity = ('<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
              + ENVELOPE.format(ns=SOAP11, body='<serverVersion xmlns="http://developer.intuit.com/"/>'))
    assert b"root:" not in requests.post(f"{server_url}/qbwc", data=entity.encode(), timeout=10).content
    soap12 = _post(server_url, '<serverVersion xmlns="http://developer.intuit.com/"/>', SOAP12,
                   "application/soap+xml")
    assert soap12.status_code == 200 and SOAP12.encode() in soap12.content
    assert soap12.headers["Content-Type"].startswith("application/soap+xml")
    assert b"LedgerHub Accounting Link" in soap12.content


def test_answer_shape_matches_the_wsdl(server_url: str, connection_id: int) -> None:
    body = (f'<authenticate xmlns="http://developer.intuit.com/"><strUserName>ledgerhub-{connection_id}'
            f"</strUserName><strPassword>{API_KEY}</strPassword></authenticate>")
    answer = etree.fromstring(_post(server_url, body).content)
    ns = {"s": SOAP11, "i": "http://developer.intuit.com/"}
    strings = answer.xpath("/s:Envelope/s:Body/i:authenticateResponse/i:authenticateResult/i:string/text()",
                           namespaces=ns)
    assert strings[1:] == ["none"] and len(strings[0]) > 20


def test_a_second_location_needs_its_own_connection(al_hub: Hub, al_shop: Shop, web_connector: WebConnector,
                                                    quickbooks: Any) -> None:
    two = replace(al_shop, locations=(*al_shop.locations, replace(al_shop.locations[0], id="loc-2")))
    al_hub.update_shop(two)
    records = every_kind_records()
    elsewhere = replace(records[5], id="INV-2", number="1002", location_id="loc-2")
    its_payment = replace(records[6], id="PAY-9", invoice_id="INV-2")
    al_hub.ingest(al_shop.id, [*records[:6], elsewhere, its_payment])
    web_connector.run()
    assert [i.fields["RefNumber"] for i in quickbooks.of_kind("Invoice")] == ["1001"]
    assert quickbooks.of_kind("ReceivePayment") == []
    for kind, source in (("invoice", "INV-2"), ("payment", "PAY-9")):
        assert al_hub.delivery_history(al_shop.id, kind, source)[-1].status == "delivered"


def test_qwc_download_for_a_signed_in_user(server_app: Any, al_hub: Hub, al_shop: Shop,
                                           connection_id: int) -> None:
    al_hub.create_user(al_shop.id, "owner@example.com", "correct horse battery")
    client = server_app.test_client()
    with client.session_transaction() as session:
        session["ledgerhub_user"] = {"email": "owner@example.com", "shop_id": al_shop.id, "operator": False}
    url = f"/plugins/accounting_link/shops/{al_shop.id}/connections/{connection_id}/ledgerhub.qwc"
    answer = client.get(url)
    assert answer.status_code == 200, answer.data[:300]
    assert answer.headers["Content-Disposition"] == f'attachment; filename="ledgerhub-{connection_id}.qwc"'
    qwc = etree.fromstring(answer.data)
    assert qwc.findtext("UserName") == f"ledgerhub-{connection_id}"
    assert qwc.findtext("AppURL") == "http://127.0.0.1:5000/qbwc"
    assert client.get(url.replace(al_shop.id, "other-shop")).status_code in (403, 404)


def test_simulate_command_delivers_without_windows(al_hub: Hub, al_shop: Shop, connection_id: int,
                                                   tmp_path: Path) -> None:
    records = every_kind_records()
    al_hub.ingest(al_shop.id, records)
    cli = build_cli(CliState(hub=al_hub))
    books = tmp_path / "books.json"
    args = ["accounting-link", "simulate", "--connection", str(connection_id), "--key", API_KEY,
            "--books", str(books)]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert "done: 100 %" in first.output and "Invoice         1" in first.output
    al_hub.ingest(al_shop.id, [replace(records[0], phone="555-0142")])
    second = CliRunner().invoke(cli, args)
    assert second.exit_code == 0, second.output
    saved = json.loads(books.read_text())["entries"]
    [ann] = [e for e in saved if e["fields"].get("Name") == "Ann Lee"]
    assert ann["fields"]["Phone"] == "555-0142"
    assert al_hub.needs_attention(connection_id) == []
    wrong = CliRunner().invoke(cli, [*args[:5], "nope", *args[6:]])
    assert wrong.exit_code != 0 and "refused" in wrong.output
