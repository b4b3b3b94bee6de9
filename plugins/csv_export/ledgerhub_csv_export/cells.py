"""Turning field values into CSV cells.

Text cells are neutralised so a spreadsheet never runs them as a formula: a text value that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets one ``'`` in front. A
value that already starts with ``'`` gets one too, so the rule is reversible: to read a text
cell back, drop one leading ``'`` if there is one. Numeric cells (amounts, quantities, counts)
are never prefixed: ``-12.50`` stays a number a spreadsheet can add up.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from ledgerhub_csv_export.settings import ISO_DATE

CENT = Decimal("0.01")

#: First characters that make a spreadsheet treat a cell as a formula, plus the escape itself.
FORMULA_TRIGGERS = frozenset("=+-@\t\r'")
ESCAPE = "'"


def text(value: str) -> str:
    """A text cell, neutralised against formula injection."""
    if value and value[0] in FORMULA_TRIGGERS:
        return ESCAPE + value
    return value


def untext(cell: str) -> str:
    """The original text of a cell written by :func:`text` (for readers and tests)."""
    return cell[1:] if cell.startswith(ESCAPE) else cell


def money(value: Decimal) -> str:
    """An amount as a plain decimal string with two places (``1234.50``, ``-12.50``).

    A value with more places than cents (a unit price of ``0.125``) keeps them, so nothing is
    rounded away; the hub's invoice and line amounts always have two.
    """
    plain = str(value)
    # Fast path: str() already gives exactly two places for nearly every amount.
    if plain[-3:-2] == "." and "E" not in plain:
        return plain
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= -2:
        return f"{value:.2f}"
    if value == value.quantize(CENT):
        return f"{value:.2f}"
    return f"{value.normalize():f}"


def number(value: Decimal) -> str:
    """A quantity, hours or rate as a plain decimal string, never in exponent notation."""
    plain = str(value)
    return plain if "E" not in plain else f"{value:f}"


def integer(value: int | None) -> str:
    """A whole number, or an empty cell for ``None``."""
    return "" if value is None else str(value)


def boolean(value: bool) -> str:
    """``true`` or ``false``."""
    return "true" if value else "false"


def timestamp(value: datetime | None) -> str:
    """A date and time in ISO 8601 with its UTC offset, or an empty cell."""
    return "" if value is None else value.isoformat()


class DateCells:
    """Formats dates with the connection's chosen date format."""

    __slots__ = ("_format",)

    def __init__(self, date_format: str) -> None:
        self._format = date_format

    def __call__(self, value: date) -> str:
        """The date as a cell."""
        if self._format == ISO_DATE:
            return value.isoformat()
        return value.strftime(self._format)
