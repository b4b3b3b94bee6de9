"""The shop owner's settings UI and the support pages, wired into the app by :func:`init_ui`.

``create_app`` calls ``init_ui(app, hub)`` once. It sets the session cookie policy, turns on
CSRF protection for every cookie-authenticated request, and registers one blueprint per area.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, request, session
from flask_wtf.csrf import CSRFProtect

WEB_DIR = Path(__file__).resolve().parent.parent

#: Blueprints whose every unsafe request is CSRF-checked, signed in or not (the sign-in form).
UI_BLUEPRINTS = frozenset({"auth", "accounting", "qbo_flow", "ro_info", "sync_log", "admin"})


@dataclass(frozen=True, slots=True)
class UiState:
    """What the UI keeps in ``app.extensions["ledgerhub_ui"]``."""

    hub: Any
    csrf: CSRFProtect


def _session_settings(app: Flask, hub: Any) -> None:
    """HttpOnly, SameSite=Lax, and Secure when the hub is served over https.

    Flask's defaults are not safe enough (no SameSite, never Secure), so these are set here;
    ``LEDGERHUB_COOKIE_SECURE`` (True/False) in the app config overrides the https guess, for
    a hub behind a TLS-terminating proxy whose public URL is not known.
    """
    public_url = str(getattr(getattr(hub, "config", None), "public_url", "") or "")
    secure = app.config.get("LEDGERHUB_COOKIE_SECURE")
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = (
        bool(secure) if secure is not None else public_url.startswith("https://")
    )
    app.config["SESSION_COOKIE_NAME"] = app.config.get("LEDGERHUB_COOKIE_NAME", "ledgerhub_session")
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=12)
    # The API and SOAP endpoints authenticate without cookies; the UI decides when to check.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False


def _needs_csrf_check() -> bool:
    """Every unsafe request the session cookie could authenticate, and every UI form."""
    if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
        return False
    from hub.web.auth import SESSION_KEY

    return request.blueprint in UI_BLUEPRINTS or bool(session.get(SESSION_KEY))


def guard_plugin_action(hub: Any) -> Any:
    """Plugin views named in a target's ``ui_actions`` get the same guard as the UI's own
    pages (a plugin cannot import the UI): a signed-in user of the shop in the URL, whose
    connection it is."""
    from flask import abort

    from hub.web.auth import current_user

    endpoint = request.endpoint or ""
    guarded = {action[1] for target in hub.targets.values() for action in getattr(target, "ui_actions", ())}
    if endpoint not in guarded:
        return None
    args = request.view_args or {}
    user = current_user()
    if user is None:
        from flask import redirect, url_for

        return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
    shop_id = str(args.get("shop_id", ""))
    if not user.may_open(shop_id):
        abort(403, "You are signed in for another shop.")
    from hub.web.ui import gateway

    if "connection_id" in args and gateway.connection(shop_id, int(args["connection_id"])) is None:
        abort(404, "That connection does not exist for this shop.")
    return None


def init_ui(app: Flask, hub: Any) -> None:
    """Register the settings UI on *app*, backed by the Hub facade *hub*."""
    from hub.web import auth
    from hub.web.ui import accounting, admin, qbo_flow, ro_info, sync_log
    from hub.web.ui.operators import OPERATORS_ENV, configured_operators
    from hub.web.ui.templating import register_template_helpers

    _session_settings(app, hub)
    app.config[OPERATORS_ENV] = configured_operators(app.config)
    if not app.secret_key:
        # The Fernet key is as secret as a session key gets, and already per installation.
        app.secret_key = getattr(getattr(hub, "config", None), "secret_key", None)
    csrf = CSRFProtect(app)
    app.extensions["ledgerhub_ui"] = UiState(hub=hub, csrf=csrf)

    @app.before_request
    def _csrf_guard() -> None:
        if _needs_csrf_check():
            csrf.protect()

    @app.before_request
    def _plugin_action_guard() -> Any:
        return guard_plugin_action(hub)

    assets = Blueprint(
        "ui_assets",
        __name__,
        template_folder=str(WEB_DIR / "templates"),
        static_folder=str(WEB_DIR / "static"),
        static_url_path="/ui-static",
    )
    app.register_blueprint(assets)
    for module in (auth, accounting, qbo_flow, ro_info, sync_log, admin):
        app.register_blueprint(module.bp)
    register_template_helpers(app)
