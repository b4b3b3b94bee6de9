"""The Accounting Link target: QuickBooks Desktop through the Web Connector (a pull target)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from hub.domain.kinds import EntityKind
from hub.errors import ConfigurationError, PluginError
from hub.plugin.target import ConnectionContext, Delivery, DeliveryMode, DeliveryResult, Target
from ledgerhub_accounting_link.service import LAST_EXCHANGE_KEY, TARGET_NAME
from ledgerhub_accounting_link.settings import API_KEY_HASH, AccountingLinkSettingsSchema

WAITING = "Waiting for the first contact from Accounting Link"


def _ago(then: datetime, now: datetime) -> str:
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 60:
        return "less than a minute ago"
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"  # pragma: no cover - unreachable


class AccountingLinkTarget(Target):
    """Delivers to QuickBooks Desktop: the Web Connector polls ``/qbwc`` for qbXML."""

    name: ClassVar[str] = TARGET_NAME
    title: ClassVar[str] = "Accounting Link (QuickBooks Desktop)"
    entities: ClassVar[frozenset[EntityKind]] = frozenset(EntityKind)
    countries: ClassVar[frozenset[str] | None] = None
    settings_schema = AccountingLinkSettingsSchema
    delivery_mode: ClassVar[DeliveryMode] = DeliveryMode.PULL
    #: The engine feeds a pull target's history backfill while fewer than ``batch_size``
    #: deliveries are due; the Web Connector's claims feed it too (``HubServices.claim``). With
    #: 0 the client alone feeds the backfill, at its own pace. This was first a workaround for
    #: the two feeders enqueueing the same chunk; the core now claims each chunk atomically (a
    #: conditional cursor UPDATE), so that race is fixed there and 0 only sets the pace. (The
    #: Web Connector's document size is ``WebConnectorService.batch_size``.)
    batch_size: ClassVar[int] = 0
    ui_actions: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("Download .qwc file for the Web Connector", "accounting_link.qwc", "get"),
    )

    def connect(self, ctx: ConnectionContext) -> None:
        """Check the location belongs to the shop; keep the key's hash among the secrets."""
        location = str(ctx.settings.get("location") or "")
        known = [loc.id for loc in ctx.shop.locations]
        if known and location not in known:
            raise ConfigurationError(
                f"location {location!r} is not one of the shop's locations",
                {"location": [f"must be one of the shop's locations: {', '.join(known)}; another "
                              "location needs its own connection"]},
            )
        key_hash = ctx.settings.get(API_KEY_HASH)
        if key_hash:
            ctx.secrets.set(API_KEY_HASH, key_hash)
        from ledgerhub_accounting_link.cli import announce_connection

        announce_connection(ctx)

    def disconnect(self, ctx: ConnectionContext) -> None:
        """Forget the key, so the Web Connector is refused from now on."""
        ctx.secrets.set(API_KEY_HASH, None)

    def status_line(self, ctx: ConnectionContext) -> str | None:
        """"Waiting for the first contact …" until the first exchange, then "Data flowing"."""
        last = ctx.state.get(LAST_EXCHANGE_KEY)
        if not last:
            return WAITING
        return f"Data flowing, last exchange {_ago(datetime.fromisoformat(last), ctx.now())}"

    def deliver(self, ctx: ConnectionContext, delivery: Delivery) -> DeliveryResult:
        """Never used: the Web Connector fetches deliveries through ``/qbwc``."""
        raise PluginError(self.name, "Accounting Link is a pull target; the Web Connector fetches "
                                     "deliveries at /qbwc and deliver() is never called")
