"""The :class:`Hub` facade: what the CLI, the web app, the demo and tests use of the core."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hub.config import HubConfig
from hub.domain.kinds import DEPENDENCY_ORDER, EntityKind
from hub.domain.records import Record, Shop
from hub.domain.schemas import load_record
from hub.plugin.manager import PluginHost, build_plugin_manager
from hub.plugin.target import Delivery, DeliveryMode, PreviewDocument
from hub.storage import connections as conn_repo
from hub.storage import logs, outbox, tenants
from hub.storage.logs import LogEntry
from hub.storage.models import ConnectionRow, DeliveryRow
from hub.storage.records import record_versions
from hub.storage.session import make_engine, make_session_factory, upgrade
from hub.sync import connecting
from hub.sync.context import context_for
from hub.sync.core import Clock, Core, utc_now
from hub.sync.engine import BatchReport, run_batch
from hub.sync.ingest import IngestOutcome, ingest_records
from hub.sync.preview import preview as preview_documents
from hub.sync.preview import preview_delivery
from hub.sync.services import Services
from hub.sync.status import (
    ConnectionInfo,
    DeliveryInfo,
    StoredRecord,
    backfill_done,
    delivery_infos,
    history_query,
    needs_attention_query,
    status_line,
)

__all__ = [
    "ConnectionInfo",
    "DeliveryInfo",
    "Hub",
    "IngestOutcome",
    "LogEntry",
    "StoredRecord",
    "SyncReport",
]

INGEST_ATTEMPTS = 3


@dataclass(kw_only=True)
class SyncReport:
    """What :meth:`Hub.sync` did, summed over its batches."""

    batches: int = 0
    delivered: int = 0
    retried: int = 0
    needs_attention: int = 0
    disconnected: list[int] = field(default_factory=list)

    def add(self, batch: BatchReport) -> None:
        """Fold one batch in."""
        self.batches += 1
        self.delivered += batch.delivered
        self.retried += batch.retried
        self.needs_attention += batch.needs_attention
        if batch.fatal:
            self.disconnected.append(batch.connection_id)


class Hub:
    """The core, assembled: database (migrated on start), plugin host, targets, engine."""

    def __init__(
        self,
        config: HubConfig,
        host: PluginHost | None = None,
        *,
        clock: Clock | None = None,
        migrate: bool = True,
    ) -> None:
        self.config = config
        self.host = host if host is not None else build_plugin_manager(blocked=config.blocked_plugins)
        self.host.call_each("ledgerhub_configure", config=config.as_plugin_config())
        self.targets = self.host.collect_targets()
        self.engine = make_engine(config.database_url)
        if migrate:
            upgrade(self.engine)
        self.session_factory = make_session_factory(self.engine)
        try:
            self.core = Core(
                config=config,
                session_factory=self.session_factory,
                host=self.host,
                targets=self.targets,
                clock=clock or utc_now,
            )
        except Exception:
            self.engine.dispose()
            raise
        self.services = Services(self.core)

    def close(self) -> None:
        """Release database connections."""
        self.engine.dispose()

    def now(self) -> datetime:
        """The hub's current time."""
        return self.core.now()

    # --- shops, users, tokens ------------------------------------------------------------

    def create_shop(self, shop: Shop) -> None:
        """Store a new shop; a taken id raises ``ConfigurationError``."""
        with self.session_factory.begin() as session:
            tenants.add_shop(session, shop, self.now())

    def get_shop(self, shop_id: str) -> Shop:
        """The shop *shop_id*; ``KeyError`` if unknown."""
        with self.session_factory() as session:
            return tenants.load_shop_row(tenants.shop_row(session, shop_id))

    def list_shops(self, limit: int = 1000) -> list[Shop]:
        """Every shop (at most *limit*), ordered by name, for the operator's list."""
        with self.session_factory() as session:
            return tenants.list_shops(session, limit)

    def update_shop(self, shop: Shop) -> None:
        """Replace a shop's profile (name, locations, tax)."""
        with self.session_factory.begin() as session:
            tenants.update_shop(session, shop)

    def issue_api_token(self, shop_id: str) -> str:
        """A new ingest token for *shop_id*: returned once, stored hashed."""
        with self.session_factory.begin() as session:
            return tenants.issue_token(session, shop_id, self.now())

    def shop_for_token(self, token: str) -> str | None:
        """The shop of an API token, or ``None``."""
        with self.session_factory() as session:
            return tenants.shop_for_token(session, token)

    def revoke_api_token(self, token: str) -> bool:
        """Revoke an API token; True if it existed."""
        with self.session_factory.begin() as session:
            return tenants.revoke_token(session, token, self.now())

    def create_user(self, shop_id: str, email: str, password: str) -> int:
        """Create a shop user (password stored as a salted slow hash)."""
        with self.session_factory.begin() as session:
            return tenants.add_user(session, shop_id, email, password, self.now())

    def check_user(self, email: str, password: str) -> str | None:
        """The shop of the user with these credentials, or ``None``."""
        with self.session_factory() as session:
            return tenants.check_user(session, email, password)

    def set_feature(self, shop_id: str, name: str, on: bool) -> None:
        """Turn a per-shop feature (a subscription such as ``"qbo"``) on or off."""
        with self.session_factory.begin() as session:
            tenants.set_feature(session, shop_id, name, on)

    def features(self, shop_id: str) -> dict[str, Any]:
        """The shop's feature switches."""
        with self.session_factory() as session:
            return tenants.features(session, shop_id)

    # --- records -------------------------------------------------------------------------

    def ingest(
        self, shop_id: str, records: Sequence[Record], *, validated: bool = False
    ) -> list[IngestOutcome]:
        """Store *records* as versions and queue their deliveries; all-or-nothing.
        *validated*: every record came from ``load_record`` already (the API, the import), so
        the second check is skipped."""
        for attempt in range(INGEST_ATTEMPTS):
            try:
                with self.session_factory.begin() as session:
                    return ingest_records(
                        session, self.targets, shop_id, records, self.now(), validated=validated
                    )
            except IntegrityError:
                # A concurrent call stored the same record (or version) first; the whole call
                # rolled back, so running it again on the new state is safe.
                if attempt == INGEST_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def records_for(
        self,
        shop_id: str,
        kinds: Iterable[EntityKind] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Iterator[tuple[Record, int]]:
        """Stream, for each of the shop's records, its latest version received in ``[since,
        until)``, in dependency order (see :meth:`HubServices.iter_records`)."""
        return self.services.iter_records(shop_id, kinds or DEPENDENCY_ORDER, since, until)

    def get_record(self, shop_id: str, kind: EntityKind | str, source_id: str) -> StoredRecord | None:
        """The current version of one record, or ``None`` if it was never received."""
        kind = EntityKind(kind)
        with self.session_factory() as session:
            versions = record_versions(session, shop_id, kind.value, source_id)
        if not versions:
            return None
        current = versions[-1]
        payload = dict(current.payload)
        return StoredRecord(load_record(kind, payload), current.version, current.received_at, payload)

    # --- connections ---------------------------------------------------------------------

    def connect(
        self, shop_id: str, target_name: str, settings: Mapping[str, Any], start_mode: str = "forward"
    ) -> int:
        """Connect a shop to a target; returns the connection id."""
        return connecting.connect(self.core, shop_id, target_name, settings, start_mode)

    def update_settings(self, connection_id: int, settings: Mapping[str, Any]) -> None:
        """Replace a connection's settings, validated by the target's schema; a secret field
        left empty keeps the stored secret. Status, start mode and backfill are untouched."""
        connecting.update_settings(self.core, connection_id, settings)

    def begin_authorization(self, connection_id: int, redirect_uri: str) -> str:
        """The URL to send the shop owner to for an OAuth target."""
        return connecting.begin_authorization(self.core, connection_id, redirect_uri)

    def complete_authorization(self, connection_id: int, params: Mapping[str, str]) -> None:
        """Finish the OAuth step with the callback's query parameters."""
        connecting.complete_authorization(self.core, connection_id, params)

    def disconnect(self, connection_id: int) -> None:
        """End a connection at the shop's request."""
        connecting.disconnect(self.core, connection_id)

    def connections(self, shop_id: str) -> list[ConnectionInfo]:
        """The shop's connections, oldest first."""
        with self.session_factory() as session:
            return [self._info(session, r) for r in conn_repo.shop_connections(session, shop_id)]

    def get_connection(self, connection_id: int) -> ConnectionInfo:
        """One connection; ``KeyError`` if unknown."""
        with self.session_factory() as session:
            return self._info(session, conn_repo.connection_row(session, connection_id))

    def _history_done(self, session: Any, row: ConnectionRow) -> int:
        target = self.targets.get(row.target_name)
        return backfill_done(session, row, target.entities if target is not None else None)

    def _info(self, session: Any, row: ConnectionRow) -> ConnectionInfo:
        return ConnectionInfo.from_row(row, self._history_done(session, row))

    def connection_status(self, connection_id: int) -> str:
        """The status line a shop reads, e.g. ``Connected, last sync: 5 minutes ago``."""
        with self.session_factory() as session:
            row = conn_repo.connection_row(session, connection_id)
            counts = {
                outbox.NEEDS_ATTENTION: outbox.count_in_status(session, connection_id, outbox.NEEDS_ATTENTION)
            }
            ctx = context_for(self.core, session, row)
            history_done = self._history_done(session, row)
        target = self.targets.get(row.target_name)
        if target is None:
            return f"Unavailable: the {row.target_name} plugin is not installed"
        line = None
        if row.status == conn_repo.ACTIVE:
            try:
                line = target.status_line(ctx)
            except Exception:  # noqa: BLE001 - a status line must never break a page
                ctx.logger.exception("status_line failed")
        return status_line(row, target.title, line, counts, self.now(), history_done)

    def connection_warnings(self, connection_id: int) -> list[str]:
        """The connection's newest warnings (from ``ctx.warn``)."""
        with self.session_factory() as session:
            return [w.message for w in conn_repo.warnings(session, connection_id)]

    def delivery_counts(self, connection_id: int) -> dict[str, int]:
        """How many deliveries of the connection are in each status (delivered, pending…)."""
        with self.session_factory() as session:
            return outbox.count_by_status(session, connection_id)

    def backfill_progress(self, connection_id: int) -> tuple[int, int]:
        """``(done, total)`` records of the history backfill (``(0, 0)`` for forward mode)."""
        info = self.get_connection(connection_id)
        return min(info.backfill_done, info.backfill_total), info.backfill_total

    # --- syncing -------------------------------------------------------------------------

    def run_batch(self, connection_id: int, limit: int | None = None) -> BatchReport:
        """One engine batch for one connection (what a Celery task runs)."""
        return run_batch(self.core, connection_id, limit)

    def sync(
        self, connection_id: int | None = None, *, until_idle: bool = True, max_batches: int = 100_000
    ) -> SyncReport:
        """Run the in-process worker over one or every active connection until nothing is due
        (or one round of batches with ``until_idle=False``)."""
        report = SyncReport()
        while report.batches < max_batches:
            with self.session_factory() as session:
                query = select(ConnectionRow.id).where(ConnectionRow.status == conn_repo.ACTIVE)
                if connection_id is not None:
                    query = query.where(ConnectionRow.id == connection_id)
                ids = list(session.scalars(query.order_by(ConnectionRow.id)))
            progressed = False
            for cid in ids:
                batch = self.run_batch(cid)
                report.add(batch)
                progressed = progressed or batch.progressed
            if not until_idle or not progressed:
                break
        return report

    def pull_mode(self, connection_id: int) -> bool:
        """True when the connection's target is fetched by a remote client."""
        target = self.targets.get(self.get_connection(connection_id).target_name)
        return target is not None and target.delivery_mode is DeliveryMode.PULL

    # --- deliveries and logs -------------------------------------------------------------

    def needs_attention(self, connection_id: int, limit: int = 500) -> list[DeliveryInfo]:
        """Deliveries that stopped (with the reason), then those waiting for another record."""
        with self.session_factory() as session:
            return delivery_infos(session, needs_attention_query(connection_id, limit))

    def delivery_history(self, shop_id: str, kind: EntityKind | str, source_id: str) -> list[DeliveryInfo]:
        """Every delivery of one record to every connection, oldest first."""
        with self.session_factory() as session:
            return delivery_infos(session, history_query(shop_id, EntityKind(kind).value, source_id))

    def retry(self, delivery_id: int) -> None:
        """Send a stopped (or waiting) delivery again now."""
        with self.session_factory.begin() as session:
            row = self._open_delivery(session, delivery_id)
            row.status = outbox.PENDING
            row.next_attempt_at = self.now()
            row.waiting_on_record_id = None
            row.attempts = 0

    def skip(self, delivery_id: int) -> None:
        """Give up on a delivery: it will not be sent (records waiting on it keep waiting)."""
        with self.session_factory.begin() as session:
            row = self._open_delivery(session, delivery_id)
            connection = conn_repo.connection_row(session, row.connection_id)
            if row.backfill:
                connection.backfill_done += 1
            row.status = outbox.SKIPPED
            row.finished_at = self.now()
            row.waiting_on_record_id = None
            row.claimed_by = None
            row.lease_expires_at = None

    def _open_delivery(self, session: Any, delivery_id: int) -> DeliveryRow:
        row = session.get(DeliveryRow, delivery_id)
        if row is None:
            raise KeyError(f"no delivery {delivery_id}")
        if row.status not in outbox.OPEN_STATUSES:
            raise ValueError(f"delivery {delivery_id} is {row.status}; only open deliveries can change")
        return row

    def log_entries(
        self,
        plugin: str | None = None,
        shop_id: str | None = None,
        record: tuple[str, str] | None = None,
        since: datetime | None = None,
        status: str | None = None,
        limit: int = 100,
        *,
        before_id: int | None = None,
        until: datetime | None = None,
        connection_id: int | None = None,
    ) -> list[LogEntry]:
        """Delivery attempts, newest first; page with ``before_id`` = the last entry's id.
        *record* is ``(kind, source_id)``; *status* filters the outcome."""
        with self.session_factory() as session:
            return logs.query_entries(
                session,
                plugin=plugin,
                shop_id=shop_id,
                record=record,
                connection_id=connection_id,
                since=since,
                until=until,
                outcome=status,
                before_id=before_id,
                limit=limit,
            )

    def preview(
        self, shop_id: str, target_name: str, record: Record | None = None, limit: int | None = None
    ) -> list[PreviewDocument]:
        """What *target_name* would receive, read-only: for *record*; else, when the shop is
        connected, for its pending deliveries; else what connecting would send (the latest
        records, as creates). *limit* caps the documents."""
        return preview_documents(self, shop_id, target_name, record, limit)

    def delivery_for_preview(self, shop_id: str, target_name: str, record: Record) -> Delivery:
        """A :class:`Delivery` of *record* as the engine would build it (nothing stored)."""
        return preview_delivery(self, shop_id, target_name, record)
