"""Bad input of every shape gets a QBO Fault naming the problem: never a crash, never half a change."""

from __future__ import annotations

import pytest

from .conftest import Connected
from .helpers import customer, item, raw

JUNK: list[tuple[str, object]] = [
    ("customer", []),
    ("customer", "just text"),
    ("customer", {"DisplayName": 5}),
    ("customer", {"DisplayName": {"nested": True}}),
    ("customer", {"DisplayName": "Ann", "PrimaryEmailAddr": "ann@example.com"}),
    ("customer", {"DisplayName": "Ann", "PrimaryEmailAddr": {"Address": "no-at-sign"}}),
    ("customer", {"GivenName": ""}),
    ("customer", {"Id": "abc", "SyncToken": "0", "DisplayName": "Ann"}),
    ("customer", {"Id": "99999", "SyncToken": "0", "DisplayName": "Ann"}),
    ("item", {"Name": "Oil", "Type": "Gadget", "IncomeAccountRef": {"value": "1"}}),
    ("item", {"Name": "Oil", "Type": "Service", "IncomeAccountRef": {"value": {"x": 1}}}),
    ("item", {"Name": "Oil", "Type": "Inventory", "IncomeAccountRef": {"value": "1"}}),
    ("account", {"Name": 'Say "hi"', "AccountType": "Income"}),
    ("account", {"Name": "Misc", "AccountType": "Treasure"}),
    ("invoice", {"CustomerRef": "1"}),
    ("invoice", {"CustomerRef": {"value": "1"}, "Line": "x"}),
    ("invoice", {"CustomerRef": {"value": "1"}, "Line": [5]}),
    ("invoice", {"CustomerRef": {"value": "1"}, "Line": [{"DetailType": "Teleport"}]}),
    ("invoice", {"CustomerRef": {"value": "1"}, "Line": []}),
    (
        "invoice",
        {
            "CustomerRef": {"value": "1"},
            "TxnDate": "26/11/2026",
            "Line": [
                {
                    "DetailType": "SalesItemLineDetail",
                    "Amount": 1,
                    "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
                }
            ],
        },
    ),
    (
        "invoice",
        {
            "CustomerRef": {"value": "1"},
            "Line": [
                {
                    "DetailType": "SalesItemLineDetail",
                    "Amount": "abc",
                    "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
                }
            ],
        },
    ),
    (
        "invoice",
        {
            "CustomerRef": {"value": "1"},
            "Line": [
                {
                    "DetailType": "SalesItemLineDetail",
                    "Amount": 1e400,
                    "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
                }
            ],
        },
    ),
    (
        "invoice",
        {
            "CustomerRef": {"value": "1"},
            "Line": [
                {
                    "DetailType": "SalesItemLineDetail",
                    "Amount": 1.234,
                    "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
                }
            ],
        },
    ),
    (
        "invoice",
        {"CustomerRef": {"value": "1"}, "Line": [{"DetailType": "SalesItemLineDetail", "Amount": 1}]},
    ),
    (
        "invoice",
        {
            "CustomerRef": {"value": "1"},
            "GlobalTaxCalculation": "Sometimes",
            "Line": [
                {
                    "DetailType": "SalesItemLineDetail",
                    "Amount": 1,
                    "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
                }
            ],
        },
    ),
    (
        "invoice",
        {
            "CustomerRef": {"value": "1"},
            "Line": [{"DetailType": "DiscountLineDetail", "DiscountLineDetail": {}}],
        },
    ),
    ("payment", {"CustomerRef": {"value": "1"}}),
    ("payment", {"CustomerRef": {"value": "1"}, "TotalAmt": True}),
    ("payment", {"CustomerRef": {"value": "1"}, "TotalAmt": -5}),
    ("payment", {"CustomerRef": {"value": "1"}, "TotalAmt": 5, "Line": [{"Amount": 5, "LinkedTxn": []}]}),
    (
        "payment",
        {
            "CustomerRef": {"value": "1"},
            "TotalAmt": 5,
            "Line": [{"Amount": 5, "LinkedTxn": [{"TxnId": "1", "TxnType": "Bill"}]}],
        },
    ),
    ("taxcode", {"Name": "Mine"}),
    ("vendor", {"DisplayName": "V", "Vendor1099": False, "Shoe": 1}),
    ("batch", {"BatchItemRequest": "nope"}),
    ("batch", {"BatchItemRequest": [{"bId": "1"}, {"bId": "1"}]}),
    ("batch", {"BatchItemRequest": [{"operation": "create", "Customer": {"DisplayName": "No bId"}}]}),
]


@pytest.mark.parametrize(("path", "body"), JUNK)
def test_junk_is_answered_with_a_fault_and_changes_nothing(us: Connected, path: str, body: object) -> None:
    customer(us.qb, "Existing")
    item(us.qb, "Existing Item")
    before = {entity: us.sandbox.objects(us.realm_id, entity) for entity in ("Customer", "Item", "Invoice")}
    answer = raw(us, "POST", path, body)
    assert answer.status_code == 400, answer.text
    error = answer.json()["Fault"]["Error"][0]
    assert error["code"] and error["Detail"]
    assert {entity: us.sandbox.objects(us.realm_id, entity) for entity in before} == before
    assert all(entry["outcome"] != "crash" for entry in us.sandbox.request_log(us.realm_id))


def test_body_that_is_not_json(us: Connected) -> None:
    for text in ("{not json", '{"TotalAmt": NaN}'):
        answer = raw(us, "POST", "payment", text)
        assert answer.status_code == 400 and answer.json()["Fault"]["Error"][0]["code"] == "2010"


def test_unknown_operation_and_entity(us: Connected) -> None:
    assert raw(us, "GET", "spaceship/1").status_code == 400
    assert (
        raw(us, "POST", "customer", {"DisplayName": "A"}, params={"operation": "explode"}).status_code == 400
    )
    assert (
        raw(us, "POST", "customer", {"Id": "1", "SyncToken": "0"}, params={"operation": "delete"}).status_code
        == 400
    )
