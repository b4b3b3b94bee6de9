"""The :class:`~hub.plugin.target.HubServices` plugins' web endpoints and CLI commands use."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select

from hub.domain.kinds import DEPENDENCY_ORDER, EntityKind
from hub.domain.records import Record
from hub.domain.schemas import load_record
from hub.errors import DeliveryError
from hub.plugin.target import Action, ConnectionContext, Delivery, DeliveryResult
from hub.storage import connections as conn_repo
from hub.storage import outbox
from hub.storage.models import ConnectionRow, DeliveryRow, RecordRow, RecordVersionRow
from hub.sync.context import HubConnectionContext, context_for
from hub.sync.core import Core
from hub.sync.engine import claim_batch
from hub.sync.outbox import backfill_pending
from hub.sync.outcomes import apply_outcome
from hub.sync.prepare import prepare_many

STREAM_CHUNK = 500


class Services:
    """HubServices over the hub's database. Every method is its own unit of work."""

    def __init__(self, core: Core) -> None:
        self._core = core

    def connections(self, target_name: str) -> list[ConnectionContext]:
        """Every active connection of *target_name*, across shops."""
        with self._core.session_factory() as session:
            rows = session.scalars(
                select(ConnectionRow)
                .where(ConnectionRow.target_name == target_name, ConnectionRow.status == conn_repo.ACTIVE)
                .order_by(ConnectionRow.id)
            )
            return [context_for(self._core, session, row) for row in rows]

    def connection(self, connection_id: int) -> ConnectionContext | None:
        """One connection by id, or ``None``."""
        with self._core.session_factory() as session:
            row = session.get(ConnectionRow, connection_id)
            return None if row is None else context_for(self._core, session, row)

    def claim(self, ctx: ConnectionContext, limit: int) -> list[Delivery]:
        """Lease up to *limit* due deliveries of the connection, in dependency order."""
        core = self._core
        with core.session_factory.begin() as session:
            connection = conn_repo.connection_row(session, ctx.connection_id)
            target = core.targets.get(connection.target_name)
            if connection.status != conn_repo.ACTIVE or target is None:
                return []
            rows, _ = claim_batch(
                session, core, connection, target, limit, f"pull:{core.worker_id}:{uuid.uuid4().hex[:8]}"
            )
            return [p.delivery for p in prepare_many(session, core, connection, target, rows, core.now())]

    def complete(
        self, ctx: ConnectionContext, delivery_id: int, outcome: DeliveryResult | DeliveryError
    ) -> None:
        """Record the outcome of a claimed delivery exactly as the engine does."""
        core = self._core
        secrets = () if isinstance(outcome, DeliveryResult) else _secret_strings(ctx)
        with core.session_factory.begin() as session:
            connection = conn_repo.connection_row(session, ctx.connection_id)
            row = session.get(DeliveryRow, delivery_id)
            if row is None or row.connection_id != connection.id:
                raise KeyError(f"no delivery {delivery_id} on connection {connection.id}")
            apply_outcome(
                session,
                core,
                connection,
                row,
                Action(row.action or Action.CREATE),
                outcome,
                secrets=secrets,
                now=core.now(),
            )

    def pending_count(self, ctx: ConnectionContext) -> int:
        """How many deliveries of the connection are waiting to go, counting the history a
        backfill has still to queue (so a client never concludes there is nothing to do)."""
        with self._core.session_factory() as session:
            connection = conn_repo.connection_row(session, ctx.connection_id)
            queued = (
                session.scalar(
                    select(func.count()).where(
                        DeliveryRow.connection_id == ctx.connection_id,
                        DeliveryRow.status.in_((outbox.PENDING, outbox.CLAIMED, outbox.WAITING)),
                    )
                )
                or 0
            )
            target = self._core.targets.get(connection.target_name)
            if target is None or not backfill_pending(connection):
                return queued
            history = (
                session.scalar(
                    select(func.count()).where(
                        RecordRow.shop_id == connection.shop_id,
                        RecordRow.id > connection.backfill_cursor,
                        RecordRow.id <= connection.backfill_high_water,
                        RecordRow.kind.in_([k.value for k in target.entities]),
                    )
                )
                or 0
            )
            return queued + history

    def mark_contact(self, ctx: ConnectionContext) -> None:
        """Note a successful exchange with the remote client."""
        with self._core.session_factory.begin() as session:
            row = conn_repo.connection_row(session, ctx.connection_id)
            row.last_contact_at = self._core.now()
            row.last_sync_at = row.last_contact_at

    def iter_records(
        self,
        shop_id: str,
        kinds: Iterable[EntityKind],
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Iterator[tuple[Record, int]]:
        """Stream, for every record of *kinds* of *shop_id*, its highest version received in
        ``[since, until)`` (either bound may be open), in dependency order, in keyset-paged chunks.

        A record with no version in the period is left out; one edited after the period still
        appears, at the version it had then. Each record's versions are looked up through the
        unique ``(record_id, version)`` index, so a chunk costs one index probe per record.
        """
        wanted = {EntityKind(k) for k in kinds}
        for kind in (k for k in DEPENDENCY_ORDER if k in wanted):
            last_id = 0
            while True:
                with self._core.session_factory() as session:
                    chunk = list(
                        session.execute(_period_versions(shop_id, kind, since, until, last_id)).tuples()
                    )
                if not chunk:
                    break
                last_id = chunk[-1][0]
                for _record_id, payload, version in chunk:
                    yield load_record(kind, payload), version
                del chunk  # release it before the next chunk is read: one chunk in memory at a time


def _period_versions(
    shop_id: str, kind: EntityKind, since: datetime | None, until: datetime | None, after_id: int
) -> Select[tuple[int, Any, int]]:
    """One chunk of ``(record id, payload, version)``: each record's last version in the period."""
    in_period = RecordVersionRow.__table__.alias("in_period")
    latest = select(func.max(in_period.c.version)).where(in_period.c.record_id == RecordRow.id)
    if since is not None:
        latest = latest.where(in_period.c.received_at >= since)
    if until is not None:
        latest = latest.where(in_period.c.received_at < until)
    return (
        select(RecordRow.id, RecordVersionRow.payload, RecordVersionRow.version)
        .join(
            RecordVersionRow,
            (RecordVersionRow.record_id == RecordRow.id)
            & (RecordVersionRow.version == latest.correlate(RecordRow).scalar_subquery()),
        )
        .where(RecordRow.shop_id == shop_id, RecordRow.kind == kind.value, RecordRow.id > after_id)
        .order_by(RecordRow.id)
        .limit(STREAM_CHUNK)
    )


def _secret_strings(ctx: ConnectionContext) -> list[str]:
    return ctx.secret_strings() if isinstance(ctx, HubConnectionContext) else []
