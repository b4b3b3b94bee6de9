"""Payments against invoices, voids and deletes, and sales tax (US and Canadian companies)."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

import pytest
from quickbooks.exceptions import QuickbooksException
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.payment import Payment
from quickbooks.objects.taxrate import TaxRate

from .conftest import Connected
from .helpers import customer, invoice, item, payment, sales_line


def code_of(call: Callable[[], object]) -> int:
    with pytest.raises(QuickbooksException) as raised:
        call()
    return raised.value.error_code


@pytest.fixture
def billed(us: Connected) -> tuple[Connected, str, str]:
    """A US company with one customer and a 108.25 invoice (100.00 taxable)."""
    jane, labor = customer(us.qb, "Jane"), item(us.qb, "Labor")
    return us, jane.Id, invoice(us.qb, jane.Id, [sales_line(labor.Id, "100.00")]).Id


def test_payments_reduce_the_balance_up_to_the_open_amount(billed: tuple[Connected, str, str]) -> None:
    us, jane, invoice_id = billed
    payment(us.qb, jane, invoice_id, "100.00")
    assert Invoice.get(invoice_id, qb=us.qb).Balance == Decimal("8.25")
    assert code_of(lambda: payment(us.qb, jane, invoice_id, "8.26")) == 6000
    payment(us.qb, jane, invoice_id, "8.25")
    paid = Invoice.get(invoice_id, qb=us.qb)
    assert paid.Balance == Decimal("0.00")
    assert [link.TxnType for link in paid.LinkedTxn] == ["Payment", "Payment"]
    assert len(us.sandbox.objects(us.realm_id, "Payment")) == 2


def test_a_payment_needs_an_existing_invoice_of_the_same_customer(billed: tuple[Connected, str, str]) -> None:
    us, jane, invoice_id = billed
    assert code_of(lambda: payment(us.qb, jane, "9999", "1.00")) == 2500
    bob = customer(us.qb, "Bob")
    assert code_of(lambda: payment(us.qb, bob.Id, invoice_id, "1.00")) == 6000
    assert code_of(lambda: payment(us.qb, jane, invoice_id, "20.00", total="10.00")) == 6000
    assert us.sandbox.objects(us.realm_id, "Payment") == []


def test_voiding_a_payment_restores_the_invoice_balance(billed: tuple[Connected, str, str]) -> None:
    us, jane, invoice_id = billed
    paid = payment(us.qb, jane, invoice_id, "50.00")
    assert Invoice.get(invoice_id, qb=us.qb).Balance == Decimal("58.25")
    Payment.get(paid.Id, qb=us.qb).void(qb=us.qb)
    voided = Payment.get(paid.Id, qb=us.qb)
    assert voided.TotalAmt == Decimal("0") and voided.PrivateNote == "Voided"
    assert Invoice.get(invoice_id, qb=us.qb).Balance == Decimal("108.25")


def test_voiding_an_invoice_zeroes_it_and_keeps_it(billed: tuple[Connected, str, str]) -> None:
    us, jane, invoice_id = billed
    Invoice.get(invoice_id, qb=us.qb).void(qb=us.qb)
    voided = Invoice.get(invoice_id, qb=us.qb)
    assert (voided.TotalAmt, voided.Balance, voided.SyncToken) == (Decimal("0"), Decimal("0"), "1")
    assert code_of(lambda: payment(us.qb, jane, invoice_id, "1.00")) == 6000


def test_an_invoice_with_payments_cannot_be_voided_or_deleted(billed: tuple[Connected, str, str]) -> None:
    us, jane, invoice_id = billed
    paid = payment(us.qb, jane, invoice_id, "10.00")
    assert code_of(lambda: Invoice.get(invoice_id, qb=us.qb).void(qb=us.qb)) == 6000
    assert code_of(lambda: Invoice.get(invoice_id, qb=us.qb).delete(qb=us.qb)) == 6000
    Payment.get(paid.Id, qb=us.qb).delete(qb=us.qb)
    Invoice.get(invoice_id, qb=us.qb).delete(qb=us.qb)
    assert us.sandbox.objects(us.realm_id, "Invoice") == []


def test_us_tax_is_the_company_rate_on_the_summed_taxable_lines_rounded_half_up(
    make_company: Callable[..., Connected],
) -> None:
    shop = make_company(tax_rate="0.05")
    jane, labor = customer(shop.qb, "Jane"), item(shop.qb, "Labor")
    # 2.50 x 5 % = 0.125: half-up gives 0.13 (banker's rounding would give 0.12).
    assert invoice(shop.qb, jane.Id, [sales_line(labor.Id, "2.50")]).TxnTaxDetail.TotalTax == Decimal("0.13")
    # Three taxable 0.10 lines: tax once on 0.30 (0.015 -> 0.02), not per line (3 x 0.01).
    lines = [sales_line(labor.Id, "0.10") for _ in range(3)] + [sales_line(labor.Id, "5.00", "NON")]
    created = invoice(shop.qb, jane.Id, lines)
    assert created.TxnTaxDetail.TotalTax == Decimal("0.02")
    assert created.TotalAmt == Decimal("5.32")


def test_a_company_rate_that_differs_from_the_shops_shows_as_a_different_total(us: Connected) -> None:
    jane, labor = customer(us.qb, "Jane"), item(us.qb, "Labor")
    shop_expects = Decimal("100.00") * Decimal("1.0825")
    us.sandbox.set_tax_rate(us.realm_id, "0.0725")
    created = invoice(us.qb, jane.Id, [sales_line(labor.Id, "100.00")])
    assert created.TotalAmt == Decimal("107.25")
    assert created.TotalAmt != shop_expects


def test_us_lines_take_only_tax_or_non(us: Connected) -> None:
    jane, labor = customer(us.qb, "Jane"), item(us.qb, "Labor")
    assert code_of(lambda: invoice(us.qb, jane.Id, [sales_line(labor.Id, "10.00", "5")])) == 6100
    untaxed = invoice(us.qb, jane.Id, [sales_line(labor.Id, "10.00", None)])
    assert untaxed.TotalAmt == Decimal("10.00")  # no code means NON


def test_canadian_company_needs_a_real_tax_code_on_every_line(make_company: Callable[..., Connected]) -> None:
    canada = make_company(country="CA")
    jane, labor = customer(canada.qb, "Jane"), item(canada.qb, "Labor")
    assert code_of(lambda: invoice(canada.qb, jane.Id, [sales_line(labor.Id, "10.00", None)])) == 6000
    assert code_of(lambda: invoice(canada.qb, jane.Id, [sales_line(labor.Id, "10.00", "TAX")])) == 2500
    codes = {code["Name"]: code["Id"] for code in canada.sandbox.objects(canada.realm_id, "TaxCode")}
    lines = [sales_line(labor.Id, "100.00", codes["HST ON"]), sales_line(labor.Id, "10.00", codes["GST"])]
    created = invoice(canada.qb, jane.Id, lines)
    assert created.TxnTaxDetail.TotalTax == Decimal("13.50")
    assert created.TotalAmt == Decimal("123.50")
    assert created.GlobalTaxCalculation == "TaxExcluded"
    rates = sorted(line.TaxLineDetail.TaxPercent for line in created.TxnTaxDetail.TaxLine)
    assert rates == [Decimal("5"), Decimal("13")]


def test_updating_invoice_lines_recomputes_totals(billed: tuple[Connected, str, str]) -> None:
    us, _jane, invoice_id = billed
    current = us.qb.get_single_object("Invoice", invoice_id)["Invoice"]
    lines = [line for line in current["Line"] if line["DetailType"] == "SalesItemLineDetail"]
    lines[0]["Amount"] = Decimal("200.00")
    body = {"Id": invoice_id, "SyncToken": current["SyncToken"], "sparse": True, "Line": lines}
    updated = us.qb.update_object("Invoice", json.dumps(body, default=str))["Invoice"]
    assert updated["TotalAmt"] == Decimal("216.50")
    assert updated["SyncToken"] == "1"


def test_an_invoice_cannot_drop_below_what_was_paid_on_it(billed: tuple[Connected, str, str]) -> None:
    us, jane, invoice_id = billed
    payment(us.qb, jane, invoice_id, "100.00")
    current = us.qb.get_single_object("Invoice", invoice_id)["Invoice"]
    lines = [line for line in current["Line"] if line["DetailType"] == "SalesItemLineDetail"]
    lines[0]["Amount"] = Decimal("50.00")
    body = {"Id": invoice_id, "SyncToken": current["SyncToken"], "sparse": True, "Line": lines}
    assert code_of(lambda: us.qb.update_object("Invoice", json.dumps(body, default=str))) == 6000
    assert Invoice.get(invoice_id, qb=us.qb).TotalAmt == Decimal("108.25")


def test_tax_rates_are_readable_and_follow_the_company_setting(
    make_company: Callable[..., Connected],
) -> None:
    us = make_company()
    assert TaxRate.get("1", qb=us.qb).RateValue == Decimal("8.25")
    us.sandbox.set_tax_rate(us.realm_id, "0.0725")
    assert [rate.RateValue for rate in TaxRate.all(qb=us.qb)] == [Decimal("7.25")]
    canada = make_company(country="CA")
    assert {rate.Name for rate in TaxRate.all(qb=canada.qb)} >= {"GST", "HST ON", "PST BC"}


def test_discount_and_description_lines(us: Connected) -> None:
    jane, labor = customer(us.qb, "Jane"), item(us.qb, "Labor")
    body = {
        "CustomerRef": {"value": jane.Id},
        "Line": [
            {
                "Amount": 200,
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {"ItemRef": {"value": labor.Id}, "TaxCodeRef": {"value": "TAX"}},
            },
            {
                "DetailType": "DescriptionOnly",
                "Description": "Checked brakes, no charge",
                "DescriptionLineDetail": {},
            },
            {
                "Amount": 0,
                "DetailType": "DiscountLineDetail",
                "DiscountLineDetail": {"PercentBased": True, "DiscountPercent": 10},
            },
        ],
    }
    created = us.qb.create_object("Invoice", json.dumps(body))["Invoice"]
    discount = next(line for line in created["Line"] if line["DetailType"] == "DiscountLineDetail")
    assert discount["Amount"] == Decimal("20.00")
    # Tax is on the taxable lines before the discount (ApplyTaxAfterDiscount is false).
    assert created["TxnTaxDetail"]["TotalTax"] == Decimal("16.50")
    assert created["TotalAmt"] == Decimal("196.50")
    assert [line["Id"] for line in created["Line"][:3]] == ["1", "2", "3"]


def test_inventory_items_need_their_accounts_and_quantities(us: Connected) -> None:
    body = {"Name": "Brake Pads", "Type": "Inventory", "IncomeAccountRef": {"value": "1"}}
    with pytest.raises(QuickbooksException) as raised:
        us.qb.create_object("Item", json.dumps(body))
    assert raised.value.error_code == 2020
    complete = {
        **body,
        "ExpenseAccountRef": {"value": "5"},
        "AssetAccountRef": {"value": "6"},
        "QtyOnHand": 12,
        "InvStartDate": "2026-01-01",
        "TrackQtyOnHand": True,
    }
    made = us.qb.create_object("Item", json.dumps(complete))["Item"]
    assert made["IncomeAccountRef"] == {"value": "1", "name": "Sales of Product Income"}
    assert made["QtyOnHand"] == 12
