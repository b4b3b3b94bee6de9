"""Create, read, update and query through python-quickbooks, unmodified."""

from __future__ import annotations

from decimal import Decimal

import pytest
from quickbooks.exceptions import QuickbooksException
from quickbooks.objects.customer import Customer
from quickbooks.objects.invoice import Invoice

from .conftest import Connected
from .helpers import customer, invoice, item, payment, sales_line


def test_customer_item_invoice_payment_round_trip(us: Connected) -> None:
    jane = customer(us.qb, "Jane O'Brien")
    labor = item(us.qb, "Labor")
    created = invoice(us.qb, jane.Id, [sales_line(labor.Id, "100.00")], doc_number="RO-1")

    read = Invoice.get(created.Id, qb=us.qb)
    assert read.TotalAmt == Decimal("108.25")
    assert read.Balance == Decimal("108.25")
    assert read.TxnTaxDetail.TotalTax == Decimal("8.25")
    assert read.SyncToken == "0"
    assert read.Line[0].Id == "1"

    payment(us.qb, jane.Id, created.Id, "50.00")
    assert Invoice.get(created.Id, qb=us.qb).Balance == Decimal("58.25")
    assert Customer.get(jane.Id, qb=us.qb).Balance == Decimal("58.25")
    assert us.sandbox.objects(us.realm_id, "Customer")[0]["Balance"] == Decimal("58.25")


def test_query_by_name_with_quote_and_by_doc_number(us: Connected) -> None:
    jane = customer(us.qb, "Jane O'Brien")
    customer(us.qb, "Bob Smith")
    labor = item(us.qb, "Labor")
    invoice(us.qb, jane.Id, [sales_line(labor.Id, "10.00")], doc_number="RO-7")

    found = Customer.filter(DisplayName="Jane O'Brien", qb=us.qb)
    assert [c.Id for c in found] == [jane.Id]
    assert [i.DocNumber for i in Invoice.where("DocNumber = 'RO-7'", qb=us.qb)] == ["RO-7"]
    assert Customer.count(qb=us.qb) == 2


def test_stale_sync_token_fails_with_5010(us: Connected) -> None:
    jane = customer(us.qb, "Jane Doe")
    first = Customer.get(jane.Id, qb=us.qb)
    second = Customer.get(jane.Id, qb=us.qb)
    first.CompanyName = "Doe Motors"
    first.save(qb=us.qb)
    second.CompanyName = "Other"
    with pytest.raises(QuickbooksException) as raised:
        second.save(qb=us.qb)
    assert raised.value.error_code == 5010
