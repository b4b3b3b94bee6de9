"""Making, authorizing and ending connections between a shop and a target."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError

from hub.errors import ConfigurationError
from hub.plugin.target import Target
from hub.storage import connections as conn_repo
from hub.storage import tenants
from hub.storage.models import ConnectionRow
from hub.sync.context import StoredValues, context_for, open_settings, seal_settings, secret_fields
from hub.sync.core import Core
from hub.sync.outbox import start_backfill

START_MODES = ("forward", "history")
HUB_NAMESPACE = "hub"
OAUTH_STATE_KEY = "oauth_state"


def _flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    if isinstance(messages, Mapping):
        flat: dict[str, list[str]] = {}
        for key, value in messages.items():
            flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return {prefix or "_schema": list(messages)}
    return {prefix or "_schema": [str(messages)]}


def target_for(core: Core, target_name: str) -> Target:
    """The installed target *target_name*; ``ConfigurationError`` naming the choices if none."""
    target = core.targets.get(target_name)
    if target is None:
        known = ", ".join(sorted(core.targets)) or "none installed"
        raise ConfigurationError(
            f"no target named {target_name!r}", {"target": [f"unknown target; known: {known}"]}
        )
    return target


def validate_settings(
    target: Target, settings: Mapping[str, Any], previous: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Check *settings* with the target's schema; returns what to store: the schema's loaded
    result (so a write-only field such as an API key is stored only as the schema transforms
    it, e.g. hashed). With *previous* settings (decrypted; a reconnect or a settings change), a
    write-only or secret field left empty keeps its stored value."""
    schema = target.settings_schema()
    given = dict(settings)
    if previous:
        write_only = {name for name, f in schema.fields.items() if f.load_only} | secret_fields(schema)
        given = {**previous, **{k: v for k, v in given.items() if not (k in write_only and v in ("", None))}}
    try:
        loaded = schema.load(given)
    except ValidationError as exc:
        raise ConfigurationError(f"invalid settings for {target.title}", _flatten(exc.messages)) from None
    stored = dict(loaded) if isinstance(loaded, Mapping) else schema.dump(loaded)
    try:
        json.dumps(stored)
    except TypeError:
        stored = schema.dump(loaded)
    try:
        json.dumps(stored)
    except TypeError as exc:
        raise ConfigurationError("settings must be plain JSON values", {"settings": [str(exc)]}) from None
    return stored


def connect(core: Core, shop_id: str, target_name: str, settings: Mapping[str, Any], start_mode: str) -> int:
    """Connect *shop_id* to *target_name*; reconnecting reuses the connection so the
    external-id map (and with it, no duplicates) survives. Returns the connection id."""
    if start_mode not in START_MODES:
        raise ConfigurationError("invalid start mode", {"start_mode": ["must be 'forward' or 'history'"]})
    target = target_for(core, target_name)
    now = core.now()
    with core.session_factory.begin() as session:
        shop = tenants.load_shop_row(tenants.shop_row(session, shop_id))
        reason = target.unavailable_reason(shop)
        if reason:
            raise ConfigurationError(reason, {"target": [reason]})
        row = conn_repo.find_connection(session, shop_id, target_name)
        previous = open_settings(core, row.settings) if row is not None else None
        stored = seal_settings(core, target, validate_settings(target, settings, previous))
        if row is None:
            row = ConnectionRow(
                shop_id=shop_id,
                target_name=target_name,
                settings=stored,
                status="",
                status_reason="",
                start_mode=start_mode,
                created_at=now,
                backfill_high_water=0,
                backfill_cursor=0,
                backfill_total=0,
                backfill_done=0,
            )
            session.add(row)
        row.settings = stored
        row.start_mode = start_mode
        row.status_reason = ""
        if row.status != conn_repo.ACTIVE:
            row.status = (
                conn_repo.PENDING_AUTHORIZATION if target.needs_authorization else conn_repo.CONNECTING
            )
        session.flush()
        if start_mode == "history":
            start_backfill(session, row, target)
        connection_id = row.id
        status = row.status
    if status == conn_repo.CONNECTING:
        activate(core, connection_id)
    return connection_id


def update_settings(core: Core, connection_id: int, settings: Mapping[str, Any]) -> None:
    """Replace a connection's settings (validated by the target's schema; a secret or
    write-only field left empty keeps its stored value). Status, start mode and the history
    backfill stay as they are."""
    with core.session_factory.begin() as session:
        row = conn_repo.connection_row(session, connection_id)
        target = target_for(core, row.target_name)
        previous = open_settings(core, row.settings)
        row.settings = seal_settings(core, target, validate_settings(target, settings, previous))


def activate(core: Core, connection_id: int) -> None:
    """Run the target's ``connect`` and mark the connection active; on failure mark it
    closed and raise ``ConfigurationError`` with the target's words."""
    with core.session_factory() as session:
        row = conn_repo.connection_row(session, connection_id)
        ctx = context_for(core, session, row)
    target = target_for(core, ctx.target_name)
    try:
        target.connect(ctx)
    except Exception as exc:  # noqa: BLE001 - reported to the person connecting
        message = getattr(exc, "message", None) or f"plugin {target.name!r} failed: {exc!r}"
        with core.session_factory.begin() as session:
            row = conn_repo.connection_row(session, connection_id)
            row.status = conn_repo.CLOSED
            row.status_reason = message
        raise ConfigurationError(
            f"could not connect to {target.title}: {message}", {"target": [message]}
        ) from exc
    with core.session_factory.begin() as session:
        row = conn_repo.connection_row(session, connection_id)
        row.status = conn_repo.ACTIVE
        row.status_reason = ""
        row.connected_at = core.now()


def begin_authorization(core: Core, connection_id: int, redirect_uri: str) -> str:
    """The target's authorization URL, carrying a fresh one-time ``state`` the hub checks."""
    with core.session_factory() as session:
        ctx = context_for(core, session, conn_repo.connection_row(session, connection_id))
    target = target_for(core, ctx.target_name)
    state = secrets.token_urlsafe(24)
    StoredValues(core, connection_id, HUB_NAMESPACE, encrypted=True).set(OAUTH_STATE_KEY, state)
    return target.authorization_url(ctx, redirect_uri, state)


def complete_authorization(core: Core, connection_id: int, params: Mapping[str, str]) -> None:
    """Check the callback's ``state``, let the target store its tokens, then activate."""
    store = StoredValues(core, connection_id, HUB_NAMESPACE, encrypted=True)
    expected = store.get(OAUTH_STATE_KEY)
    given = params.get("state")
    if not expected or given != expected or not store.compare_and_set(OAUTH_STATE_KEY, expected, ""):
        raise ConfigurationError(
            "the authorization answer does not match this connection; start again",
            {"state": ["does not match the authorization that was started"]},
        )
    if "error" in params:
        raise ConfigurationError(
            f"authorization was refused: {params['error']}", {"authorization": [params["error"]]}
        )
    with core.session_factory() as session:
        ctx = context_for(core, session, conn_repo.connection_row(session, connection_id))
    target = target_for(core, ctx.target_name)
    try:
        target.complete_authorization(ctx, params)
    except Exception as exc:  # noqa: BLE001
        message = getattr(exc, "message", None) or f"plugin {target.name!r} failed: {exc!r}"
        raise ConfigurationError(f"authorization failed: {message}", {"authorization": [message]}) from exc
    activate(core, connection_id)


def disconnect(core: Core, connection_id: int) -> None:
    """End a connection at the shop's request: the target revokes, secrets are forgotten,
    nothing more is queued. The external-id map stays for a later reconnect."""
    with core.session_factory() as session:
        row = conn_repo.connection_row(session, connection_id)
        ctx = context_for(core, session, row)
    target = core.targets.get(ctx.target_name)
    if target is not None:
        try:
            target.disconnect(ctx)
        except Exception:  # noqa: BLE001 - the shop's wish to disconnect wins over a failing revoke
            ctx.logger.exception("disconnect failed")
    with core.session_factory.begin() as session:
        row = conn_repo.connection_row(session, connection_id)
        row.status = conn_repo.CLOSED
        row.status_reason = "disconnected by the shop"
        conn_repo.clear_namespace(session, connection_id, "secrets")
        conn_repo.clear_namespace(session, connection_id, HUB_NAMESPACE)
