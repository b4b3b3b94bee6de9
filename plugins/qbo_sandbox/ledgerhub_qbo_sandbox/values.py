"""Small value rules shared by the entity rules: cleaning client bodies, numbers, names, refs."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from ledgerhub_qbo_sandbox import errors

CENT = Decimal("0.01")
#: QBO amounts have at most 10 digits before the point and 5 after.
LARGEST = Decimal("1e10")
_FORBIDDEN_IN_NAMES = (":", "\t", "\n")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def clean(value: Any) -> Any:
    """Drop empty strings, nulls, empty objects and empty lists, at any depth.

    python-quickbooks serializes ``""`` for every unset string and ``{"value": ""}`` for unset
    references; QBO treats them as absent, and so does the sandbox.
    """
    if isinstance(value, dict):
        cleaned = {key: clean(item) for key, item in value.items()}
        return {key: item for key, item in cleaned.items() if item not in ("", None, {}, [])}
    if isinstance(value, list):
        return [clean(item) for item in value]
    return value


def money(value: Decimal) -> Decimal:
    """Round half-up to the cent, as QBO rounds amounts and tax."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def to_decimal(value: Any, element: str) -> Decimal:
    """A JSON number (or numeric string, as python-quickbooks' ``use_decimal`` sends) as a Decimal."""
    if isinstance(value, bool):
        raise errors.invalid_value(element, value, "a number")
    parsed: Decimal | None = None
    if isinstance(value, Decimal | int):
        parsed = Decimal(value)
    elif isinstance(value, str):
        try:
            parsed = Decimal(value.strip())
        except InvalidOperation:
            parsed = None
    if parsed is None or not parsed.is_finite():
        raise errors.invalid_value(element, value, "a number")
    if abs(parsed) >= LARGEST or parsed.normalize().as_tuple().exponent < -5:  # type: ignore[operator]
        raise errors.invalid_value(element, str(value), "at most 15 digits in 10.5 format")
    return parsed


def optional_decimal(body: dict[str, Any], key: str, element: str) -> Decimal | None:
    """The Decimal at ``body[key]``, or None when absent."""
    if key not in body:
        return None
    return to_decimal(body[key], element)


def check_date(body: dict[str, Any], key: str) -> None:
    """Refuse a date that is not ``YYYY-MM-DD``."""
    value = body.get(key)
    if value is not None and not (isinstance(value, str) and _DATE.match(value)):
        raise errors.invalid_value(key, value, "a date as YYYY-MM-DD")


def check_bool(body: dict[str, Any], key: str) -> None:
    """Refuse a flag that is not a JSON boolean."""
    value = body.get(key)
    if value is not None and not isinstance(value, bool):
        raise errors.invalid_value(key, value, "true or false")


def check_name_characters(body: dict[str, Any], keys: tuple[str, ...], extra: str = "") -> None:
    """Refuse (2040) names holding a colon, a tab, a newline, or any of ``extra``."""
    forbidden = _FORBIDDEN_IN_NAMES + tuple(extra)
    for key in keys:
        value = body.get(key)
        if isinstance(value, str) and any(char in value for char in forbidden):
            raise errors.invalid_characters(key)


def ref_value(body: dict[str, Any], key: str) -> str | None:
    """The ``value`` of a reference such as ``CustomerRef``, as a string, or None."""
    ref = body.get(key)
    if not isinstance(ref, dict) or ref.get("value") in (None, ""):
        return None
    return str(ref["value"])


def name_key(name: str) -> str:
    """How names are compared for uniqueness: trimmed and case-insensitive."""
    return " ".join(name.split()).casefold()
