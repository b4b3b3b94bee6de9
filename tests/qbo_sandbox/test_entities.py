"""Every entity through python-quickbooks: read-modify-save round trips, vendors, accounts, tax codes,
company info, and concurrent writers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from quickbooks.exceptions import QuickbooksException
from quickbooks.objects.account import Account
from quickbooks.objects.company_info import CompanyInfo
from quickbooks.objects.customer import Customer
from quickbooks.objects.employee import Employee
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item
from quickbooks.objects.payment import Payment
from quickbooks.objects.taxcode import TaxCode
from quickbooks.objects.vendor import Vendor

from .conftest import Connected, client_for
from .helpers import customer, invoice, item, payment, sales_line


def test_everything_read_back_can_be_saved_again_unchanged(us: Connected) -> None:
    jane, labor = customer(us.qb, "Jane"), item(us.qb, "Labor")
    made = invoice(us.qb, jane.Id, [sales_line(labor.Id, "100.00", qty="2", unit_price="50.00")])
    paid = payment(us.qb, jane.Id, made.Id, "10.00")
    for cls, object_id in ((Customer, jane.Id), (Item, labor.Id), (Invoice, made.Id), (Payment, paid.Id)):
        fetched = cls.get(object_id, qb=us.qb)
        saved = fetched.save(qb=us.qb)
        assert saved.SyncToken == str(int(fetched.SyncToken) + 1), cls.__name__
    again = Invoice.get(made.Id, qb=us.qb)
    assert (again.TotalAmt, again.Balance) == (Decimal("108.25"), Decimal("98.25"))
    assert [line.DetailType for line in again.Line] == ["SalesItemLineDetail", "SubTotalLineDetail"]


def test_vendor_create_read_update(us: Connected) -> None:
    vendor = Vendor()
    vendor.DisplayName = "NAPA Auto Parts"
    vendor.AcctNum = "A-100"
    made = vendor.save(qb=us.qb)
    fetched = Vendor.get(made.Id, qb=us.qb)
    assert (fetched.DisplayName, fetched.AcctNum, fetched.Active) == ("NAPA Auto Parts", "A-100", True)
    fetched.CompanyName = "NAPA"
    assert fetched.save(qb=us.qb).CompanyName == "NAPA"
    assert [v.Id for v in Vendor.filter(DisplayName="NAPA Auto Parts", qb=us.qb)] == [made.Id]


def test_account_create_and_name_rules(us: Connected) -> None:
    account = Account()
    account.Name = "Tire Sales"
    account.AccountType = "Income"
    account.AccountSubType = "SalesOfProductIncome"
    made = account.save(qb=us.qb)
    assert Account.get(made.Id, qb=us.qb).Classification == "Revenue"
    assert item(us.qb, "Tires", account=made.Id).IncomeAccountRef.value == made.Id
    duplicate = Account()
    duplicate.Name, duplicate.AccountType = "tire sales", "Income"
    with pytest.raises(QuickbooksException) as raised:
        duplicate.save(qb=us.qb)
    assert raised.value.error_code == 6240


def test_tax_codes_company_info_and_employees_are_readable(make_company: object) -> None:
    us = make_company()  # type: ignore[operator]
    assert TaxCode.get("TAX", qb=us.qb).Taxable is True
    assert CompanyInfo.get(us.realm_id, qb=us.qb).Country == "US"
    assert [e.DisplayName for e in Employee.all(qb=us.qb)] == ["Sam Technician"]
    canada = make_company(country="CA")  # type: ignore[operator]
    assert CompanyInfo.get(canada.realm_id, qb=canada.qb).Country == "CA"
    assert "TAX" not in {code.Id for code in TaxCode.all(qb=canada.qb)}


def test_canadian_tax_inclusive_amounts(make_company: object) -> None:
    canada = make_company(country="CA")  # type: ignore[operator]
    jane, labor = customer(canada.qb, "Jane"), item(canada.qb, "Labor")
    made = Invoice()
    made.CustomerRef = jane.to_ref()
    made.GlobalTaxCalculation = "TaxInclusive"
    made.Line = [sales_line(labor.Id, "113.00", "6")]  # HST ON 13 %, included
    saved = made.save(qb=canada.qb)
    assert (saved.TotalAmt, saved.TxnTaxDetail.TotalTax) == (Decimal("113.00"), Decimal("13.00"))


def test_concurrent_writers_get_one_doc_number_and_one_requestid_effect(us: Connected) -> None:
    jane, labor = customer(us.qb, "Jane"), item(us.qb, "Labor")
    clients = [client_for(us.sandbox, us.realm_id) for _ in range(8)]

    def create(conn: Connected) -> str:
        try:
            return invoice(conn.qb, jane.Id, [sales_line(labor.Id, "5.00")], doc_number="RO-RACE").Id
        except QuickbooksException as error:
            return str(error.error_code)

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(create, clients))
    assert sorted(outcomes, key=len)[1:] == ["6140"] * 7

    def create_once(conn: Connected) -> str:
        return invoice(conn.qb, jane.Id, [sales_line(labor.Id, "1.00")], request_id="same-id").Id

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(create_once, clients))
    assert len(set(ids)) == 1
    assert len([i for i in us.sandbox.objects(us.realm_id, "Invoice") if i["DocNumber"] != "RO-RACE"]) == 1
