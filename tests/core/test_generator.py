"""The shop-history generator: deterministic, valid, complete, in dependency order."""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.domain.generator import generate_history
from hub.domain.kinds import REFERENCES, EntityKind
from hub.domain.money import ZERO, to_cents
from hub.domain.records import (
    Invoice,
    InvoiceStatus,
    Location,
    Payment,
    Record,
    Shop,
    SubletDetail,
    TaxCategory,
    TaxSettings,
)
from hub.domain.schemas import dump_record, load_record

SHOP = Shop(
    id="gen-shop", name="Generator Auto", region="IL",
    locations=(Location(id="L1", name="Main"), Location(id="L2", name="North")),
    tax=TaxSettings(rate=Decimal("0.0825"),
                    taxable=frozenset({TaxCategory.PARTS, TaxCategory.SHOP_SUPPLIES})),
)


@pytest.fixture(scope="module")
def history() -> list[Record]:
    return list(generate_history(7, SHOP, 400))


def test_same_seed_same_history_other_seed_other_history() -> None:
    first = [dump_record(r) for r in generate_history(3, SHOP, 60)]
    again = [dump_record(r) for r in generate_history(3, SHOP, 60)]
    other = [dump_record(r) for r in generate_history(4, SHOP, 60)]
    assert first == again
    assert first != other


def test_every_record_validates_and_round_trips(history: list[Record]) -> None:
    for record in history:
        assert load_record(record.kind, dump_record(record)) == record


def test_records_come_after_what_they_reference(history: list[Record]) -> None:
    seen: set[tuple[EntityKind, str]] = set()
    for record in history:
        for field, kind in REFERENCES[record.kind].items():
            assert (kind, getattr(record, field)) in seen, f"{record.kind} {record.id} before its {field}"
        if isinstance(record, SubletDetail):
            assert (EntityKind.INVOICE, record.invoice_id) in seen
        assert (record.kind, record.id) not in seen, f"duplicate id {record.id}"
        seen.add((record.kind, record.id))


def test_every_kind_and_line_kind_is_present(history: list[Record]) -> None:
    assert set(Counter(r.kind for r in history)) == set(EntityKind)
    invoices = [r for r in history if isinstance(r, Invoice)]
    assert len(invoices) == 400
    assert all(any(getattr(i, attr) for i in invoices)
               for attr in ("labor", "parts", "sublets", "fees", "shop_supplies", "labor_discount",
                            "parts_discount", "tax"))
    statuses = Counter(i.status for i in invoices)
    assert statuses[InvoiceStatus.VOIDED] > 0 and statuses[InvoiceStatus.CLOSED] > 300
    assert {i.location_id for i in invoices} == {"L1", "L2"}


def test_tax_follows_the_shop_settings(history: list[Record]) -> None:
    for invoice in (r for r in history if isinstance(r, Invoice)):
        base = invoice.parts_total - invoice.parts_discount + invoice.shop_supplies
        assert invoice.tax == to_cents(base * Decimal("0.0825"))
        assert invoice.total == invoice.computed_total


def test_tax_free_shop_has_no_tax_and_labor_taxable_shop_taxes_labor() -> None:
    free = Shop(id="s", name="S", tax=TaxSettings(rate=Decimal("0")))
    assert all(r.tax == ZERO for r in generate_history(1, free, 50) if isinstance(r, Invoice))
    labor_only = Shop(id="s", name="S", tax=TaxSettings(rate=Decimal("0.1"),
                                                       taxable=frozenset({TaxCategory.LABOR})))
    for invoice in (r for r in generate_history(1, labor_only, 50) if isinstance(r, Invoice)):
        assert invoice.tax == to_cents((invoice.labor_total - invoice.labor_discount) * Decimal("0.1"))


def test_payments_are_full_split_partial_or_missing(history: list[Record]) -> None:
    invoices = {r.id: r for r in history if isinstance(r, Invoice)}
    paid: dict[str, list[Payment]] = defaultdict(list)
    for payment in (r for r in history if isinstance(r, Payment)):
        paid[payment.invoice_id].append(payment)
    shapes: Counter[str] = Counter()
    for invoice_id, invoice in invoices.items():
        payments = paid.get(invoice_id, [])
        amount = sum((p.amount for p in payments), ZERO)
        assert amount <= invoice.total
        if invoice.status is InvoiceStatus.VOIDED:
            assert not payments
        elif not payments:
            shapes["unpaid"] += 1
        elif amount < invoice.total:
            shapes["partial"] += 1
        elif len(payments) > 1:
            shapes["split"] += 1
        else:
            shapes["full"] += 1
    assert set(shapes) == {"unpaid", "partial", "split", "full"}


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32), orders=st.integers(min_value=0, max_value=30))
def test_any_seed_gives_valid_records(seed: int, orders: int) -> None:
    records = list(generate_history(seed, SHOP, orders))
    assert sum(isinstance(r, Invoice) for r in records) == orders
    for record in records:
        assert load_record(record.kind, dump_record(record)) == record
