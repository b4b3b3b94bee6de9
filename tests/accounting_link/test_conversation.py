"""Whole Web Connector conversations over SOAP (zeep, Intuit's WSDL) against the running app."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D
from typing import Any

from ledgerhub_accounting_link.fake_quickbooks import FakeQuickBooks

from hub import InvoiceStatus
from hub.domain.generator import generate_history
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



def test_a_generated_history_arrives_whole(web_connector: WebConnector, quickbooks: FakeQuickBooks,
                                           al_hub: Hub, connection_id: int, al_shop: Any) -> None:
    history = list(generate_history(5, al_shop, 40))
    al_hub.ingest(al_shop.id, history)
    run = web_connector.run()
    assert run.documents > 3
    assert run.percents == sorted(run.percents) and run.percents[-1] == 100
    assert 0 < run.percents[0] < 100
    assert al_hub.needs_attention(connection_id) == []
    qb_type = {"customer": "Customer", "vendor": "Vendor", "inventory_item": "ItemInventory",
               "invoice": "Invoice", "payment": "ReceivePayment", "parts_return": "VendorCredit"}
    latest = {(r.kind, r.id): r for r in history}.values()
    live = [r for r in latest if not getattr(r, "voided", False)
            and getattr(r, "status", InvoiceStatus.CLOSED) != InvoiceStatus.VOIDED]
    for kind, qb in qb_type.items():
        assert len(quickbooks.of_kind(qb)) == len([r for r in live if r.kind.value == kind]), kind
    bills = [r for r in live if r.kind.value in ("parts_purchase", "sublet_detail")]
    assert len(quickbooks.of_kind("Bill")) == len(bills)
    warned = [w for r in history for d in al_hub.delivery_history(al_shop.id, r.kind, r.id)[-1:]
              for w in d.warnings if "total" in w]
    assert warned == []  # QuickBooks' totals match every repair order's


def test_sales_tax_item_is_sent_to_us_quickbooks_only(web_connector: WebConnector, quickbooks: FakeQuickBooks,
                                                      al_hub: Hub, al_shop: Any) -> None:
    al_hub.connect(al_shop.id, "accounting_link",
                   {"api_key": API_KEY, "location": "loc-1", "sales_tax_item": "Sales Tax"})
    records = every_kind_records()[:6]
    al_hub.ingest(al_shop.id, records)
    web_connector.run()
    assert "<ItemSalesTaxRef>" in quickbooks.requests[-1]
    web_connector.country = "CA"
    al_hub.ingest(al_shop.id, [replace(records[5], number="1001A")])
    web_connector.run()
    assert "<InvoiceModRq" in quickbooks.requests[-1] and "<ItemSalesTaxRef>" not in quickbooks.requests[-1]


def test_history_start_mode_sends_what_was_stored_before(soap: Any, quickbooks: FakeQuickBooks, al_hub: Hub,
                                                         al_shop: Any) -> None:
    al_hub.ingest(al_shop.id, every_kind_records())
    connection = al_hub.connect(al_shop.id, "accounting_link", {"api_key": API_KEY, "location": "loc-1"},
                                start_mode="history")
    run = WebConnector(soap, quickbooks, f"ledgerhub-{connection}").run()
    assert run.percents[-1] == 100
    assert len(quickbooks.of_kind("Invoice")) == 1 and len(quickbooks.of_kind("ReceivePayment")) == 2
    assert al_hub.needs_attention(connection) == []
