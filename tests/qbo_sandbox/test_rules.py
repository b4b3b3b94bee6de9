"""QBO's validation rules, each answered with QBO's Fault code, through python-quickbooks."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from quickbooks.exceptions import ObjectNotFoundException, QuickbooksException, ValidationException
from quickbooks.objects.customer import Customer
from quickbooks.objects.detailline import SubtotalLine
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item
from quickbooks.objects.vendor import Vendor

from .conftest import Connected
from .helpers import customer, fault_code, invoice, item, raw, ref, sales_line


def code_of(call: object) -> int:
    with pytest.raises(QuickbooksException) as raised:
        call()  # type: ignore[operator]
    return raised.value.error_code


def test_unknown_field_is_refused_with_2010_at_any_depth(us: Connected) -> None:
    answer = raw(us, "POST", "customer", {"DisplayName": "Ann", "FavouriteColour": "red"})
    assert answer.status_code == 400
    assert fault_code(answer) == "2010"
    assert "FavouriteColour" in answer.json()["Fault"]["Error"][0]["Detail"]

    jane, labor = customer(us.qb, "Jane"), item(us.qb, "Labor")
    typo = SubtotalLine()  # python-quickbooks writes "SubtotalLineDetail", which QBO does not know
    typo.Amount = Decimal("10")
    typo.SubtotalLineDetail = {}
    with pytest.raises(ValidationException) as raised:
        invoice(us.qb, jane.Id, [sales_line(labor.Id, "10.00"), typo])
    assert raised.value.error_code == 2010
    assert us.sandbox.objects(us.realm_id, "Invoice") == []


def test_a_fresh_library_object_with_all_its_defaults_is_accepted(us: Connected) -> None:
    fresh = Customer()
    fresh.DisplayName = "Defaults Everywhere"
    saved = fresh.save(qb=us.qb)
    assert saved.Id and saved.DisplayName == "Defaults Everywhere"


def test_display_name_is_unique_across_customers_vendors_and_employees(us: Connected) -> None:
    customer(us.qb, "Acme Auto Parts")
    vendor = Vendor()
    vendor.DisplayName = "ACME auto parts"
    assert code_of(lambda: vendor.save(qb=us.qb)) == 6240
    assert code_of(lambda: customer(us.qb, "Sam Technician")) == 6240  # the seeded employee
    assert len(us.sandbox.objects(us.realm_id, "Vendor")) == 0


@pytest.mark.parametrize("name", ["Rob:Barnett", "Tab\there", "New\nline"])
def test_colon_tab_or_newline_in_names_fails_with_2040(us: Connected, name: str) -> None:
    assert code_of(lambda: customer(us.qb, name)) == 2040
    bad_item = Item()
    bad_item.Name, bad_item.Type, bad_item.IncomeAccountRef = name, "Service", ref("2")
    assert code_of(lambda: bad_item.save(qb=us.qb)) == 2040


def test_maximum_lengths_fail_with_2050(us: Connected) -> None:
    assert code_of(lambda: customer(us.qb, "x" * 501)) == 2050
    assert customer(us.qb, "y" * 500).Id
    jane, labor = customer(us.qb, "Jane"), item(us.qb, "Labor")
    assert (
        code_of(lambda: invoice(us.qb, jane.Id, [sales_line(labor.Id, "1.00")], doc_number="D" * 22)) == 2050
    )
    assert invoice(us.qb, jane.Id, [sales_line(labor.Id, "1.00")], doc_number="D" * 21).Id


def test_duplicate_doc_number_fails_with_6140_unless_allowed(us: Connected) -> None:
    jane, labor = customer(us.qb, "Jane"), item(us.qb, "Labor")
    first = invoice(us.qb, jane.Id, [sales_line(labor.Id, "10.00")], doc_number="RO-7")
    with pytest.raises(QuickbooksException) as raised:
        invoice(us.qb, jane.Id, [sales_line(labor.Id, "10.00")], doc_number="RO-7")
    assert raised.value.error_code == 6140
    assert f"TxnId={first.Id}" in raised.value.detail
    body = json.loads(
        Invoice.from_json(
            {
                "CustomerRef": {"value": jane.Id},
                "DocNumber": "RO-7",
                "Line": [json.loads(sales_line(labor.Id, "5.00").to_json())],
            }
        ).to_json()
    )
    allowed = raw(us, "POST", "invoice", body, params={"include": "allowduplicatedocnum"})
    assert allowed.status_code == 200
    assert len(us.sandbox.objects(us.realm_id, "Invoice")) == 2


def test_invoice_without_doc_number_is_numbered_by_the_server(us: Connected) -> None:
    jane, labor = customer(us.qb, "Jane"), item(us.qb, "Labor")
    numbers = [invoice(us.qb, jane.Id, [sales_line(labor.Id, "1.00")]).DocNumber for _ in range(2)]
    assert numbers == ["1001", "1002"]


def test_item_names_are_unique_and_an_income_account_is_required(us: Connected) -> None:
    item(us.qb, "Parts")
    assert code_of(lambda: item(us.qb, "parts")) == 6240
    no_account = Item()
    no_account.Name, no_account.Type = "Tyres", "Service"
    assert code_of(lambda: no_account.save(qb=us.qb)) == 2020
    assert (
        code_of(lambda: item(us.qb, "Tyres", account="5")) == 6000
    )  # Cost of Goods Sold is no income account
    assert code_of(lambda: item(us.qb, "Tyres", account="999")) == 2500


def test_total_is_computed_by_the_server_not_taken_from_the_client(us: Connected) -> None:
    jane, labor = customer(us.qb, "Jane"), item(us.qb, "Labor")
    body = {
        "CustomerRef": {"value": jane.Id},
        "TotalAmt": 999,
        "TxnTaxDetail": {"TotalTax": 1},
        "Line": [
            {
                "Amount": 40,
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {"ItemRef": {"value": labor.Id}, "TaxCodeRef": {"value": "TAX"}},
            },
            {
                "Amount": 60,
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {"ItemRef": {"value": labor.Id}, "TaxCodeRef": {"value": "NON"}},
            },
        ],
    }
    created = us.qb.create_object("Invoice", json.dumps(body))["Invoice"]
    assert created["TotalAmt"] == Decimal("103.30")
    assert created["TxnTaxDetail"]["TotalTax"] == Decimal("3.30")
    assert created["Line"][-1]["DetailType"] == "SubTotalLineDetail"
    assert created["Line"][-1]["Amount"] == Decimal("100.00")


def test_amount_must_equal_quantity_times_unit_price(us: Connected) -> None:
    jane, labor = customer(us.qb, "Jane"), item(us.qb, "Labor")
    bad = sales_line(labor.Id, "100.00", qty="2", unit_price="45.00")
    assert code_of(lambda: invoice(us.qb, jane.Id, [bad])) == 6070
    good = sales_line(labor.Id, "90.00", qty="2", unit_price="45.00")
    assert invoice(us.qb, jane.Id, [good]).TotalAmt == Decimal("97.43")


def test_references_to_missing_or_inactive_objects(us: Connected) -> None:
    jane, labor = customer(us.qb, "Jane"), item(us.qb, "Labor")
    assert code_of(lambda: invoice(us.qb, "424242", [sales_line(labor.Id, "1.00")])) == 2500
    us.sandbox.delete_item(us.realm_id, labor.Id)
    with pytest.raises(ObjectNotFoundException):
        invoice(us.qb, jane.Id, [sales_line(labor.Id, "1.00")])
    with pytest.raises(ObjectNotFoundException):
        Invoice.get("31337", qb=us.qb)


def test_sparse_update_keeps_fields_a_full_update_clears_them(us: Connected) -> None:
    made = us.qb.create_object(
        "Customer", json.dumps({"DisplayName": "Jane", "CompanyName": "Doe Motors", "Notes": "VIP"})
    )["Customer"]
    sparse = {"Id": made["Id"], "SyncToken": made["SyncToken"], "sparse": True, "Notes": "regular"}
    after_sparse = us.qb.update_object("Customer", json.dumps(sparse))["Customer"]
    assert (after_sparse["CompanyName"], after_sparse["Notes"], after_sparse["SyncToken"]) == (
        "Doe Motors",
        "regular",
        "1",
    )
    full = {"Id": made["Id"], "SyncToken": "1", "DisplayName": "Jane"}
    after_full = us.qb.update_object("Customer", json.dumps(full))["Customer"]
    assert "CompanyName" not in after_full and "Notes" not in after_full


def test_renamed_item_in_qbo_is_seen_by_the_client(us: Connected) -> None:
    parts = item(us.qb, "Parts")
    us.sandbox.rename_item(us.realm_id, parts.Id, "Part")
    assert Item.filter(Name="Parts", qb=us.qb) == []
    assert [found.Name for found in Item.filter(Name="Part", qb=us.qb)] == ["Part"]
    assert code_of(lambda: parts.save(qb=us.qb)) == 5010  # the client's copy is stale now
