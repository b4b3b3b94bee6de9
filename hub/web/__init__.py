"""The web app: the ingest API, the settings UI and the plugins' blueprints, on one Hub.

Build it with :func:`create_app`; nothing here holds a global app or hub.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app, jsonify, redirect, url_for

if TYPE_CHECKING:
    from hub.sync.runtime import Hub

log = logging.getLogger("ledgerhub.web")


def create_app(hub: Hub | None = None, test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create the Flask app serving *hub* (a :class:`hub.sync.runtime.Hub`).

    Without *hub*, one is built from the environment (:meth:`HubConfig.from_env`). The app's
    secret key is the hub's; *test_config* overrides any Flask setting. Plugin blueprints come
    from the ``ledgerhub_blueprints`` hook; a plugin whose blueprint fails is reported by name
    (``ledgerhub plugins``) and the app starts without it.
    """
    if hub is None:
        from hub.config import HubConfig
        from hub.sync.runtime import Hub

        hub = Hub(HubConfig.from_env())
    app = Flask(__name__, instance_path=str(hub.config.instance_path), instance_relative_config=True)
    app.config.from_mapping(SECRET_KEY=hub.config.secret_key)
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep fields in schema order
    if test_config:
        app.config.from_mapping(test_config)
    app.extensions["ledgerhub"] = hub

    from hub.web.api import init_api

    init_api(app, hub)
    _init_ui(app, hub)
    _register_plugin_blueprints(app, hub)
    app.add_url_rule("/", "index", _index)
    return app


def _index() -> Any:
    """The settings UI's sign-in page, or a pointer to the API when the UI is not installed."""
    if "auth.sign_in" in current_app.view_functions:
        return redirect(url_for("auth.sign_in"))
    return jsonify({"api": "/api/v1", "openapi": "/api/v1/openapi.json"})


def _init_ui(app: Flask, hub: Hub) -> None:
    """The settings UI, when it is installed (it is built separately from the API)."""
    try:
        from hub.web.ui import init_ui
    except ImportError:
        log.warning("settings UI not available; serving the API only")
        return
    init_ui(app, hub)


def _register_plugin_blueprints(app: Flask, hub: Hub) -> None:
    for plugin_name, blueprints in hub.host.call_each("ledgerhub_blueprints", services=hub.services):
        for blueprint in blueprints:
            try:
                app.register_blueprint(blueprint)
            except Exception as exc:  # noqa: BLE001 - one plugin's blueprint must not stop the app
                hub.host.record_error(
                    plugin_name,
                    f"blueprint {getattr(blueprint, 'name', blueprint)!r} could not be registered: {exc!r}",
                )
