"""Sales tax the way QBO computes it, from the company's own settings.

US companies: each line is ``TAX`` or ``NON``; the tax is the company's rate applied once to the
sum of the taxable lines, rounded half-up to the cent. Whatever tax the client sent is replaced.
Canadian companies: each sales line must carry one of the company's tax codes; each rate of
each code is applied to the sum of the lines carrying that code.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from ledgerhub_qbo_sandbox import errors
from ledgerhub_qbo_sandbox.store import CANADIAN_TAX_CODES, US_TAX_RATE_ID, Realm, canadian_rates
from ledgerhub_qbo_sandbox.values import money, ref_value

US_CODES = ("TAX", "NON")
ZERO = Decimal("0")
HUNDRED = Decimal("100")


def line_tax_code(realm: Realm, detail: dict[str, Any], line_number: int) -> str:
    """Check and return the tax code of one sales line (defaulting to NON in the US)."""
    code = ref_value(detail, "TaxCodeRef")
    if realm.country == "US":
        code = code or "NON"
        if code not in US_CODES:
            raise errors.invalid_line_tax_code(code)
        return code
    if code is None:
        raise errors.business(
            f"Make sure all your transactions have a GST/HST rate before you save. "
            f"(Line {line_number} has no TaxCodeRef)",
            "Line.SalesItemLineDetail.TaxCodeRef",
        )
    if code not in CANADIAN_TAX_CODES:
        raise errors.invalid_reference("Line.SalesItemLineDetail.TaxCodeRef", "TaxCode", code)
    return code


def compute(realm: Realm, taxed_lines: list[tuple[str, Decimal]], calculation: str) -> dict[str, Any]:
    """The TxnTaxDetail of a transaction whose sales lines are ``(tax code, amount)`` pairs."""
    if realm.country == "US":
        taxable = sum((amount for code, amount in taxed_lines if code == "TAX"), ZERO)
        total = money(taxable * realm.tax_rate)
        detail: dict[str, Any] = {"TotalTax": total}
        if taxable:
            detail["TxnTaxCodeRef"] = {"value": US_TAX_RATE_ID}
            detail["TaxLine"] = [_tax_line(total, US_TAX_RATE_ID, realm.tax_rate * HUNDRED, taxable)]
        return detail
    if calculation == "NotApplicable":
        return {"TotalTax": ZERO}
    by_code: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for code, amount in taxed_lines:
        by_code[code] += amount
    tax_lines = []
    total = ZERO
    for code, base in sorted(by_code.items()):
        for rate_id, _name, percent in canadian_rates(code):
            if calculation == "TaxInclusive":
                amount = money(base - base * HUNDRED / (HUNDRED + percent))
            else:
                amount = money(base * percent / HUNDRED)
            total += amount
            tax_lines.append(_tax_line(amount, rate_id, percent, base))
    return {"TotalTax": total, "TaxLine": tax_lines}


def _tax_line(amount: Decimal, rate_id: str, percent: Decimal, base: Decimal) -> dict[str, Any]:
    return {
        "Amount": amount,
        "DetailType": "TaxLineDetail",
        "TaxLineDetail": {
            "TaxRateRef": {"value": rate_id},
            "PercentBased": True,
            "TaxPercent": percent.normalize(),
            "NetAmountTaxable": base,
        },
    }
