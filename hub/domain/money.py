"""Money helpers: amounts are :class:`~decimal.Decimal`, rounded half-up to the cent."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_cents(amount: Decimal | int | str) -> Decimal:
    """Round *amount* half-up to two decimal places (the way an invoice line is rounded)."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def has_at_most_cents(amount: Decimal) -> bool:
    """True when *amount* has no more than two decimal places (``1.50`` yes, ``1.505`` no)."""
    exponent = amount.as_tuple().exponent
    return isinstance(exponent, int) and (exponent >= -2 or amount == amount.quantize(CENT))


def money_str(amount: Decimal) -> str:
    """Format *amount* as a plain decimal string with two places: ``1234.50``."""
    return f"{to_cents(amount):.2f}"
