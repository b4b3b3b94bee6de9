"""Operator pages: find a shop, turn its subscriptions (features) on or off, open its pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from hub.web.auth import operator_required
from hub.web.ui import gateway
from hub.web.ui.errors import with_error_pages
from hub.web.ui.lookups import shop_or_404

bp = with_error_pages(Blueprint("admin", __name__, url_prefix="/admin"))

#: Feature switches an operator may set, with what each one means.
KNOWN_FEATURES: dict[str, str] = {
    gateway.QBO_FEATURE: "QuickBooks Online subscription (shows the Connect button)",
}


@bp.route("/", methods=["GET"])
@operator_required
def shops() -> Any:
    """Every shop, or the one asked for by id."""
    wanted = request.args.get("shop_id", "").strip()
    if wanted:
        return redirect(url_for(".shop", shop_id=wanted))
    return render_template("ui/admin/shops.html", shops=gateway.list_shops())


@bp.route("/shops/<shop_id>", methods=["GET", "POST"])
@operator_required
def shop(shop_id: str) -> Any:
    """One shop's feature switches."""
    found = shop_or_404(shop_id)
    if request.method == "POST":
        for name in KNOWN_FEATURES:
            gateway.set_feature(shop_id, name, request.form.get(name) == "on")
        flash(f"Features of {found.name} saved.")
        return redirect(url_for(".shop", shop_id=shop_id))
    return render_template(
        "ui/admin/shop.html", shop=found, features=gateway.features(shop_id), known=KNOWN_FEATURES
    )
