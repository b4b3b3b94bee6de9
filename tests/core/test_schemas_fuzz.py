"""Whatever JSON arrives, load_record answers with a record or a RecordValidationError that
names fields; nothing else escapes (so the API can never turn bad input into a 500)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from hub.domain.generator import generate_history
from hub.domain.kinds import EntityKind
from hub.domain.records import Record, Shop
from hub.domain.schemas import dump_record, load_record
from hub.errors import RecordValidationError

#: Numeric strings whose exponent is far outside decimal's context ("1e999999999").
HUGE_EXPONENTS = st.builds(
    lambda mantissa, exponent: f"{mantissa}e{exponent}",
    st.integers(-99, 99),
    st.integers(-(10**12), 10**12) | st.sampled_from([999999999, -999999999, 1000000]),
)

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40) | HUGE_EXPONENTS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)

SAMPLES: dict[EntityKind, dict[str, Any]] = {}
for _record in generate_history(9, Shop(id="f", name="F"), 120):
    SAMPLES.setdefault(_record.kind, dump_record(_record))


def check(kind: EntityKind | str, data: Any) -> None:
    try:
        record = load_record(kind, data)
    except RecordValidationError as exc:
        assert exc.errors and all(isinstance(f, str) and m for f, m in exc.errors.items())
        assert all(isinstance(message, str) for messages in exc.errors.values() for message in messages)
    else:
        assert isinstance(record, Record)


@settings(max_examples=80, deadline=None)
@given(kind=st.sampled_from(list(EntityKind)), data=JSON)
def test_arbitrary_json_never_escapes(kind: EntityKind, data: Any) -> None:
    check(kind, data)


@settings(max_examples=150, deadline=None)
@given(kind=st.sampled_from(sorted(SAMPLES)), data=st.data())
def test_one_field_replaced_by_anything(kind: EntityKind, data: st.DataObject) -> None:
    sample = dict(SAMPLES[kind])
    field = data.draw(st.sampled_from(sorted(sample)))
    sample[field] = data.draw(JSON)
    check(kind, sample)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_a_line_field_replaced_by_anything(data: st.DataObject) -> None:
    invoice = dict(SAMPLES[EntityKind.INVOICE])
    labor = [dict(line) for line in invoice["labor"]]
    field = data.draw(st.sampled_from(sorted(labor[0])))
    labor[0][field] = data.draw(JSON)
    invoice["labor"] = labor
    try:
        load_record(EntityKind.INVOICE, invoice)
    except RecordValidationError as exc:
        assert any(path.startswith("labor[0].") or path == "total" for path in exc.errors), exc.errors
