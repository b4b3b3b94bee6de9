"""Shop records → QuickBooks JSON: lines, tax codes, memo, limits, customers, payments."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from ledgerhub_qbo import items, mapping
from ledgerhub_qbo.client import to_json

from hub.domain.records import Address, Payment, PaymentMethod
from hub.errors import NeedsAttentionError
from hub.plugin.target import ExternalRef

from .conftest import customer, full_invoice

ITEM_IDS = {name: str(n + 1) for n, name in enumerate(items.ITEM_NAMES)}


def _by_item(lines: list[dict]) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for line in lines:
        found.setdefault(line["SalesItemLineDetail"]["ItemRef"]["name"], []).append(line)
    return found


def test_every_line_kind_lands_on_its_item_and_adds_up_to_the_subtotal(shop):
    invoice = full_invoice()
    body = mapping.invoice_body(invoice, shop, ITEM_IDS, ExternalRef("58"))
    lines = _by_item(body["Line"])
    assert [len(lines[n]) for n in ("Labor", "Parts", "Sublets", "Shop Supplies", "Hazmats",
                                    "Labor Discounts", "Parts Discounts")] == [2, 2, 1, 1, 2, 1, 1]
    assert "Hours" not in lines
    assert sum((line["Amount"] for line in body["Line"]), Decimal(0)) == invoice.subtotal
    for line in body["Line"]:
        detail = line["SalesItemLineDetail"]
        assert detail["ItemRef"]["value"] == ITEM_IDS[detail["ItemRef"]["name"]]
        assert (detail["Qty"] * detail["UnitPrice"]).quantize(Decimal("0.01")) == line["Amount"]


def test_labor_is_hours_at_the_rate_and_parts_carry_the_part_number(shop):
    body = mapping.invoice_body(full_invoice(), shop, ITEM_IDS, ExternalRef("58"))
    labor = _by_item(body["Line"])["Labor"][0]
    assert labor["SalesItemLineDetail"]["Qty"] == Decimal("1.5")
    assert labor["SalesItemLineDetail"]["UnitPrice"] == Decimal("120.00")
    assert labor["Amount"] == Decimal("180.00")
    rotor = _by_item(body["Line"])["Parts"][1]
    assert rotor["Description"].startswith("RT-10")
    assert rotor["SalesItemLineDetail"]["Qty"] == Decimal("2")


def test_discounts_are_negative_lines(shop):
    lines = _by_item(mapping.invoice_body(full_invoice(), shop, ITEM_IDS, ExternalRef("58"))["Line"])
    assert lines["Labor Discounts"][0]["Amount"] == Decimal("-10.00")
    assert lines["Parts Discounts"][0]["Amount"] == Decimal("-5.00")


def test_tax_codes_follow_the_shops_taxable_categories_and_no_rate_is_sent(shop):
    body = mapping.invoice_body(full_invoice(), shop, ITEM_IDS, ExternalRef("58"))
    codes = {name: {line["SalesItemLineDetail"]["TaxCodeRef"]["value"] for line in lines}
             for name, lines in _by_item(body["Line"]).items()}
    assert codes == {"Labor": {"NON"}, "Parts": {"TAX"}, "Sublets": {"NON"}, "Shop Supplies": {"TAX"},
                     "Hazmats": {"NON"}, "Labor Discounts": {"NON"}, "Parts Discounts": {"TAX"}}
    text = to_json(body)
    assert "TxnTaxDetail" not in text and "0.0825" not in text and "TaxRate" not in text


def test_doc_number_customer_and_memo(shop):
    body = mapping.invoice_body(full_invoice(), shop, ITEM_IDS, ExternalRef("58"))
    assert body["DocNumber"] == "1042"
    assert body["CustomerRef"] == {"value": "58"}
    assert body["TxnDate"] == "2026-11-20"
    assert "RO RO-1042" in body["PrivateNote"] and "2016 Honda Civic" in body["PrivateNote"]
    assert "84211" in body["PrivateNote"]


def test_an_invoice_number_over_21_characters_is_refused_before_sending(shop):
    with pytest.raises(NeedsAttentionError, match="21"):
        mapping.invoice_body(full_invoice(number="X" * 22), shop, ITEM_IDS, ExternalRef("58"))


def test_money_is_written_as_exact_json_numbers(shop):
    body = mapping.invoice_body(full_invoice(), shop, ITEM_IDS, ExternalRef("58"))
    text = to_json(body)
    assert '"Amount": 89.99' in text and '"UnitPrice": 64.50' in text
    parsed = json.loads(text, parse_float=Decimal)
    assert parsed["Line"][0]["Amount"] == Decimal("180.00")


def test_total_mismatch_names_both_figures_and_the_likely_cause(shop):
    invoice = full_invoice()
    assert mapping.total_mismatch(invoice, invoice.total, shop) is None
    message = mapping.total_mismatch(invoice, invoice.total + Decimal("1.23"), shop)
    assert message is not None
    assert f"{invoice.total + Decimal('1.23'):.2f}" in message and f"{invoice.total:.2f}" in message
    assert "tax rate" in message.replace("sales-tax rate", "tax rate")


def test_customer_names_are_cleaned_and_cut_and_the_changes_reported():
    body, changes = mapping.customer_body(customer(first_name="Jo:hn\tPaul", last_name="Sm\nith",
                                                   email="not-an-email", company_name=""))
    assert not set(":\t\n") & set(body["DisplayName"])
    assert body["GivenName"] == "Jo - hn Paul"
    assert "PrimaryEmailAddr" not in body
    assert any("email" in c for c in changes) and any("GivenName" in c for c in changes)
    long_body, long_changes = mapping.customer_body(customer(company_name="Fleet " * 40,
                                                             address=Address(postal_code="9" * 40)))
    assert len(long_body["CompanyName"]) <= 100 and len(long_body["BillAddr"]["PostalCode"]) <= 30
    assert any("cut to 100" in c for c in long_changes)


def test_payment_is_linked_to_the_invoice_and_its_customer():
    payment = Payment(id="P-1", invoice_id="INV-1042", amount=Decimal("150.00"), method=PaymentMethod.CARD,
                      reference="AUTH-77", received_on=date(2026, 11, 21))
    body = mapping.payment_body(payment, ExternalRef("130", {"CustomerRef": "58"}))
    assert body["TotalAmt"] == Decimal("150.00")
    assert body["CustomerRef"] == {"value": "58"}
    link = {"TxnId": "130", "TxnType": "Invoice"}
    assert body["Line"] == [{"Amount": Decimal("150.00"), "LinkedTxn": [link]}]
    assert body["PaymentRefNum"] == "AUTH-77"


def test_sparse_update_carries_id_and_sync_token():
    body = mapping.sparse({"DocNumber": "1"}, ExternalRef("130", {"SyncToken": "4"}))
    assert body == {"Id": "130", "SyncToken": "4", "sparse": True, "DocNumber": "1"}
