"""Shop Settings → RO Info: the sales-tax rate and the taxable categories."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from hub.domain.records import TaxCategory, TaxSettings
from hub.web.auth import shop_user_required
from hub.web.ui import gateway
from hub.web.ui.errors import with_error_pages
from hub.web.ui.lookups import shop_or_404

bp = with_error_pages(Blueprint("ro_info", __name__, url_prefix="/shops/<shop_id>/settings/ro-info"))

CATEGORY_LABELS: dict[TaxCategory, str] = {
    TaxCategory.LABOR: "Labor",
    TaxCategory.PARTS: "Parts",
    TaxCategory.SHOP_SUPPLIES: "Shop supplies",
    TaxCategory.FEES: "Fees (hazmat, disposal)",
    TaxCategory.SUBLETS: "Sublets",
}

MAX_PERCENT = Decimal("30")


def parse_rate_percent(text: str) -> tuple[Decimal | None, str]:
    """A percentage as typed (``8.25``) → the stored fraction (``0.0825``), or an error."""
    cleaned = text.strip().rstrip("%").strip()
    if not cleaned:
        return None, "Enter the sales-tax rate in percent, for example 8.25."
    try:
        percent = Decimal(cleaned)
    except InvalidOperation:
        return None, "The rate must be a number in percent, for example 8.25."
    if not percent.is_finite() or percent < 0 or percent > MAX_PERCENT:
        return None, f"The rate must be between 0 and {MAX_PERCENT} percent."
    if percent != percent.quantize(Decimal("0.001")):
        return None, "The rate can have at most three decimal places (8.875)."
    return percent / 100, ""


def rate_as_percent(rate: Decimal) -> str:
    """The stored fraction shown as a percentage without trailing zeros: ``0.0825`` → ``8.25``."""
    percent = (rate * 100).normalize()
    return f"{percent:f}"


@bp.route("/", methods=["GET", "POST"])
@shop_user_required
def edit(shop_id: str) -> Any:
    """Show and save the shop's tax settings."""
    shop = shop_or_404(shop_id)
    rate_text = rate_as_percent(shop.tax.rate)
    chosen = {str(c) for c in shop.tax.taxable}
    error = ""
    if request.method == "POST":
        rate_text = request.form.get("rate", "")
        chosen = {c for c in request.form.getlist("taxable") if c in {str(t) for t in TaxCategory}}
        rate, error = parse_rate_percent(rate_text)
        if rate is not None:
            tax = TaxSettings(rate=rate, taxable=frozenset(TaxCategory(c) for c in chosen))
            gateway.update_shop(replace(shop, tax=tax))
            flash("RO info saved.")
            return redirect(url_for(".edit", shop_id=shop_id))
    return render_template(
        "ui/ro_info.html",
        shop=shop,
        rate_text=rate_text,
        chosen=chosen,
        categories=CATEGORY_LABELS,
        error=error,
    ), (422 if error else 200)
