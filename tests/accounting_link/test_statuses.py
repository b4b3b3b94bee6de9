"""QuickBooks status codes in whole conversations: 0, 3100 (both rules), 3200, errors that need a
person, errors that retry, and transport-level failures (hresult, connectionError)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D
from typing import Any

import pytest
import zeep
from ledgerhub_accounting_link import exchange
from ledgerhub_accounting_link.fake_quickbooks import FakeQuickBooks

from hub import Customer, Invoice, InvoiceStatus, Shop
from hub.domain.kinds import EntityKind
from hub.sync.runtime import Hub

from .conftest import API_KEY, WebConnector, every_kind_records


def _last(al_hub: Hub, shop: Shop, kind: EntityKind, source_id: str) -> Any:
    return al_hub.delivery_history(shop.id, kind, source_id)[-1]


def test_name_in_use_by_same_list_links_to_existing(web_connector: WebConnector, quickbooks: FakeQuickBooks,
                                                    al_hub: Hub, al_shop: Shop) -> None:
    existing = quickbooks.add_list_element("Customer", "Ann Lee")
    al_hub.ingest(al_shop.id, every_kind_records())
    web_connector.run()
    assert [c.fields["Name"] for c in quickbooks.of_kind("Customer")].count("Ann Lee") == 1
    delivery = _last(al_hub, al_shop, EntityKind.CUSTOMER, "C-1")
    assert delivery.status == "delivered"
    assert any("already existed; linked" in w for w in delivery.warnings)
    assert quickbooks.of_kind("Invoice")[0].fields["CustomerRef"] == existing.id


def test_name_in_use_by_other_list_adds_under_unique_name(web_connector: WebConnector,
                                                          quickbooks: FakeQuickBooks, al_hub: Hub,
                                                          al_shop: Shop) -> None:
    vendor = quickbooks.add_list_element("Vendor", "Ann Lee")
    al_hub.ingest(al_shop.id, every_kind_records())
    web_connector.run()
    customers = {c.fields["Name"]: c for c in quickbooks.of_kind("Customer")}
    renamed = [name for name in customers if name.startswith("Ann Lee ~")]
    assert len(renamed) == 1 and len(renamed[0]) <= 41
    delivery = _last(al_hub, al_shop, EntityKind.CUSTOMER, "C-1")
    assert delivery.status == "delivered"
    assert any("used by another QuickBooks list" in w for w in delivery.warnings)
    assert quickbooks.of_kind("Invoice")[0].fields["CustomerRef"] == customers[renamed[0]].id
    assert quickbooks.entries[vendor.id].fields["Name"] == "Ann Lee"


def test_stale_edit_sequence_is_requeried_and_retried(web_connector: WebConnector, quickbooks: FakeQuickBooks,
                                                      al_hub: Hub, al_shop: Shop) -> None:
    records = every_kind_records()
    al_hub.ingest(al_shop.id, records)
    web_connector.run()
    customer = next(c for c in quickbooks.of_kind("Customer") if c.fields["Name"] == "Ann Lee")
    quickbooks.touch(customer.id)  # someone edits the customer in QuickBooks meanwhile
    changed = replace(records[0], phone="555-0199")
    assert isinstance(changed, Customer)
    al_hub.ingest(al_shop.id, [changed])
    tags_before = len(quickbooks.requests)
    run = web_connector.run()
    assert run.percents[-1] == 100
    sent = "".join(quickbooks.requests[tags_before:])
    assert sent.count("<CustomerModRq") == 2 and "<CustomerQueryRq" in sent
    assert quickbooks.entries[customer.id].fields["Phone"] == "555-0199"
    delivery = _last(al_hub, al_shop, EntityKind.CUSTOMER, "C-1")
    assert (delivery.status, delivery.action) == ("delivered", "update")
    assert len([c for c in quickbooks.of_kind("Customer") if c.fields["Name"] == "Ann Lee"]) == 1


def test_invoice_change_becomes_invoice_mod(web_connector: WebConnector, quickbooks: FakeQuickBooks,
                                            al_hub: Hub, al_shop: Shop) -> None:
    records = every_kind_records()
    al_hub.ingest(al_shop.id, records)
    web_connector.run()
    invoice = records[5]
    assert isinstance(invoice, Invoice)
    al_hub.ingest(al_shop.id, [replace(invoice, invoice_date=invoice.invoice_date.replace(day=6))])
    web_connector.run()
    [stored] = quickbooks.of_kind("Invoice")
    assert stored.fields["TxnDate"] == "2026-01-06"
    assert len(stored.lines) == 7  # lines replaced, not appended


def test_other_errors_need_attention_with_quickbooks_message(web_connector: WebConnector,
                                                             quickbooks: FakeQuickBooks, al_hub: Hub,
                                                             al_shop: Shop, connection_id: int) -> None:
    message = ("There was an error when saving a Invoice. "
               "QuickBooks error message: The credit limit is exceeded.")
    quickbooks.inject("InvoiceAddRq", 3180, message)
    al_hub.ingest(al_shop.id, every_kind_records())
    run = web_connector.run()
    assert run.percents[-1] == 100
    listed = al_hub.needs_attention(connection_id)
    [stuck] = [d for d in listed if d.status == "needs_attention"]
    assert (stuck.kind, stuck.source_id) == ("invoice", "INV-1")
    assert "3180" in stuck.last_error and "credit limit is exceeded" in stuck.last_error
    assert {d.waiting_on for d in listed if d.kind == "payment"} == {"invoice INV-1"}
    assert quickbooks.of_kind("Invoice") == [] and quickbooks.of_kind("ReceivePayment") == []
    assert len(quickbooks.of_kind("Bill")) == 2  # the rest keeps flowing
    al_hub.retry(stuck.id)  # the shop raised the credit limit in QuickBooks
    web_connector.run()
    assert al_hub.needs_attention(connection_id) == []
    assert len(quickbooks.of_kind("Invoice")) == 1 and len(quickbooks.of_kind("ReceivePayment")) == 2


def test_locked_record_is_retried_later(web_connector: WebConnector, quickbooks: FakeQuickBooks,
                                        al_hub: Hub, al_shop: Shop, connection_id: int, clock: Any) -> None:
    quickbooks.inject("VendorCreditAddRq", 3175, "Cannot perform this operation: the record is in use.")
    al_hub.ingest(al_shop.id, every_kind_records())
    web_connector.run()
    assert al_hub.needs_attention(connection_id) == []
    assert _last(al_hub, al_shop, EntityKind.PARTS_RETURN, "RET-1").status == "pending"
    clock.advance(hours=1)
    web_connector.run()
    assert _last(al_hub, al_shop, EntityKind.PARTS_RETURN, "RET-1").status == "delivered"
    assert len(quickbooks.of_kind("VendorCredit")) == 1


def test_voided_invoice_is_voided_in_quickbooks(web_connector: WebConnector, quickbooks: FakeQuickBooks,
                                                al_hub: Hub, al_shop: Shop) -> None:
    records = every_kind_records()[:6]
    al_hub.ingest(al_shop.id, records)
    web_connector.run()
    invoice = records[5]
    assert isinstance(invoice, Invoice)
    al_hub.ingest(al_shop.id, [replace(invoice, status=InvoiceStatus.VOIDED)])
    web_connector.run()
    [stored] = [e for e in quickbooks.entries.values() if e.kind == "Invoice"]
    assert stored.voided
    assert _last(al_hub, al_shop, EntityKind.INVOICE, "INV-1").status == "delivered"


def test_hresult_from_web_connector_hands_work_back(soap: Any, quickbooks: FakeQuickBooks, al_hub: Hub,
                                                     al_shop: Shop, connection_id: int,
                                                     web_connector: WebConnector) -> None:
    al_hub.ingest(al_shop.id, every_kind_records())
    ticket = soap.authenticate(f"ledgerhub-{connection_id}", API_KEY)[0]
    assert soap.sendRequestXML(ticket, "", "", "US", 13, 0)
    parse_error = "QuickBooks found an error when parsing the provided XML text stream."
    assert soap.receiveResponseXML(ticket, "", "0x80040400", parse_error) == -1
    assert "parsing the provided XML" in soap.getLastError(ticket)
    soap.closeConnection(ticket)
    assert quickbooks.requests == []
    run = web_connector.run()
    assert run.percents[-1] == 100
    assert al_hub.needs_attention(connection_id) == []


def test_connection_error_ends_the_run(soap: Any, al_hub: Hub, al_shop: Shop, connection_id: int,
                                       web_connector: WebConnector) -> None:
    al_hub.ingest(al_shop.id, every_kind_records())
    ticket = soap.authenticate(f"ledgerhub-{connection_id}", API_KEY)[0]
    assert soap.connectionError(ticket, "0x80040401", "Could not access QuickBooks.") == "DONE"
    assert "Could not access QuickBooks" in soap.getLastError(ticket)
    assert web_connector.run().percents[-1] == 100


def test_old_quickbooks_is_told_what_is_needed(soap: Any, al_hub: Hub, al_shop: Shop,
                                               connection_id: int) -> None:
    al_hub.ingest(al_shop.id, every_kind_records())
    ticket = soap.authenticate(f"ledgerhub-{connection_id}", API_KEY)[0]
    assert soap.sendRequestXML(ticket, "", "", "US", 8, 0) in ("", None)
    assert "13.0" in soap.getLastError(ticket)


def test_a_builder_bug_stops_only_that_record(web_connector: WebConnector, quickbooks: FakeQuickBooks,
                                              al_hub: Hub, al_shop: Shop, connection_id: int,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    real_build = exchange.build

    def broken(bctx: Any, step: Any, request_id: str) -> Any:
        if step.delivery.kind == EntityKind.PARTS_RETURN:
            raise ZeroDivisionError("boom")
        return real_build(bctx, step, request_id)

    monkeypatch.setattr(exchange, "build", broken)
    al_hub.ingest(al_shop.id, every_kind_records())
    assert web_connector.run().percents[-1] == 100
    [stuck] = al_hub.needs_attention(connection_id)
    assert stuck.source_id == "RET-1" and "could not build the qbXML request" in stuck.last_error
    assert len(quickbooks.of_kind("Invoice")) == 1 and quickbooks.of_kind("VendorCredit") == []


def test_an_unexpected_failure_is_a_soap_fault(soap: Any, server_app: Any,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    service = server_app.blueprints["accounting_link_qbwc"].web_connector
    monkeypatch.setattr(service, "server_version", lambda: 1 / 0)
    with pytest.raises(zeep.exceptions.Fault, match="could not handle this call"):
        soap.serverVersion()


def test_inventory_count_changes_become_an_adjustment(web_connector: WebConnector,
                                                      quickbooks: FakeQuickBooks, al_hub: Hub, al_shop: Shop,
                                                      connection_id: int) -> None:
    records = every_kind_records()
    al_hub.ingest(al_shop.id, records[:5])
    web_connector.run()
    [item] = quickbooks.of_kind("ItemInventory")
    assert D(item.fields["QuantityOnHand"]) == 4
    sent = len(quickbooks.requests)
    al_hub.ingest(al_shop.id, [replace(records[4], quantity_on_hand=D("7"), price=D("47.00"))])
    web_connector.run()
    later = "".join(quickbooks.requests[sent:])
    assert "<ItemInventoryModRq" in later and "<InventoryAdjustmentAddRq" in later
    assert D(item.fields["QuantityOnHand"]) == 7 and D(item.fields["SalesPrice"]) == D("47.00")
    sent = len(quickbooks.requests)
    al_hub.ingest(al_shop.id, [replace(records[4], quantity_on_hand=D("7"), price=D("48.00"))])
    web_connector.run()
    assert "InventoryAdjustmentAddRq" not in "".join(quickbooks.requests[sent:])  # the count did not change
    assert al_hub.needs_attention(connection_id) == []


def test_payment_methods_are_sent_when_named(web_connector: WebConnector, quickbooks: FakeQuickBooks,
                                             al_hub: Hub, al_shop: Shop, connection_id: int) -> None:
    settings = {"api_key": API_KEY, "location": "loc-1", "payment_method_card": "Visa",
                "payment_method_cash": "Bitcoin"}
    al_hub.connect(al_shop.id, "accounting_link", settings)
    al_hub.ingest(al_shop.id, every_kind_records())
    web_connector.run()
    [card] = quickbooks.of_kind("ReceivePayment")
    assert card.fields["RefNumber"] == "AUTH77"
    assert "<FullName>Visa</FullName>" in "".join(quickbooks.requests)
    [stuck] = al_hub.needs_attention(connection_id)
    assert stuck.source_id == "PAY-2" and "3140" in stuck.last_error and "Bitcoin" in stuck.last_error
