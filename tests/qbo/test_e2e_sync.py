"""End to end through the hub, python-quickbooks and intuit-oauth, against the QBO sandbox."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from hub.domain.records import Invoice, InvoiceStatus, Payment, PaymentMethod, Shop, Vendor
from hub.errors import ConfigurationError

from .conftest import customer, full_invoice
from .sandbox_hub import connect, settings_for


def _payment(pid: str, invoice: Invoice, amount: str, voided: bool = False) -> Payment:
    return Payment(id=pid, invoice_id=invoice.id, amount=Decimal(amount), method=PaymentMethod.CARD,
                   received_on=date(2026, 11, 21), reference=f"AUTH-{pid}", voided=voided)


def test_a_full_repair_order_lands_with_the_same_total_to_the_cent(qbo_hub, sandbox, us_shop):
    conn = connect(qbo_hub, sandbox, us_shop)
    invoice = full_invoice()
    qbo_hub.ingest(us_shop.id, [customer(), invoice])
    conn.sync()
    assert conn.history("invoice", invoice.id).status == "delivered"
    [stored] = conn.objects("Invoice")
    assert Decimal(str(stored["TotalAmt"])) == invoice.total
    assert stored["DocNumber"] == "1042" and "RO RO-1042" in stored["PrivateNote"]
    items = {i["Id"]: i["Name"] for i in conn.objects("Item")}
    names = [items[line["SalesItemLineDetail"]["ItemRef"]["value"]]
             for line in stored["Line"] if line.get("DetailType") == "SalesItemLineDetail"]
    assert sorted(set(names)) == ["Hazmats", "Labor", "Labor Discounts", "Parts", "Parts Discounts",
                                  "Shop Supplies", "Sublets"]
    assert not conn.history("invoice", invoice.id).warnings
    creates = [e for e in sandbox.request_log(conn.realm)
               if e["method"] == "POST" and e.get("operation") in ("customer", "invoice")]
    assert len(creates) == 2 and all(len(e["params"].get("requestid", "")) == 36 for e in creates)
    assert qbo_hub.connection_status(conn.connection_id).startswith("Connected, last sync")


def test_connect_creates_the_eight_items_once_and_reuses_existing_ones(qbo_hub, sandbox, us_shop):
    conn = connect(qbo_hub, sandbox, us_shop)
    names = sorted(i["Name"] for i in conn.objects("Item"))
    assert names == ["Hazmats", "Hours", "Labor", "Labor Discounts", "Parts", "Parts Discounts",
                     "Shop Supplies", "Sublets"]
    for item in conn.objects("Item"):
        assert item["IncomeAccountRef"]["value"]
    qbo_hub.connect(us_shop.id, "qbo", settings_for(sandbox))  # reconnect: same items
    assert len(conn.objects("Item")) == 8


def test_a_renamed_or_deleted_item_is_created_again_and_a_warning_names_it(qbo_hub, sandbox, us_shop):
    conn = connect(qbo_hub, sandbox, us_shop)
    by_name = {i["Name"]: i["Id"] for i in conn.objects("Item")}
    sandbox.rename_item(conn.realm, by_name["Parts"], "Part")
    sandbox.delete_item(conn.realm, by_name["Labor"])
    invoice = full_invoice()
    qbo_hub.ingest(us_shop.id, [customer(), invoice])
    conn.sync()
    active = {i["Name"]: i["Id"] for i in conn.objects("Item") if i.get("Active", True)}
    assert active["Parts"] != by_name["Parts"] and "Part" in active
    assert "Labor" in active
    warnings = " ".join(qbo_hub.connection_warnings(conn.connection_id))
    assert '"Parts"' in warnings and '"Labor"' in warnings
    [stored] = conn.objects("Invoice")
    used = {line["SalesItemLineDetail"]["ItemRef"]["value"] for line in stored["Line"]
            if line.get("DetailType") == "SalesItemLineDetail"}
    assert active["Parts"] in used and by_name["Parts"] not in used


def test_a_display_name_held_by_a_vendor_gets_the_customer_id_and_a_warning(qbo_hub, sandbox, us_shop):
    conn = connect(qbo_hub, sandbox, us_shop)
    conn.api("POST", "vendor", {"DisplayName": "John Smith"})
    qbo_hub.ingest(us_shop.id, [customer("C-1")])
    conn.sync()
    delivered = conn.history("customer", "C-1")
    assert delivered.status == "delivered"
    [stored] = conn.objects("Customer")
    assert stored["DisplayName"] == "John Smith (C-1)"
    assert any("John Smith (C-1)" in w and "vendor" in w for w in delivered.warnings)


def test_the_same_person_already_in_quickbooks_is_adopted_not_duplicated(qbo_hub, sandbox, us_shop):
    conn = connect(qbo_hub, sandbox, us_shop)
    conn.api("POST", "customer", {"DisplayName": "John Smith",
                                  "PrimaryEmailAddr": {"Address": "john@example.com"}})
    qbo_hub.ingest(us_shop.id, [customer("C-1")])
    conn.sync()
    assert [c["DisplayName"] for c in conn.objects("Customer")] == ["John Smith"]
    assert conn.history("customer", "C-1").status == "delivered"


def test_an_edited_invoice_is_a_sparse_update_even_after_quickbooks_moved_its_sync_token(
        qbo_hub, sandbox, us_shop, clock):
    conn = connect(qbo_hub, sandbox, us_shop)
    invoice = full_invoice()
    qbo_hub.ingest(us_shop.id, [customer(), invoice, _payment("P-1", invoice, "100.00")])
    conn.sync()
    [stored] = conn.objects("Invoice")
    conn.api("POST", "invoice", {"Id": stored["Id"], "SyncToken": conn.objects("Invoice")[0]["SyncToken"],
                                 "sparse": True, "CustomerMemo": {"value": "Thanks!"}})
    edited = full_invoice(shop_supplies=Decimal("20.00"))
    qbo_hub.ingest(us_shop.id, [edited])
    conn.sync(clock, rounds=2)
    assert conn.history("invoice", invoice.id).status == "delivered"
    [after] = conn.objects("Invoice")
    assert after["Id"] == stored["Id"]
    assert Decimal(str(after["TotalAmt"])) == edited.total
    assert int(after["SyncToken"]) > int(stored["SyncToken"])


def test_split_and_partial_payments_and_voids(qbo_hub, sandbox, us_shop, clock):
    conn = connect(qbo_hub, sandbox, us_shop)
    invoice = full_invoice()
    first, second = _payment("P-1", invoice, "200.00"), _payment("P-2", invoice, "100.00")
    qbo_hub.ingest(us_shop.id, [customer(), invoice, first, second])
    conn.sync()
    [stored] = conn.objects("Invoice")
    assert Decimal(str(stored["Balance"])) == invoice.total - Decimal("300.00")
    payments = conn.objects("Payment")
    assert len(payments) == 2
    assert all(p["Line"][0]["LinkedTxn"][0]["TxnId"] == stored["Id"] for p in payments)
    qbo_hub.ingest(us_shop.id, [_payment("P-2", invoice, "100.00", voided=True)])
    conn.sync(clock, rounds=2)
    assert Decimal(str(conn.objects("Invoice")[0]["Balance"])) == invoice.total - Decimal("200.00")
    voided = replace(invoice, status=InvoiceStatus.VOIDED)
    qbo_hub.ingest(us_shop.id, [voided])
    conn.sync(clock, rounds=2)
    # QuickBooks will not void an invoice that still has a payment applied: a person sees why.
    stopped = conn.history("invoice", invoice.id)
    assert stopped.status == "needs_attention" and "payments applied" in stopped.last_error
    qbo_hub.ingest(us_shop.id, [_payment("P-1", invoice, "200.00", voided=True)])
    conn.sync(clock, rounds=2)
    qbo_hub.retry(stopped.id)
    conn.sync(clock, rounds=2)
    assert conn.history("invoice", invoice.id).status == "delivered"
    assert Decimal(str(conn.objects("Invoice")[0]["TotalAmt"])) == 0


def test_a_different_tax_rate_in_quickbooks_is_flagged_with_both_totals(qbo_hub, sandbox, us_shop):
    conn = connect(qbo_hub, sandbox, us_shop)
    sandbox.set_tax_rate(conn.realm, "0.0725")
    invoice = full_invoice()
    qbo_hub.ingest(us_shop.id, [customer(), invoice])
    conn.sync()
    delivered = conn.history("invoice", invoice.id)
    assert delivered.status == "delivered"
    qbo_total = Decimal(str(conn.objects("Invoice")[0]["TotalAmt"]))
    assert qbo_total != invoice.total
    [warning] = delivered.warnings
    assert f"{qbo_total:.2f}" in warning and f"{invoice.total:.2f}" in warning and "tax rate" in warning


def test_canada_is_refused_with_accounting_link_named(qbo_hub, sandbox, hub_config):
    canadian = Shop(id="shop-ca", name="Maple Auto", country="CA")
    qbo_hub.create_shop(canadian)
    with pytest.raises(ConfigurationError) as refused:
        qbo_hub.connect(canadian.id, "qbo", settings_for(sandbox))
    assert "Canada" in str(refused.value) and "Accounting Link" in str(refused.value)


def test_a_vendor_record_is_never_handed_to_quickbooks(qbo_hub, sandbox, us_shop):
    conn = connect(qbo_hub, sandbox, us_shop)
    qbo_hub.ingest(us_shop.id, [Vendor(id="V-1", name="Joe's Alignment")])
    conn.sync()
    assert conn.objects("Vendor") == []


def test_a_us_shop_cannot_connect_to_a_canadian_quickbooks_company(qbo_hub, us_shop):
    from ledgerhub_qbo_sandbox import SandboxServer

    with SandboxServer(port=0, time_scale=100, auto_approve=True, country="CA") as canadian:
        with pytest.raises(ConfigurationError) as refused:
            connect(qbo_hub, canadian, us_shop)
        assert "set up for CA" in str(refused.value) and "Accounting Link" in str(refused.value)
        assert canadian.objects(canadian.default_realm_id, "Item") == []


def test_a_customer_made_inactive_in_quickbooks_is_made_active_again_with_a_warning(
        qbo_hub, sandbox, us_shop):
    conn = connect(qbo_hub, sandbox, us_shop)
    qbo_hub.ingest(us_shop.id, [customer()])
    conn.sync()
    [stored] = conn.objects("Customer")
    sandbox.set_active(conn.realm, "Customer", stored["Id"], False)
    invoice = full_invoice()
    qbo_hub.ingest(us_shop.id, [invoice])
    conn.sync()
    delivered = conn.history("invoice", invoice.id)
    assert delivered.status == "delivered"
    assert any("inactive" in w and "John Smith" in w for w in delivered.warnings)
    assert conn.objects("Customer")[0]["Active"] is True
    assert len(conn.objects("Invoice")) == 1
