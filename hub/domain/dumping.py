"""The JSON-ready form of a record, written without marshmallow because it is on the hot path.

The hub dumps every record it stores (and hashes the result to notice unchanged re-sends), so
this walks the dataclasses directly. The output is exactly what the schemas in
:mod:`hub.domain.schemas` read and write: money ``"12.50"``, quantities ``"1.50"`` or
``"1.125"``, dates and date-times ISO, enums by value, tuples as lists.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import partial
from typing import Any

from hub.domain.fields import format_decimal
from hub.domain.money import money_str
from hub.domain.records import (
    InventoryItem,
    LaborLine,
    PartLine,
    PurchaseLine,
    Record,
    TaxSettings,
)

#: Decimal fields that are counts, hours or rates rather than money, and the fewest places
#: they are written with (they may carry more: ``1.125`` hours).
NON_MONEY_DECIMALS: dict[tuple[type, str], int] = {
    (LaborLine, "hours"): 2,
    (PartLine, "quantity"): 2,
    (PurchaseLine, "quantity"): 2,
    (InventoryItem, "quantity_on_hand"): 2,
    (TaxSettings, "rate"): 0,
}

_Dumper = Callable[[Any], Any]
_PLANS: dict[type, tuple[tuple[str, _Dumper], ...]] = {}


def _dump_value(value: Any, places: int | None = None) -> Any:
    if isinstance(value, Enum):
        return value.value
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return money_str(value) if places is None else format_decimal(value, places)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_dump_value(item, places) for item in value]
    if isinstance(value, frozenset | set):
        return sorted(_dump_value(item, places) for item in value)
    if dataclasses.is_dataclass(value):
        return _dump_object(value)
    raise TypeError(f"cannot dump {value!r}")


def _plan(cls: type) -> tuple[tuple[str, _Dumper], ...]:
    steps: list[tuple[str, _Dumper]] = []
    for f in dataclasses.fields(cls):
        places = NON_MONEY_DECIMALS.get((cls, f.name))
        steps.append((f.name, _dump_value if places is None else partial(_dump_value, places=places)))
    plan = _PLANS[cls] = tuple(steps)
    return plan


def _dump_object(obj: Any) -> dict[str, Any]:
    plan = _PLANS.get(type(obj)) or _plan(type(obj))
    return {name: dump(getattr(obj, name)) for name, dump in plan}


def dump_record(record: Record) -> dict[str, Any]:
    """The JSON-ready form of *record* (without its kind); ``load_record`` reads it back."""
    return _dump_object(record)


def dump_object(obj: Any) -> dict[str, Any]:
    """The JSON-ready form of any domain dataclass (a shop, a line), in the same format."""
    return _dump_object(obj)
