"""Builders for python-quickbooks objects the tests send."""

from __future__ import annotations

import json
from decimal import Decimal

import requests
from quickbooks import QuickBooks
from quickbooks.objects.base import Ref
from quickbooks.objects.customer import Customer
from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item
from quickbooks.objects.payment import Payment, PaymentLine

SERVICES_ACCOUNT = "2"  # seeded "Services" income account


def ref(value: str) -> Ref:
    """A reference to an object by Id."""
    reference = Ref()
    reference.value = value
    return reference


def customer(qb: QuickBooks, name: str) -> Customer:
    """Create a customer."""
    new = Customer()
    new.DisplayName = name
    return new.save(qb=qb)


def item(qb: QuickBooks, name: str, account: str = SERVICES_ACCOUNT) -> Item:
    """Create a service item."""
    new = Item()
    new.Name = name
    new.Type = "Service"
    new.IncomeAccountRef = ref(account)
    return new.save(qb=qb)


def sales_line(
    item_id: str,
    amount: str,
    tax_code: str | None = "TAX",
    qty: str | None = None,
    unit_price: str | None = None,
) -> SalesItemLine:
    """An invoice line selling one item."""
    line = SalesItemLine()
    line.Amount = Decimal(amount)
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = ref(item_id)
    if tax_code is not None:
        line.SalesItemLineDetail.TaxCodeRef = ref(tax_code)
    if qty is not None:
        line.SalesItemLineDetail.Qty = Decimal(qty)
    if unit_price is not None:
        line.SalesItemLineDetail.UnitPrice = Decimal(unit_price)
    return line


def invoice(
    qb: QuickBooks,
    customer_id: str,
    lines: list[SalesItemLine],
    doc_number: str | None = None,
    request_id: str | None = None,
) -> Invoice:
    """Create an invoice."""
    new = Invoice()
    new.CustomerRef = ref(customer_id)
    new.DocNumber = doc_number
    new.Line = lines
    return new.save(qb=qb, request_id=request_id)


def payment(
    qb: QuickBooks, customer_id: str, invoice_id: str, amount: str, total: str | None = None
) -> Payment:
    """Create a payment applied to one invoice."""
    new = Payment()
    new.CustomerRef = ref(customer_id)
    new.TotalAmt = Decimal(total or amount)
    line = PaymentLine()
    line.Amount = Decimal(amount)
    linked = Invoice()
    linked.Id = invoice_id
    line.LinkedTxn.append(linked.to_linked_txn())
    new.Line.append(line)
    return new.save(qb=qb)


def raw(
    conn: object,
    method: str,
    path: str,
    body: object = None,
    params: dict[str, str] | None = None,
    content_type: str = "application/json",
) -> requests.Response:
    """One HTTP call to the company API with the connection's access token (for status checks)."""
    sandbox = conn.sandbox  # type: ignore[attr-defined]
    realm_id = conn.realm_id  # type: ignore[attr-defined]
    token = conn.auth.access_token  # type: ignore[attr-defined]
    data = body if isinstance(body, str) or body is None else json.dumps(body)
    return requests.request(
        method,
        f"{sandbox.base_url}/v3/company/{realm_id}/{path}",
        params={"minorversion": "75", **(params or {})},
        data=data,
        timeout=10,
        headers={
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "Content-Type": content_type,
        },
    )


def fault_code(response: requests.Response) -> str:
    """The first Fault code of a JSON answer."""
    return response.json()["Fault"]["Error"][0]["code"]
