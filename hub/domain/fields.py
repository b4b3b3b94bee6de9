"""marshmallow fields for the domain's boundary types: money, quantities, rates, bounded text.

Every error message names the rule it enforces, so a shop system developer reading
``invoice 'RO-7': labor[2].hours: must not be negative (got -1)`` knows what to fix.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable
from decimal import Decimal
from enum import StrEnum
from typing import Any

from marshmallow import ValidationError, fields, validate

#: Sane upper bounds for text, by what the text is.
ID_MAX = 64
NUMBER_MAX = 30
NAME_MAX = 100
DESCRIPTION_MAX = 4000
EMAIL_MAX = 254
PHONE_MAX = 30
SHORT_MAX = 50

#: No amount, quantity or rate may reach this magnitude (it also keeps quantize() safe).
MAGNITUDE_LIMIT = Decimal("1000000000000")


class BoundedDecimal(fields.Decimal):
    """A JSON number or numeric string read as an exact :class:`~decimal.Decimal`.

    Floats are read through their shortest ``repr`` (``0.1`` → ``Decimal("0.1")``). ``places``
    is the most decimal places accepted (never rounded away); ``minimum`` the least value.
    Serialised as a string with at least ``min_places`` places.
    """

    default_error_messages = {
        "invalid": 'must be a decimal number such as "12.50" (got {input!r})',
        "special": "must be a finite number",
        "places": "must have at most {places} decimal places (got {input})",
        "minimum": "must not be negative (got {input})",
        "positive": "must be greater than zero (got {input})",
        "too_large": "must be less than {limit} (got {input})",
        "maximum": "must be at most {maximum} (got {input})",
    }

    def __init__(
        self,
        *,
        max_places: int,
        min_places: int = 2,
        positive: bool = False,
        maximum: Decimal | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(as_string=True, allow_nan=False, **kwargs)
        self.max_places = max_places
        self.min_places = min_places
        self.positive = positive
        self.maximum = maximum

    def _validated(self, value: Any) -> Decimal:
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            try:
                num = Decimal(str(value).strip())
            except decimal.InvalidOperation:
                raise self.make_error("invalid", input=value) from None
        else:
            raise self.make_error("invalid", input=value)
        if not num.is_finite():
            raise self.make_error("special")
        if _too_large(num):
            raise self.make_error("too_large", limit=MAGNITUDE_LIMIT, input=value)
        if not _has_at_most_places(num, self.max_places):
            raise self.make_error("places", places=self.max_places, input=value)
        if num < 0:
            raise self.make_error("minimum", input=value)
        if self.positive and num == 0:
            raise self.make_error("positive", input=value)
        if self.maximum is not None and num > self.maximum:
            raise self.make_error("maximum", maximum=self.maximum, input=value)
        return num

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        return format_decimal(value, self.min_places)


def _too_large(num: Decimal) -> bool:
    # Compare exponents before arithmetic: abs() of "1e999999999" would raise decimal.Overflow.
    if num.adjusted() > MAGNITUDE_LIMIT.adjusted():
        return True
    try:
        return abs(num) >= MAGNITUDE_LIMIT
    except decimal.DecimalException:
        return True


def _has_at_most_places(num: Decimal, places: int) -> bool:
    exponent = num.as_tuple().exponent
    return isinstance(exponent, int) and (
        exponent >= -places or num == num.quantize(Decimal(1).scaleb(-places))
    )


def format_decimal(value: Decimal, min_places: int = 2) -> str:
    """Plain string with at least *min_places* places and no trailing zeros beyond them.

    ``1.5`` → ``"1.50"``, ``1.125`` → ``"1.125"``, ``0.0825`` (min 0) → ``"0.0825"``. The
    result depends only on the value, so equal amounts always dump the same way.
    """
    normal = value.normalize()
    exponent = normal.as_tuple().exponent
    places = max(min_places, -exponent if isinstance(exponent, int) else 0)
    return f"{value:.{places}f}"


def money(**kwargs: Any) -> BoundedDecimal:
    """An amount of money: at most two places, not negative (``positive=True``: above zero)."""
    return BoundedDecimal(max_places=2, **kwargs)


def quantity(**kwargs: Any) -> BoundedDecimal:
    """A count or number of hours: at most three places, not negative."""
    return BoundedDecimal(max_places=3, **kwargs)


def rate(**kwargs: Any) -> BoundedDecimal:
    """A fraction between 0 and 1 with at most six places (``0.0825`` is 8.25 %)."""
    return BoundedDecimal(max_places=6, min_places=0, maximum=Decimal(1), **kwargs)


class MaxLength(validate.Validator):
    """Reject strings longer than *limit*, saying both the limit and the actual length."""

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def __call__(self, value: str) -> str:
        if len(value) > self.limit:
            raise ValidationError(f"must be at most {self.limit} characters long (got {len(value)})")
        return value


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("must not be empty")


def text(max_length: int, *, required: bool = False, **kwargs: Any) -> fields.String:
    """A string of at most *max_length* characters; a required one must not be blank."""
    validators: list[Any] = [MaxLength(max_length)]
    if required:
        validators.insert(0, _not_blank)
    else:
        kwargs.setdefault("load_default", "")
    return fields.String(required=required, validate=validators, **kwargs)


class ValueEnum(fields.Enum):
    """An enum read and written by value; anything else is rejected naming the allowed values."""

    default_error_messages = {"unknown": "must be one of: {choices} (got {input!r})"}

    def __init__(self, enum_type: type[StrEnum], **kwargs: Any) -> None:
        super().__init__(enum_type, by_value=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        try:
            return self.enum(value)
        except (ValueError, TypeError):
            raise self.make_error("unknown", choices=self.choices_text, input=value) from None


def enum(enum_type: type[StrEnum], **kwargs: Any) -> ValueEnum:
    """A field for *enum_type* by value (see :class:`ValueEnum`)."""
    return ValueEnum(enum_type, **kwargs)


class EnumSet(fields.List):
    """A set of enum values: a JSON list in, a :class:`frozenset` out, sorted when dumped."""

    def __init__(self, enum_type: type[StrEnum], **kwargs: Any) -> None:
        super().__init__(enum(enum_type), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> frozenset[Any]:
        return frozenset(super()._deserialize(value, attr, data, **kwargs))

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> list[Any] | None:
        if value is None:
            return None
        return sorted(str(v) for v in value)


#: marshmallow's stock messages, reworded to say the rule the same way ours do.
STOCK_MESSAGES: dict[str, str] = {
    "Missing data for required field.": "is required",
    "Unknown field.": "is not a known field",
    "Field may not be null.": "must not be null",
    "Not a valid string.": "must be a string",
    "Not a valid integer.": "must be a whole number",
    "Not a valid date.": "must be an ISO date (YYYY-MM-DD)",
    "Not a valid datetime.": "must be an ISO date-time (YYYY-MM-DDTHH:MM:SS+00:00)",
    "Not a valid aware datetime.": "must be an ISO date-time with a UTC offset (…T10:00:00+00:00)",
    "Not a valid boolean.": "must be true or false",
    "Not a valid list.": "must be a list",
    "Invalid input type.": "must be a JSON object",
    "Invalid type.": "must be a JSON object",
}


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn marshmallow's nested error dict into ``{"labor[2].hours": ["must not be negative"]}``.

    Schema-level errors (``_schema``) land on the enclosing path, or ``_record`` at the top.
    """
    flat: dict[str, list[str]] = {}

    def add(path: str, items: Iterable[Any]) -> None:
        bucket = flat.setdefault(path or "_record", [])
        bucket.extend(STOCK_MESSAGES.get(str(m), str(m)) for m in items)

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "_schema":
                    walk(value, path)
                elif isinstance(key, int):
                    walk(value, f"{path}[{key}]")
                else:
                    walk(value, f"{path}.{key}" if path else str(key))
        elif isinstance(node, list | tuple):
            if all(isinstance(m, str) for m in node):
                add(path, node)
            else:
                for item in node:
                    walk(item, path)
        else:
            add(path, [node])

    walk(messages, prefix)
    return flat
