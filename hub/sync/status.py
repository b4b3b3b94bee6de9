"""Read-only views of connections and deliveries for the UI, the CLI and support."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.domain.kinds import EntityKind
from hub.domain.records import Record
from hub.storage import connections as conn_repo
from hub.storage import outbox
from hub.storage.models import ConnectionRow, DeliveryRow, RecordRow
from hub.sync.context import shown_settings


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionInfo:
    """One connection as the shop sees it."""

    id: int
    shop_id: str
    target_name: str
    status: str
    status_reason: str
    start_mode: str
    settings: dict[str, Any]
    """The stored settings without secret fields (those are never shown back)."""
    connected_at: datetime | None
    last_sync_at: datetime | None
    backfill_done: int
    backfill_total: int

    @classmethod
    def from_row(cls, row: ConnectionRow, backfill_done: int | None = None) -> ConnectionInfo:
        """Copy the shown columns of *row* (*backfill_done*: the counted progress, see
        :func:`backfill_done`)."""
        return cls(
            id=row.id,
            shop_id=row.shop_id,
            target_name=row.target_name,
            status=row.status,
            status_reason=row.status_reason,
            start_mode=row.start_mode,
            settings=shown_settings(row.settings),
            connected_at=row.connected_at,
            last_sync_at=row.last_sync_at,
            backfill_done=row.backfill_done if backfill_done is None else backfill_done,
            backfill_total=row.backfill_total,
        )


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """The current version of one stored record."""

    record: Record
    version: int
    received_at: datetime
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryInfo:
    """One delivery: where a record version stands with one connection."""

    id: int
    connection_id: int
    kind: str
    source_id: str
    version: int
    status: str
    action: str
    attempts: int
    last_error: str
    warnings: list[str]
    next_attempt_at: datetime
    waiting_on: str
    """``"customer C-1"`` when it waits for that record to reach the target."""
    created_at: datetime
    finished_at: datetime | None


def delivery_infos(session: Session, query: Any) -> list[DeliveryInfo]:
    """:class:`DeliveryInfo` for the deliveries *query* selects."""
    rows = list(session.scalars(query))
    record_ids = {r.record_id for r in rows} | {
        r.waiting_on_record_id for r in rows if r.waiting_on_record_id
    }
    records = (
        {rec.id: rec for rec in session.scalars(select(RecordRow).where(RecordRow.id.in_(record_ids)))}
        if record_ids
        else {}
    )
    infos = []
    for row in rows:
        waiting = records.get(row.waiting_on_record_id) if row.waiting_on_record_id else None
        infos.append(
            DeliveryInfo(
                id=row.id,
                connection_id=row.connection_id,
                kind=row.kind,
                source_id=records[row.record_id].source_id,
                version=row.version,
                status=row.status,
                action=row.action,
                attempts=row.attempts,
                last_error=row.last_error,
                warnings=list(row.warnings or []),
                next_attempt_at=row.next_attempt_at,
                waiting_on=f"{waiting.kind} {waiting.source_id}" if waiting else "",
                created_at=row.created_at,
                finished_at=row.finished_at,
            )
        )
    return infos


def needs_attention_query(connection_id: int, limit: int) -> Any:
    """Deliveries of the connection a person must look at: stopped ones first, then those
    waiting for them; each group in dependency order (an ordered index range, no sort)."""
    return (
        select(DeliveryRow)
        .where(
            DeliveryRow.connection_id == connection_id,
            DeliveryRow.status.in_((outbox.NEEDS_ATTENTION, outbox.WAITING)),
        )
        .order_by(DeliveryRow.status, DeliveryRow.rank, DeliveryRow.id)
        .limit(limit)
    )


def history_query(shop_id: str, kind: str, source_id: str) -> Any:
    """Every delivery of one record, to every connection, oldest first."""
    return (
        select(DeliveryRow)
        .join(RecordRow, RecordRow.id == DeliveryRow.record_id)
        .where(RecordRow.shop_id == shop_id, RecordRow.kind == kind, RecordRow.source_id == source_id)
        .order_by(DeliveryRow.id)
    )


def ago(then: datetime, now: datetime) -> str:
    """``less than a minute ago``, ``5 minutes ago``, ``3 hours ago``, ``2 days ago``."""
    seconds = max(0, int((now - then).total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "less than a minute ago"


def backfill_done(session: Session, row: ConnectionRow, entities: Iterable[EntityKind] | None) -> int:
    """How many of the history's ``backfill_total`` records are through: the total less the
    records still to queue and the history deliveries still open (pending, claimed, waiting or
    needing attention). Counted from the rows rather than kept as a tally, so every way a
    delivery settles counts: sent, a void with nothing to void, skipped, superseded by a newer
    version, or nothing to send at all (an open repair order)."""
    if not row.backfill_total:
        return 0
    open_history = (
        session.scalar(
            select(func.count()).where(
                DeliveryRow.connection_id == row.id,
                DeliveryRow.backfill.is_(True),
                DeliveryRow.status.in_(outbox.OPEN_STATUSES),
            )
        )
        or 0
    )
    to_queue = 0
    if row.backfill_cursor < row.backfill_high_water and entities is not None:
        to_queue = (
            session.scalar(
                select(func.count()).where(
                    RecordRow.shop_id == row.shop_id,
                    RecordRow.id > row.backfill_cursor,
                    RecordRow.id <= row.backfill_high_water,
                    RecordRow.kind.in_([EntityKind(k).value for k in entities]),
                )
            )
            or 0
        )
    elif row.backfill_cursor < row.backfill_high_water:
        return min(row.backfill_done, row.backfill_total)  # target not installed: keep the tally
    return max(0, row.backfill_total - to_queue - open_history)


def status_line(
    row: ConnectionRow,
    title: str,
    target_line: str | None,
    counts: dict[str, int],
    now: datetime,
    history_done: int | None = None,
) -> str:
    """The one line a shop reads about a connection (*history_done*: the counted backfill
    progress; the stored tally when not given)."""
    if row.status == conn_repo.CLOSED:
        return f"Not connected to {title}"
    if row.status == conn_repo.CONNECTING:
        return f"Connecting to {title}…"
    if row.status == conn_repo.PENDING_AUTHORIZATION:
        return f"Waiting for authorization: finish connecting to {title}"
    if row.status == conn_repo.DISCONNECTED:
        return f"Disconnected: reconnect to {title}"
    stuck = counts.get(outbox.NEEDS_ATTENTION, 0)
    if stuck:
        return f"Needs attention: {stuck} record{'s' if stuck != 1 else ''}"
    if target_line:
        return target_line
    done = row.backfill_done if history_done is None else history_done
    if row.backfill_total and done < row.backfill_total:
        return f"Sending history: {done} of {row.backfill_total} records"
    last = row.last_sync_at
    return f"Connected, last sync: {ago(last, now) if last else 'not yet'}"
