"""Shop Settings → Accounting: the target cards, connecting with a settings form, disconnecting."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for

from hub.errors import ConfigurationError, HubError
from hub.web.auth import shop_user_required
from hub.web.forms import SchemaForm, build_form
from hub.web.ui import gateway, plugin_pages
from hub.web.ui.cards import build_cards
from hub.web.ui.errors import with_error_pages
from hub.web.ui.lookups import connection_or_404, shop_or_404, target_or_404

bp = with_error_pages(Blueprint("accounting", __name__, url_prefix="/shops/<shop_id>/settings/accounting"))

PENDING_AUTH_KEY = "ledgerhub_pending_authorization"


def _settings_form(target: Any, shop: Any, initial: Any = None) -> SchemaForm:
    form = build_form(target.settings_schema, initial)
    plugin_pages.fill_dynamic_choices(form, shop)
    return form


@bp.route("/")
@shop_user_required
def overview(shop_id: str) -> Any:
    """One card per installed target: what it syncs, whether it is offered, its status."""
    shop = shop_or_404(shop_id)
    cards = build_cards(shop, gateway.targets(), gateway.features(shop_id), gateway.connections(shop_id))
    cards = [plugin_pages.with_plugin_links(card) for card in cards]
    return render_template("ui/accounting/overview.html", shop=shop, cards=cards)


@bp.route("/<target_name>/connect", methods=["GET", "POST"])
@shop_user_required
def connect(shop_id: str, target_name: str) -> Any:
    """Show the target's settings form; on submit, connect (or start the sign-in step)."""
    shop = shop_or_404(shop_id)
    target = target_or_404(target_name)
    reason = target.unavailable_reason(shop)
    if reason:
        abort(403, reason)
    if gateway.subscription_missing(shop_id, target_name):
        abort(403, f"{target.title} is a separate subscription. Contact LedgerHub support to turn it on.")
    if gateway.active_connection(shop_id, target_name) is not None:
        flash(f"{target.title} is already connected.")
        return redirect(url_for(".overview", shop_id=shop_id))
    form = _settings_form(target, shop)
    if request.method == "POST" and form.validate(request.form):
        try:
            connection_id = gateway.connect(shop_id, target_name, form.data)
        except ConfigurationError as exc:
            form.attach_errors(exc.errors or {"_schema": [str(exc)]})
        else:
            if target.needs_authorization:
                return _start_authorization(shop_id, target_name, connection_id)
            flash(f"Connected to {target.title}.")
            return redirect(url_for(".overview", shop_id=shop_id))
    status = 422 if form.has_errors else 200
    return render_template("ui/accounting/connect.html", shop=shop, target=target, form=form), status


def _start_authorization(shop_id: str, target_name: str, connection_id: int) -> Any:
    """Remember which connection is signing in, and send the browser to the target's sign-in."""
    session[PENDING_AUTH_KEY] = {"shop_id": shop_id, "connection_id": connection_id}
    redirect_uri = url_for("qbo_flow.callback", target_name=target_name, _external=True)
    try:
        url = gateway.begin_authorization(connection_id, redirect_uri)
    except HubError as exc:
        gateway.disconnect(connection_id)
        flash(f"Could not start the sign-in: {exc}", "error")
        return redirect(url_for(".overview", shop_id=shop_id))
    return redirect(url)


@bp.route("/connections/<int:connection_id>/settings", methods=["GET", "POST"])
@shop_user_required
def edit(shop_id: str, connection_id: int) -> Any:
    """Change a connection's settings; errors appear next to their fields."""
    shop = shop_or_404(shop_id)
    conn = connection_or_404(shop_id, connection_id)
    target = target_or_404(conn.target_name)
    form = _settings_form(target, shop, conn.settings)
    if request.method == "POST" and form.validate(request.form, current=conn.settings):
        try:
            gateway.update_settings(connection_id, form.data)
        except ConfigurationError as exc:
            form.attach_errors(exc.errors or {"_schema": [str(exc)]})
        else:
            flash(f"{target.title} settings saved.")
            return redirect(url_for(".overview", shop_id=shop_id))
    status = 422 if form.has_errors else 200
    return render_template("ui/accounting/edit.html", shop=shop, target=target, form=form, conn=conn), status


@bp.route("/connections/<int:connection_id>/disconnect", methods=["POST"])
@shop_user_required
def disconnect(shop_id: str, connection_id: int) -> Any:
    """Disconnect: nothing more is sent; the log stays."""
    conn = connection_or_404(shop_id, connection_id)
    target = target_or_404(conn.target_name)
    gateway.disconnect(connection_id)
    flash(f"Disconnected from {target.title}. Nothing more is sent; the sync log is kept.")
    return redirect(url_for(".overview", shop_id=shop_id))


@bp.route("/connections/<int:connection_id>/send-now", methods=["POST"])
@shop_user_required
def sync_now(shop_id: str, connection_id: int) -> Any:
    """Deliver what is waiting now instead of at the next scheduled run."""
    conn = connection_or_404(shop_id, connection_id)
    target = target_or_404(conn.target_name)
    try:
        gateway.sync_now(connection_id)
    except HubError as exc:
        flash(f"Could not send to {target.title}: {exc}", "error")
    else:
        flash(f"Sent what was waiting for {target.title}. The sync log shows each record.")
    return redirect(url_for(".overview", shop_id=shop_id))


@bp.route("/connections/<int:connection_id>/reconnect", methods=["POST"])
@shop_user_required
def reauthorize(shop_id: str, connection_id: int) -> Any:
    """Sign in to the target again (an unfinished or revoked authorization)."""
    conn = connection_or_404(shop_id, connection_id)
    target = target_or_404(conn.target_name)
    if not target.needs_authorization:
        return redirect(url_for(".edit", shop_id=shop_id, connection_id=connection_id))
    return _start_authorization(shop_id, conn.target_name, connection_id)
