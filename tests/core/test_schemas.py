"""Validation rules of the record schemas, and the load/dump round trip."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.domain.kinds import EntityKind
from hub.domain.records import Invoice, InvoiceStatus, TaxCategory
from hub.domain.schemas import SCHEMAS, dump_record, dump_shop, load_record, load_shop
from hub.errors import RecordValidationError


def invoice_data(**overrides: Any) -> dict[str, Any]:
    """A valid invoice: labor 205 + parts 90.50 + sublet 60 + supplies 10 + fee 3.50 − 5 + tax 7.47."""
    data: dict[str, Any] = {
        "id": "RO-7",
        "number": "1007",
        "customer_id": "C1",
        "invoice_date": "2024-05-01",
        "closed_at": "2024-05-01T17:30:00+00:00",
        "labor": [
            {"description": "Brake job", "hours": "1.5", "rate": "120.00"},
            {"description": "Inspect", "hours": "0", "rate": "0"},
            {"description": "Road test", "hours": "0.25", "rate": "100.00"},
        ],
        "parts": [{"part_number": "BP-1", "description": "Pads", "quantity": 2, "unit_price": "45.25"}],
        "sublets": [{"vendor_id": "V1", "description": "Alignment", "cost": "40.00", "price": "60.00"}],
        "shop_supplies": "10.00",
        "fees": [{"description": "Hazmat", "amount": "3.50"}],
        "labor_discount": "5.00",
        "tax": "7.47",
        "total": "371.47",
    }
    data.update(overrides)
    return data


def errors_of(kind: str, data: dict[str, Any]) -> RecordValidationError:
    with pytest.raises(RecordValidationError) as info:
        load_record(kind, data)
    return info.value


def test_valid_invoice_loads_with_decimal_money() -> None:
    invoice = load_record("invoice", invoice_data())
    assert isinstance(invoice, Invoice)
    assert invoice.total == Decimal("371.47")
    assert invoice.labor[0].amount == Decimal("180.00")
    assert invoice.status is InvoiceStatus.CLOSED
    assert invoice.invoice_date == date(2024, 5, 1)


def test_invoice_total_mismatch_names_both_figures() -> None:
    error = errors_of("invoice", invoice_data(total="371.74"))
    assert error.kind == "invoice" and error.record_id == "RO-7"
    assert error.errors == {"total": ["lines, discounts and tax add up to 371.47 but total is 371.74"]}
    assert "invoice 'RO-7'" in str(error) and "total:" in str(error)


def test_negative_quantity_names_full_path_and_rule() -> None:
    data = invoice_data()
    data["labor"][2]["hours"] = "-0.25"
    error = errors_of("invoice", data)
    assert error.errors["labor[2].hours"] == ["must not be negative (got -0.25)"]


def test_more_than_two_places_on_money_is_rejected() -> None:
    data = invoice_data()
    data["parts"][0]["unit_price"] = "45.255"
    error = errors_of("invoice", data)
    assert error.errors["parts[0].unit_price"] == ["must have at most 2 decimal places (got 45.255)"]


def test_trailing_zeros_beyond_two_places_are_fine() -> None:
    assert load_record("invoice", invoice_data(tax="7.4700")).tax == Decimal("7.47")


def test_float_money_is_read_exactly() -> None:
    data = invoice_data(tax=7.47, total=371.47)
    assert load_record("invoice", data).total == Decimal("371.47")


@pytest.mark.parametrize(
    ("field", "value", "limit"),
    [("number", "N" * 31, 30), ("customer_id", "C" * 65, 64)],
)
def test_over_long_strings_are_rejected(field: str, value: str, limit: int) -> None:
    error = errors_of("invoice", invoice_data(**{field: value}))
    assert error.errors[field] == [f"must be at most {limit} characters long (got {len(value)})"]


def test_over_long_description_in_a_line() -> None:
    data = invoice_data()
    data["fees"][0]["description"] = "x" * 4001
    assert errors_of("invoice", data).errors["fees[0].description"] == [
        "must be at most 4000 characters long (got 4001)"
    ]


def test_unknown_enum_value_lists_the_allowed_ones() -> None:
    error = errors_of("invoice", invoice_data(status="paid"))
    assert error.errors["status"] == ["must be one of: open, closed, voided (got 'paid')"]


def test_several_errors_are_reported_together() -> None:
    error = errors_of("payment", {"id": "P1", "invoice_id": "", "amount": "0", "method": "bitcoin",
                                  "received_on": "2024-02-30", "color": "red"})
    assert set(error.errors) == {"invoice_id", "amount", "method", "received_on", "color"}
    assert error.errors["amount"] == ["must be greater than zero (got 0)"]
    assert error.errors["invoice_id"] == ["must not be empty"]
    assert error.errors["received_on"] == ["must be an ISO date (YYYY-MM-DD)"]
    assert error.errors["color"] == ["is not a known field"]


def test_missing_required_fields() -> None:
    error = errors_of("vendor", {"id": "V9"})
    assert error.errors == {"name": ["is required"]}
    assert str(error) == "vendor 'V9': name: is required"


def test_discount_above_its_category_is_rejected() -> None:
    error = errors_of("invoice", invoice_data(parts_discount="100.00", total="271.47"))
    assert error.errors == {"parts_discount": ["must not exceed the parts total 90.50 (got 100.00)"]}


def test_parts_purchase_and_return_totals_must_add_up() -> None:
    line = {"part_number": "F-1", "quantity": "3", "unit_cost": "4.10"}
    purchase = {"id": "PP1", "vendor_id": "V1", "vendor_invoice_number": "INV-1",
                "purchase_date": "2024-05-02", "lines": [line], "fees": "2.00", "total": "14.30"}
    assert load_record("parts_purchase", purchase).total == Decimal("14.30")
    error = errors_of("parts_purchase", dict(purchase, total="14.00"))
    assert error.errors == {"total": ["lines and fees add up to 14.30 but total is 14.00"]}
    ret = {"id": "R1", "vendor_id": "V1", "credit_number": "CR-1", "return_date": "2024-05-03",
           "lines": [line], "total": "12.00"}
    assert errors_of("parts_return", ret).errors == {"total": ["lines add up to 12.30 but total is 12.00"]}


def test_naive_closed_at_is_rejected() -> None:
    error = errors_of("invoice", invoice_data(closed_at="2024-05-01T17:30:00"))
    assert "UTC offset" in error.errors["closed_at"][0]


def test_unknown_kind_and_non_object() -> None:
    assert "unknown kind 'widget'" in errors_of("widget", {"id": "x"}).errors["kind"][0]
    with pytest.raises(RecordValidationError) as info:
        load_record("customer", ["not", "an", "object"])  # type: ignore[arg-type]
    assert info.value.errors == {"_record": ["must be a JSON object"]}


def test_customer_needs_some_name() -> None:
    error = errors_of("customer", {"id": "C1", "email": "a@b.c"})
    assert error.errors == {"last_name": ["a customer needs a first name, last name or company name"]}


def test_dump_formats_money_dates_and_quantities() -> None:
    dumped = dump_record(load_record("invoice", invoice_data()))
    assert dumped["total"] == "371.47"
    assert dumped["labor"][0] == {"description": "Brake job", "hours": "1.50", "rate": "120.00",
                                  "technician": ""}
    assert dumped["parts"][0]["quantity"] == "2.00"
    assert dumped["invoice_date"] == "2024-05-01"
    assert dumped["closed_at"] == "2024-05-01T17:30:00+00:00"
    assert dumped["status"] == "closed"
    assert "kind" not in dumped


def test_round_trip_of_an_invoice() -> None:
    invoice = load_record("invoice", invoice_data())
    assert load_record("invoice", dump_record(invoice)) == invoice


def test_every_kind_has_a_schema() -> None:
    assert set(SCHEMAS) == set(EntityKind)


def test_shop_schema_round_trip_and_rules() -> None:
    data = {"id": "s1", "name": "Main St Auto", "country": "US", "timezone": "America/Chicago",
            "locations": [{"id": "L1", "name": "Main"}, {"id": "L2", "name": "North"}],
            "tax": {"rate": "0.0825", "taxable": ["parts", "labor"]}}
    shop = load_shop(data)
    assert shop.tax.taxable == frozenset({TaxCategory.PARTS, TaxCategory.LABOR})
    assert shop.tax.rate == Decimal("0.0825")
    assert load_shop(dump_shop(shop)) == shop
    assert dump_shop(shop)["tax"] == {"rate": "0.0825", "taxable": ["labor", "parts"]}
    with pytest.raises(RecordValidationError) as info:
        load_shop(dict(data, timezone="Mars/Base", tax={"rate": "1.5", "taxable": ["beer"]},
                       locations=[{"id": "L1", "name": "A"}, {"id": "L1", "name": "B"}]))
    errors = info.value.errors
    assert info.value.kind == "shop"
    assert "IANA time zone" in errors["timezone"][0]
    assert errors["tax.rate"] == ["must be at most 1 (got 1.5)"]
    assert errors["tax.taxable[0]"][0].startswith("must be one of: labor, parts")


money_values = st.decimals(min_value=0, max_value=Decimal("99999999.99"), places=2,
                           allow_nan=False, allow_infinity=False)


@given(amount=money_values, hours=st.decimals(min_value=0, max_value=100, places=3))
def test_money_and_hours_round_trip(amount: Decimal, hours: Decimal) -> None:
    data = {"id": "I1", "part_number": "X", "cost": str(amount), "price": str(amount),
            "quantity_on_hand": str(hours)}
    item = load_record("inventory_item", data)
    again = load_record("inventory_item", dump_record(item))
    assert again == item
    assert dump_record(again) == dump_record(item)


def test_fast_dump_matches_the_schemas_own_dump() -> None:
    """dump_record skips marshmallow for speed; it must write exactly what the schemas write."""
    from hub.domain.generator import generate_history
    from hub.domain.records import Location, Shop

    shop = Shop(id="s", name="S", locations=(Location(id="L1", name="Main"),))
    records = list(generate_history(11, shop, 100))
    assert len({r.kind for r in records}) == len(EntityKind)
    for record in records:
        assert SCHEMAS[record.kind]().dump(record) == dump_record(record)
