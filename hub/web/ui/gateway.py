"""Everything the settings UI asks of the Hub facade, in one place.

Views never call the facade directly: they call these functions, which use only the facade's
public methods. When the facade lacks something the UI needs, the small stand-in lives here
(and is listed in docs/ui.md), so a later facade method replaces one function, not many views.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from werkzeug.security import check_password_hash

from hub.domain.records import Shop
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
    warnings: tuple[str, ...] = ()
    """The target's newest connection-level warnings (an item it had to recreate)."""


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
    key = email.strip().lower()
    if key in operators:
        if check_password_hash(operators[key], password):
            return Account(email=key, shop_id="", operator=True)
        return None
    if not email or not password:
        return None
    shop_id = hub_of(app).check_user(email, password)
    if shop_id is None:
        return None
    return Account(email=email.strip().lower(), shop_id=shop_id)


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
        warnings=tuple(hub.connection_warnings(info.id)[:3]) if info.status == "active" else (),
    )


def backfill_progress(connection_id: int) -> Progress:
    """How far the connection's first sync has come: the history backfill's ``(done, total)``
    and how many deliveries still wait to go. Finished when nothing is waiting and the history
    is through (records that need attention do not hold it up; the log lists them)."""
    hub = hub_of()
    done, total = hub.backfill_progress(connection_id)
    counts = hub.delivery_counts(connection_id)
    pending = sum(counts.get(status, 0) for status in ("pending", "claimed", "waiting"))
    finished = pending == 0 and done + counts.get("needs_attention", 0) >= total
    return Progress(done=done, total=total, pending=pending, finished=finished)


def update_shop(shop: Shop) -> None:
    """Save the shop's profile (RO info)."""
    hub_of().update_shop(shop)


def list_shops() -> list[Shop]:
    """Every shop, for the operator's list."""
    return list(hub_of().list_shops())


def connect(shop_id: str, target_name: str, settings: Mapping[str, Any]) -> int:
    """Create the connection (validated by the target's schema); its id."""
    return int(hub_of().connect(shop_id, target_name, settings))


def update_settings(connection_id: int, settings: Mapping[str, Any]) -> None:
    """Replace a connection's settings (validated by the target's schema; a secret left empty
    keeps the stored one). The start mode and a running history backfill stay as they are."""
    hub_of().update_settings(connection_id, settings)


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
    if start_mode == info.start_mode:
        return  # a page reloaded or sent twice must not start the history over
    hub.connect(info.shop_id, info.target_name, info.settings, start_mode=start_mode)


def disconnect(connection_id: int) -> None:
    """Stop the connection; the target revokes what it holds."""
    hub_of().disconnect(connection_id)


def sync_now(connection_id: int) -> Any:
    """Deliver what is due for one connection now, in this process."""
    return hub_of().sync(connection_id)
