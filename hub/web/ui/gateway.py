"""Everything the settings UI asks of the Hub facade, in one place.

Views never call the facade directly: they call these functions, which use only the facade's
public methods. When the facade lacks something the UI needs, the small stand-in lives here
(and is listed in docs/ui.md), so a later facade method replaces one function, not many views.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from werkzeug.security import check_password_hash

from hub.domain.records import Shop
from hub.errors import HubError
from hub.plugin.target import Target

QBO_FEATURE = "qbo"
"""The per-shop subscription switch for QuickBooks Online."""

#: Connection statuses that no longer count as connected.
ENDED_STATUSES = frozenset({"closed", "removed"})

#: Targets sold as a separate subscription: target name → feature switch.
SUBSCRIPTION_FEATURES: dict[str, str] = {"qbo": QBO_FEATURE}


@dataclass(frozen=True, slots=True)
class Account:
    """Who a successful sign-in is for."""

    email: str
    shop_id: str
    operator: bool = False


@dataclass(frozen=True, slots=True)
class ConnectionView:
    """One connection as the settings pages show it."""

    id: int
    shop_id: str
    target_name: str
    status: str
    start_mode: str
    settings: Mapping[str, Any]
    status_line: str


@dataclass(frozen=True, slots=True)
class Progress:
    """How far a history backfill has come."""

    done: int
    total: int
    pending: int
    finished: bool

    @property
    def percent(self) -> int:
        """Whole percent done, 100 when there was nothing to do."""
        if self.total <= 0:
            return 100 if self.finished else 0
        return min(100, int(self.done * 100 / self.total))


def hub_of(app: Flask | None = None) -> Any:
    """The Hub facade the UI was initialised with."""
    return (app or current_app).extensions["ledgerhub_ui"].hub


def authenticate(app: Flask, email: str, password: str) -> Account | None:
    """Check *email* and *password*: an operator from the app config, else a shop user."""
    operators: Mapping[str, str] = app.config.get("LEDGERHUB_OPERATORS") or {}
    if email in operators:
        if check_password_hash(operators[email], password):
            return Account(email=email, shop_id="", operator=True)
        return None
    if not email or not password:
        return None
    shop_id = hub_of(app).check_user(email, password)
    if shop_id is None:
        return None
    return Account(email=email.strip().lower(), shop_id=shop_id)


def constant_time_equal(a: str, b: str) -> bool:
    """Compare two secrets without leaking where they differ."""
    return hmac.compare_digest(a.encode(), b.encode())


def get_shop(shop_id: str) -> Shop | None:
    """The shop, or ``None`` when there is no such shop."""
    try:
        return hub_of().get_shop(shop_id)
    except LookupError:
        return None


def targets() -> dict[str, Target]:
    """Installed targets by name, in a stable order."""
    return dict(sorted(hub_of().targets.items()))


def features(shop_id: str) -> dict[str, bool]:
    """The shop's feature switches."""
    return {name: bool(on) for name, on in hub_of().features(shop_id).items()}


def set_feature(shop_id: str, name: str, enabled: bool) -> None:
    """Turn a feature on or off for one shop."""
    hub_of().set_feature(shop_id, name, enabled)


def subscription_missing(shop_id: str, target_name: str) -> bool:
    """True when *target_name* is a separate subscription the shop does not have."""
    feature = SUBSCRIPTION_FEATURES.get(target_name)
    return feature is not None and not features(shop_id).get(feature, False)


def connections(shop_id: str) -> list[ConnectionView]:
    """The shop's connections (every status), newest first."""
    hub = hub_of()
    views = []
    for info in reversed(hub.connections(shop_id)):
        views.append(_view(hub, info))
    return views


def connection(shop_id: str, connection_id: int) -> ConnectionView | None:
    """One of the shop's connections, or ``None`` (also when it belongs to another shop)."""
    return next((c for c in connections(shop_id) if c.id == connection_id), None)


def active_connection(shop_id: str, target_name: str) -> ConnectionView | None:
    """The shop's current connection to *target_name*, if any."""
    live = (c for c in connections(shop_id) if c.status not in ENDED_STATUSES)
    return next((c for c in live if c.target_name == target_name), None)


def _view(hub: Any, info: Any) -> ConnectionView:
    return ConnectionView(
        id=info.id,
        shop_id=info.shop_id,
        target_name=info.target_name,
        status=info.status,
        start_mode=info.start_mode,
        settings=dict(info.settings),
        status_line=hub.connection_status(info.id),
    )


def backfill_progress(connection_id: int) -> Progress:
    """How far the connection's first sync has come: the history backfill's ``(done, total)``
    and how many deliveries still wait to go. Finished when nothing is waiting and the history
    is through (records that need attention do not hold it up; the log lists them)."""
    hub = hub_of()
    done, total = hub.backfill_progress(connection_id)
    ctx = hub.services.connection(connection_id)
    pending = hub.services.pending_count(ctx) if ctx is not None else 0
    attention = len([d for d in hub.needs_attention(connection_id) if d.status == "needs_attention"])
    finished = pending == 0 and done + attention >= total
    return Progress(done=done, total=total, pending=pending, finished=finished)


def update_shop(shop: Shop) -> None:
    """Save the shop's profile (RO info)."""
    hub_of().update_shop(shop)


def list_shops() -> list[Shop]:
    """Every shop, for the operator's list (empty while the Hub cannot list shops)."""
    lister = getattr(hub_of(), "list_shops", None)
    return list(lister()) if lister is not None else []


def connect(shop_id: str, target_name: str, settings: Mapping[str, Any]) -> int:
    """Create the connection (validated by the target's schema); its id."""
    return int(hub_of().connect(shop_id, target_name, settings))


def update_settings(connection_id: int, settings: Mapping[str, Any]) -> None:
    """Replace a connection's settings (validated by the target's schema).

    The Hub has no settings update of its own; connecting again reuses the connection and
    keeps its external ids. "forward" is passed so that saving settings never restarts a
    history backfill.
    """
    hub = hub_of()
    info = hub.get_connection(connection_id)
    hub.connect(info.shop_id, info.target_name, settings, start_mode="forward")


def begin_authorization(connection_id: int, redirect_uri: str) -> str:
    """The URL of the target's sign-in and consent page."""
    return str(hub_of().begin_authorization(connection_id, redirect_uri))


def complete_authorization(connection_id: int, params: Mapping[str, str]) -> None:
    """Finish the sign-in with the callback's query parameters (the hub checks ``state``)."""
    hub_of().complete_authorization(connection_id, params)


def start(connection_id: int, start_mode: str) -> None:
    """Start sending: from now on, or all existing data (a backfill of every stored record).

    Connecting again with the chosen mode reuses the authorized connection."""
    hub = hub_of()
    info = hub.get_connection(connection_id)
    if start_mode == "forward" and info.start_mode == "forward":
        return
    hub.connect(info.shop_id, info.target_name, info.settings, start_mode=start_mode)


def disconnect(connection_id: int) -> None:
    """Stop the connection; the target revokes what it holds."""
    hub_of().disconnect(connection_id)


# --- the sync log -----------------------------------------------------------------------------

#: Outcomes the engine writes to the log, in the order the filter offers them.
LOG_OUTCOMES: tuple[str, ...] = ("delivered", "needs_attention", "retry", "error", "fatal", "skipped")
#: Outcomes after which a person has to act (Retry or Skip).
ATTENTION_OUTCOMES = frozenset({"needs_attention", "error"})
#: How many rows a kind-only filter may scan for one page (the log has no kind-only index).
KIND_SCAN_LIMIT = 20_000


@dataclass(frozen=True, slots=True)
class LogFilter:
    """What the sync-log page filters by; ``before_id`` is the keyset cursor."""

    status: str | None = None
    kind: str | None = None
    record: str | None = None
    since: Any = None
    until: Any = None
    before_id: int | None = None


@dataclass(frozen=True, slots=True)
class LogPage:
    """One page of log entries, newest first."""

    entries: list[Any]
    has_more: bool
    fixable: frozenset[int]
    """Delivery ids on this page that still need attention (Retry / Skip apply)."""


@dataclass(frozen=True, slots=True)
class Attention:
    """A delivery of the record that needs a person, and why."""

    delivery_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class RecordHistory:
    """Every attempt for one record, oldest first, and what needs attention now."""

    entries: list[Any]
    attention: list[Attention]


def _query(
    shop_id: str,
    plugin: str,
    flt: LogFilter,
    before_id: int | None,
    limit: int,
    record: tuple[str, str] | None,
) -> list[Any]:
    return list(
        hub_of().log_entries(
            plugin=plugin,
            shop_id=shop_id,
            record=record,
            since=flt.since,
            until=flt.until,
            status=flt.status,
            before_id=before_id,
            limit=limit,
        )
    )


def _fetch(shop_id: str, plugin: str, flt: LogFilter, before_id: int | None, limit: int) -> list[Any]:
    """Up to *limit* entries older than *before_id*, each query on an indexed column set."""
    if flt.record:
        kinds = [flt.kind] if flt.kind else [str(k) for k in targets()[plugin].entities]
        merged: list[Any] = []
        for kind in kinds:
            merged.extend(_query(shop_id, plugin, flt, before_id, limit, (kind, flt.record)))
        return sorted(merged, key=lambda e: e.id, reverse=True)[:limit]
    if not flt.kind:
        return _query(shop_id, plugin, flt, before_id, limit, None)
    # Kind without a record id: page through the shop's log and keep that kind.
    found: list[Any] = []
    scanned = 0
    cursor = before_id
    while len(found) < limit and scanned < KIND_SCAN_LIMIT:
        chunk = _query(shop_id, plugin, flt, cursor, 500, None)
        if not chunk:
            break
        scanned += len(chunk)
        found.extend(e for e in chunk if e.kind == flt.kind)
        cursor = chunk[-1].id
    return found[:limit]


def log_page(shop_id: str, plugin: str, flt: LogFilter, size: int) -> LogPage:
    """One page (keyset: entries older than ``flt.before_id``) plus whether more follow."""
    rows = _fetch(shop_id, plugin, flt, flt.before_id, size + 1)
    entries = rows[:size]
    return LogPage(entries=entries, has_more=len(rows) > size, fixable=_still_failing(entries))


def iter_log(shop_id: str, plugin: str, flt: LogFilter, max_rows: int) -> Any:
    """Every matching entry, newest first, fetched page by page (for the CSV export)."""
    cursor = flt.before_id
    sent = 0
    while sent < max_rows:
        rows = _fetch(shop_id, plugin, flt, cursor, min(1000, max_rows - sent))
        if not rows:
            return
        yield from rows
        sent += len(rows)
        cursor = rows[-1].id


def _still_failing(entries: list[Any]) -> frozenset[int]:
    """Deliveries on the page that need attention right now (Retry / Skip apply)."""
    connection_ids = {e.connection_id for e in entries if e.outcome in ATTENTION_OUTCOMES}
    stuck = attention_ids(connection_ids)
    return frozenset(e.delivery_id for e in entries if e.delivery_id in stuck)


def attention_ids(connection_ids: set[int]) -> dict[int, Any]:
    """Delivery id → info, for the deliveries of these connections that need attention."""
    hub = hub_of()
    found: dict[int, Any] = {}
    for connection_id in connection_ids:
        for info in hub.needs_attention(connection_id):
            if info.status == "needs_attention":
                found[info.id] = info
    return found


def record_history(shop_id: str, plugin: str, kind: str, source_id: str) -> RecordHistory:
    """Every attempt for the record in this plugin's log, oldest first, and the deliveries
    that need attention now with their reason."""
    entries = list(iter_log(shop_id, plugin, LogFilter(kind=kind, record=source_id), 5000))
    entries.reverse()
    plugin_connections = {c.id for c in connections(shop_id) if c.target_name == plugin}
    attention = [
        Attention(d.id, _plain_reason(d.last_error))
        for d in hub_of().delivery_history(shop_id, kind, source_id)
        if d.connection_id in plugin_connections and d.status == "needs_attention"
    ]
    return RecordHistory(entries=entries, attention=attention)


def _plain_reason(error: str) -> str:
    return error.strip() or "The target gave no reason."


def delivery_belongs_to(shop_id: str, plugin: str, delivery_id: int) -> bool:
    """True when the delivery is one of this shop's, for this plugin, and needs attention."""
    plugin_connections = {c.id for c in connections(shop_id) if c.target_name == plugin}
    return delivery_id in attention_ids(plugin_connections)


def retry(delivery_id: int) -> None:
    """Send a delivery that needs attention again."""
    try:
        hub_of().retry(delivery_id)
    except (KeyError, ValueError) as exc:
        raise HubError(f"the record cannot be retried now ({exc})") from exc


def skip(delivery_id: int) -> None:
    """Give up on a delivery that needs attention."""
    try:
        hub_of().skip(delivery_id)
    except (KeyError, ValueError) as exc:
        raise HubError(f"the record cannot be skipped now ({exc})") from exc


# --- plugin-specific pages, found by convention ------------------------------------------------

LOCATION_FIELDS = frozenset({"location", "location_id"})


def fill_dynamic_choices(form: Any, shop: Shop) -> None:
    """Turn a ``location`` text input into a choice of the shop's locations."""
    if not shop.locations:
        return
    from hub.web.forms import Choice

    for form_field in form.fields:
        if form_field.name in LOCATION_FIELDS and form_field.input_type == "text":
            form_field.input_type = "select"
            form_field.choices = [Choice(loc.id, f"{loc.name} ({loc.id})") for loc in shop.locations]


def mapped_items(target: Target) -> list[tuple[str, str]] | None:
    """The products/services of an ``income_accounts`` mapping in the target's settings schema
    (the keys its ``OneOf`` allows), or ``None`` when the target has no such mapping."""
    from marshmallow import fields, validate

    schema_field = target.settings_schema().load_fields.get("income_accounts")
    if not isinstance(schema_field, fields.Dict) or schema_field.key_field is None:
        return None
    one_of = next((v for v in schema_field.key_field.validators if isinstance(v, validate.OneOf)), None)
    if one_of is None:
        return None
    return [(str(name), str(name)) for name in one_of.choices]


def income_accounts(connection_id: int) -> list[tuple[str, str]]:
    """(id, name) of the income accounts in the target's chart of accounts, when the target
    offers ``income_account_choices(ctx)``; otherwise an empty list (ids are typed in)."""
    hub = hub_of()
    ctx = hub.services.connection(connection_id)
    target = hub.targets.get(ctx.target_name) if ctx is not None else None
    lister = getattr(target, "income_account_choices", None)
    if ctx is None or lister is None:
        return []
    return [(str(i), str(n)) for i, n in lister(ctx)]


def plugin_links(card: Any) -> tuple[tuple[str, str, str], ...]:
    """Extra buttons for a connected card: (label, url, method).

    The income-account page for a target with an ``income_accounts`` mapping, "Send now" for
    push targets, and whatever the target lists in an optional ``ui_actions`` attribute:
    ``(label, endpoint, method)`` of its own blueprint's views, which take ``shop_id`` and
    ``connection_id``.
    """
    from flask import url_for

    if card.connection is None:
        return ()
    target = targets()[card.name]
    ids = {"shop_id": card.connection.shop_id, "connection_id": card.connection.id}
    links: list[tuple[str, str, str]] = []
    if mapped_items(target) is not None:
        links.append(("Income accounts", url_for("qbo_flow.income_accounts", **ids), "get"))
    if str(target.delivery_mode) == "push":
        links.append(("Send now", url_for("accounting.sync_now", **ids), "post"))
    for label, endpoint, method in getattr(target, "ui_actions", ()):
        if endpoint in current_app.view_functions:
            links.append((str(label), url_for(endpoint, **ids), str(method).lower()))
    return tuple(links)


def with_plugin_links(card: Any) -> Any:
    """*card* with :func:`plugin_links` filled in."""
    from dataclasses import replace

    return replace(card, links=plugin_links(card))


def sync_now(connection_id: int) -> Any:
    """Deliver what is due for one connection now, in this process."""
    return hub_of().sync(connection_id)
