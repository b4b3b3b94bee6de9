"""Whole Web Connector conversations over SOAP (zeep, Intuit's WSDL) against the running app."""

from __future__ import annotations

from typing import Any

from ledgerhub_accounting_link.fake_quickbooks import FakeQuickBooks

from hub.domain.kinds import EntityKind
from hub.sync.runtime import Hub

from .conftest import API_KEY, WebConnector, every_kind_records


def test_wrong_key_answers_nvu_and_ingests_nothing(web_connector: WebConnector, al_hub: Hub,
                                                    connection_id: int) -> None:
    run = web_connector.run(password="not-the-key")
    assert run.auth[1] == "nvu"
    assert al_hub.connection_status(connection_id) == "Waiting for the first contact from Accounting Link"


def test_unknown_user_answers_nvu(soap: Any, connection_id: int) -> None:
    assert soap.authenticate(f"ledgerhub-{connection_id + 99}", API_KEY)[1] == "nvu"
    assert soap.authenticate("someone-else", API_KEY)[1] == "nvu"


def test_empty_queue_answers_none(web_connector: WebConnector, al_hub: Hub, connection_id: int) -> None:
    run = web_connector.run()
    assert run.auth[1] == "none"
    assert run.documents == 0
    assert al_hub.connection_status(connection_id).startswith("Data flowing, last exchange")


def test_every_kind_in_one_run(web_connector: WebConnector, quickbooks: FakeQuickBooks, al_hub: Hub,
                               connection_id: int, al_shop: Any) -> None:
    al_hub.ingest(al_shop.id, every_kind_records())
    run = web_connector.run()
    assert run.auth[1] in ("", None)  # zeep reads an empty string item as None
    assert run.percents[-1] == 100
    assert run.percents == sorted(run.percents)
    assert run.closed.startswith("OK")
    counts = {kind: len(quickbooks.of_kind(kind)) for kind in
              ("Customer", "Vendor", "ItemInventory", "Invoice", "ReceivePayment", "Bill", "VendorCredit")}
    assert counts == {"Customer": 2, "Vendor": 2, "ItemInventory": 1, "Invoice": 1, "ReceivePayment": 2,
                      "Bill": 2, "VendorCredit": 1}
    assert al_hub.needs_attention(connection_id) == []
    invoice = quickbooks.of_kind("Invoice")[0]
    assert quickbooks.totals(invoice) == (D("298.00"), D("3.71"))
    payments = quickbooks.of_kind("ReceivePayment")
    assert {p.lines[0]["TxnID"] for p in payments} == {invoice.id}
    customer = next(c for c in quickbooks.of_kind("Customer") if c.fields["Name"] == "Ann Lee")
    assert invoice.fields["CustomerRef"] == customer.id
    history = al_hub.delivery_history(al_shop.id, EntityKind.INVOICE, "INV-1")
    assert history[-1].status == "delivered"


from decimal import Decimal as D  # noqa: E402
