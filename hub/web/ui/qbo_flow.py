"""The browser steps after "Connect": the sign-in callback, the start-mode choice, the progress
bar (and its JSON), and the income-account mapping.

Written for QuickBooks Online but generic: any target with ``needs_authorization`` comes back
through :func:`callback`, and any connection can show its backfill progress.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, session, url_for

from hub.errors import ConfigurationError, HubError
from hub.web.auth import current_user, shop_user_required
from hub.web.ui import gateway, plugin_pages
from hub.web.ui.accounting import PENDING_AUTH_KEY
from hub.web.ui.errors import with_error_pages
from hub.web.ui.labels import START_MODES
from hub.web.ui.lookups import connection_or_404, shop_or_404, target_or_404

bp = with_error_pages(Blueprint("qbo_flow", __name__))


@bp.route("/settings/accounting/<target_name>/callback")
def callback(target_name: str) -> Any:
    """Where the target's sign-in and consent page sends the browser back."""
    pending = session.pop(PENDING_AUTH_KEY, None)
    user = current_user()
    if not pending or user is None or not user.may_open(pending["shop_id"]):
        abort(400, "This sign-in was not started from this browser. Start again from Shop Settings.")
    shop_id, connection_id = pending["shop_id"], int(pending["connection_id"])
    target = target_or_404(target_name)
    if "error" in request.args:
        gateway.disconnect(connection_id)
        flash(f"{target.title} was not connected: {request.args.get('error')}.", "error")
        return redirect(url_for("accounting.overview", shop_id=shop_id))
    try:
        gateway.complete_authorization(connection_id, dict(request.args))
    except HubError as exc:
        gateway.disconnect(connection_id)
        flash(f"{target.title} was not connected: {exc}", "error")
        return redirect(url_for("accounting.overview", shop_id=shop_id))
    return redirect(url_for(".start_mode", shop_id=shop_id, connection_id=connection_id))


@bp.route(
    "/shops/<shop_id>/settings/accounting/connections/<int:connection_id>/start", methods=["GET", "POST"]
)
@shop_user_required
def start_mode(shop_id: str, connection_id: int) -> Any:
    """Confirm the connection and ask where to start: from now on, or all existing data."""
    shop = shop_or_404(shop_id)
    conn = connection_or_404(shop_id, connection_id)
    target = target_or_404(conn.target_name)
    error = ""
    if request.method == "POST":
        mode = request.form.get("start_mode", "")
        if mode not in START_MODES:
            error = "Choose where to start: from now on, or all existing data."
        else:
            gateway.start(connection_id, mode)
            return redirect(url_for(".progress", shop_id=shop_id, connection_id=connection_id))
    return render_template(
        "ui/qbo/start_mode.html", shop=shop, conn=conn, target=target, modes=START_MODES, error=error
    ), (422 if error else 200)


@bp.route("/shops/<shop_id>/settings/accounting/connections/<int:connection_id>/progress")
@shop_user_required
def progress(shop_id: str, connection_id: int) -> Any:
    """The progress bar page; it polls :func:`progress_json`."""
    shop = shop_or_404(shop_id)
    conn = connection_or_404(shop_id, connection_id)
    target = target_or_404(conn.target_name)
    return render_template(
        "ui/qbo/progress.html",
        shop=shop,
        conn=conn,
        target=target,
        progress=gateway.backfill_progress(connection_id),
    )


@bp.route("/shops/<shop_id>/settings/accounting/connections/<int:connection_id>/progress.json")
@shop_user_required
def progress_json(shop_id: str, connection_id: int) -> Any:
    """How far the first sync has come, for the page's polling script."""
    conn = connection_or_404(shop_id, connection_id)
    state = gateway.backfill_progress(connection_id)
    return jsonify(
        done=state.done,
        total=state.total,
        pending=state.pending,
        percent=state.percent,
        finished=state.finished,
        status=conn.status_line,
    )


@bp.route(
    "/shops/<shop_id>/settings/accounting/connections/<int:connection_id>/income-accounts",
    methods=["GET", "POST"],
)
@shop_user_required
def income_accounts(shop_id: str, connection_id: int) -> Any:
    """Map each product and service the hub sends to an income account of the shop's chart."""
    shop = shop_or_404(shop_id)
    conn = connection_or_404(shop_id, connection_id)
    target = target_or_404(conn.target_name)
    try:
        items = plugin_pages.mapped_items(target)
        accounts = plugin_pages.income_accounts(connection_id)
    except HubError as exc:
        flash(f"Could not read the chart of accounts from {target.title}: {exc}", "error")
        return redirect(url_for("accounting.overview", shop_id=shop_id))
    if items is None:
        abort(404, f"{target.title} has no income-account mapping.")
    current = dict(conn.settings.get("income_accounts") or {})
    errors: dict[str, str] = {}
    if request.method == "POST":
        valid = {account_id for account_id, _ in accounts}
        chosen = {item: request.form.get(item, "").strip() for item, _ in items}
        for item, account_id in chosen.items():
            if account_id and accounts and account_id not in valid:
                errors[item] = "Choose an account from the list."
            elif len(account_id) > 50:
                errors[item] = "An account id has at most 50 characters."
        if not errors:
            mapping = {item: account_id for item, account_id in chosen.items() if account_id}
            try:
                gateway.update_settings(connection_id, {**conn.settings, "income_accounts": mapping})
            except ConfigurationError as exc:
                errors["_form"] = str(exc)
            else:
                flash("Income accounts saved.")
                return redirect(url_for("accounting.overview", shop_id=shop_id))
        current = chosen
    return render_template(
        "ui/qbo/income_accounts.html",
        shop=shop,
        conn=conn,
        target=target,
        items=items,
        accounts=accounts,
        current=current,
        errors=errors,
    ), (422 if errors else 200)
