"""The query language subset and batch requests, through python-quickbooks."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from quickbooks.batch import batch_create
from quickbooks.exceptions import ValidationException
from quickbooks.objects.account import Account
from quickbooks.objects.customer import Customer
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item
from quickbooks.objects.taxcode import TaxCode

from .conftest import Connected
from .helpers import customer, fault_code, invoice, item, raw, sales_line


def names(objects: list[Customer]) -> list[str]:
    return [obj.DisplayName for obj in objects]


def test_paging_with_startposition_and_maxresults(us: Connected) -> None:
    for number in range(1, 8):
        customer(us.qb, f"Customer {number:02d}")
    assert names(Customer.where("", start_position=1, max_results=3, qb=us.qb)) == [
        "Customer 01",
        "Customer 02",
        "Customer 03",
    ]
    assert names(Customer.where("", start_position=7, max_results=3, qb=us.qb)) == ["Customer 07"]
    assert Customer.where("", start_position=8, max_results=3, qb=us.qb) == []
    assert Customer.count(qb=us.qb) == 7
    assert Customer.count("DisplayName LIKE 'Customer 0%'", qb=us.qb) == 7
    answer = us.qb.query("SELECT * FROM Customer STARTPOSITION 2 MAXRESULTS 2")["QueryResponse"]
    assert (answer["startPosition"], answer["maxResults"]) == (2, 2)


def test_where_on_name_displayname_docnumber_and_id(us: Connected) -> None:
    jane, bob = customer(us.qb, "Jane"), customer(us.qb, "Bob")
    labor = item(us.qb, "Labor")
    made = invoice(us.qb, jane.Id, [sales_line(labor.Id, "5.00")], doc_number="RO-9")
    assert [i.Name for i in Item.filter(Name="Labor", qb=us.qb)] == ["Labor"]
    assert names(Customer.choose([jane.Id, bob.Id], qb=us.qb)) == ["Jane", "Bob"]
    assert names(Customer.where(f"Id = '{bob.Id}'", qb=us.qb)) == ["Bob"]
    assert names(Customer.filter(DisplayName="jane", qb=us.qb)) == ["Jane"]  # case is ignored
    assert [i.Id for i in Invoice.filter(DocNumber="RO-9", qb=us.qb)] == [made.Id]
    assert names(Customer.where("", order_by="DisplayName DESC", qb=us.qb)) == ["Jane", "Bob"]
    assert [a.Name for a in Account.filter(Name="Sales of Product Income", qb=us.qb)] == [
        "Sales of Product Income"
    ]
    assert {code.Id for code in TaxCode.all(qb=us.qb)} == {"TAX", "NON"}
    assert len(Item.all(qb=us.qb)) == 1  # "SELECT *, Sku FROM Item"


def test_inactive_objects_are_left_out_unless_asked_for(us: Connected) -> None:
    parts = item(us.qb, "Parts")
    us.sandbox.delete_item(us.realm_id, parts.Id)
    assert Item.filter(Name="Parts", qb=us.qb) == []
    assert [i.Id for i in Item.where("Name = 'Parts' AND Active = false", qb=us.qb)] == [parts.Id]
    assert Item.count("Active IN (true, false)", qb=us.qb) == 1


@pytest.mark.parametrize(
    ("statement", "code"),
    [
        ("SELEKT * FROM Customer", 4000),
        ("SELECT * FROM Customer WHERE DisplayName = 'unterminated", 4000),
        ("SELECT * FROM Customer WHERE Shoe = 'x'", 4001),
        ("SELECT * FROM Spaceship", 4001),
        ("SELECT * FROM Customer MAXRESULTS 1001", 4001),
    ],
)
def test_bad_queries(us: Connected, statement: str, code: int) -> None:
    with pytest.raises(ValidationException) as raised:
        us.qb.query(statement)
    assert raised.value.error_code == code


def test_batch_answers_each_item_with_an_object_or_a_fault(us: Connected) -> None:
    customer(us.qb, "Taken")
    batch = []
    for name in ("New One", "Taken", "New Two"):
        new = Customer()
        new.DisplayName = name
        batch.append(new)
    result = batch_create(batch, qb=us.qb)
    assert sorted(c.DisplayName for c in result.successes) == ["New One", "New Two"]
    assert [f.Error[0].code for f in result.faults] == ["6240"]
    assert result.faults[0].original_object.DisplayName == "Taken"
    assert len(us.sandbox.objects(us.realm_id, "Customer")) == 3


def test_batch_of_35_is_split_by_the_library_and_31_is_refused_by_the_server(us: Connected) -> None:
    many = []
    for number in range(35):
        new = Customer()
        new.DisplayName = f"Batch {number}"
        many.append(new)
    assert len(batch_create(many, qb=us.qb).successes) == 35
    items = [
        {"bId": f"b{n}", "operation": "create", "Customer": {"DisplayName": f"Raw {n}"}} for n in range(31)
    ]
    answer = raw(us, "POST", "batch", {"BatchItemRequest": items})
    assert answer.status_code == 400 and fault_code(answer) == "1040"
    assert Customer.count("DisplayName LIKE 'Raw%'", qb=us.qb) == 0


def test_batch_mixes_queries_updates_and_voids(us: Connected) -> None:
    jane, labor = customer(us.qb, "Jane"), item(us.qb, "Labor")
    made = invoice(us.qb, jane.Id, [sales_line(labor.Id, "10.00")])
    items = [
        {"bId": "q", "Query": "SELECT * FROM Customer WHERE DisplayName = 'Jane'"},
        {
            "bId": "u",
            "operation": "update",
            "Customer": {"Id": jane.Id, "SyncToken": "0", "sparse": True, "CompanyName": "Doe Motors"},
        },
        {
            "bId": "s",
            "operation": "update",
            "Customer": {"Id": jane.Id, "SyncToken": "0", "sparse": True, "Notes": "stale"},
        },
        {
            "bId": "v",
            "operation": "update",
            "optionsData": "void",
            "Invoice": {"Id": made.Id, "SyncToken": made.SyncToken},
        },
    ]
    answer = raw(us, "POST", "batch", {"BatchItemRequest": items})
    by_bid = {entry["bId"]: entry for entry in answer.json()["BatchItemResponse"]}
    assert by_bid["q"]["QueryResponse"]["Customer"][0]["Id"] == jane.Id
    assert by_bid["u"]["Customer"]["CompanyName"] == "Doe Motors"
    assert by_bid["s"]["Fault"]["Error"][0]["code"] == "5010"
    assert by_bid["v"]["Invoice"]["TotalAmt"] == 0
    assert Invoice.get(made.Id, qb=us.qb).TotalAmt == Decimal("0")
    assert json.loads(answer.text)["time"]


def test_batch_with_a_requestid_is_replayed_and_limits_bids(us: Connected) -> None:
    items = [{"bId": "b1", "operation": "create", "Customer": {"DisplayName": "Batch Once"}}]
    first = raw(us, "POST", "batch", {"BatchItemRequest": items}, params={"requestid": "batch-1"})
    again = raw(us, "POST", "batch", {"BatchItemRequest": items}, params={"requestid": "batch-1"})
    assert first.json()["BatchItemResponse"] == again.json()["BatchItemResponse"]
    assert Customer.count("DisplayName = 'Batch Once'", qb=us.qb) == 1
    long_bid = [{"bId": "b" * 11, "operation": "create", "Customer": {"DisplayName": "Long bId"}}]
    refused = raw(us, "POST", "batch", {"BatchItemRequest": long_bid}, params={"requestid": "batch-2"})
    assert refused.status_code == 400
    assert (
        raw(us, "POST", "batch", {"BatchItemRequest": items}, params={"requestid": "x" * 37}).status_code
        == 400
    )


def test_query_by_get_with_the_statement_in_the_url(us: Connected) -> None:
    customer(us.qb, "Jane")
    answer = raw(us, "GET", "query", params={"query": "select count(*) from customer"})
    assert answer.json()["QueryResponse"]["totalCount"] == 1
