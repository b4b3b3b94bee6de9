"""The per-plugin delivery log: one row per attempt, read newest first with keyset paging."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, insert, select
from sqlalchemy.orm import Session

from hub.storage.models import DeliveryLogRow


@dataclass(frozen=True, slots=True, kw_only=True)
class LogEntry:
    """One delivery attempt as support reads it."""

    id: int
    at: datetime
    connection_id: int
    plugin: str
    shop_id: str
    kind: str
    source_id: str
    version: int
    delivery_id: int | None
    action: str
    outcome: str
    attempt: int
    duration_ms: int
    target_id: str
    error: str


def add_entry(session: Session, **values: object) -> None:
    """Append one attempt (columns of :class:`DeliveryLogRow` as keyword arguments)."""
    session.add(DeliveryLogRow(**values))


def add_entries(session: Session, rows: list[dict[str, Any]]) -> None:
    """Append several attempts (dicts of :func:`add_entry`'s keywords) in one executemany."""
    if rows:
        session.execute(insert(DeliveryLogRow.__table__), rows)


def entries_query(
    *,
    plugin: str | None = None,
    shop_id: str | None = None,
    record: tuple[str, str] | None = None,
    connection_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    outcome: str | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> Select[tuple[DeliveryLogRow]]:
    """The SELECT behind :func:`query_entries` (tests check its plan uses an index)."""
    query = select(DeliveryLogRow)
    if plugin is not None:
        query = query.where(DeliveryLogRow.plugin == plugin)
    if shop_id is not None:
        query = query.where(DeliveryLogRow.shop_id == shop_id)
    if record is not None:
        query = query.where(DeliveryLogRow.record_kind == record[0], DeliveryLogRow.source_id == record[1])
    if connection_id is not None:
        query = query.where(DeliveryLogRow.connection_id == connection_id)
    if since is not None or until is not None:
        query = query.where(*_period(since, until))
        if plugin is not None and shop_id is not None:
            query = query.where(*_period_id_bounds(shop_id, plugin, since, until))
    if outcome is not None:
        query = query.where(DeliveryLogRow.outcome == outcome)
    if before_id is not None:
        query = query.where(DeliveryLogRow.id < before_id)
    return query.order_by(DeliveryLogRow.id.desc()).limit(max(1, min(limit, 1000)))


def _period(since: datetime | None, until: datetime | None) -> list[ColumnElement[bool]]:
    conditions = []
    if since is not None:
        conditions.append(DeliveryLogRow.at >= since)
    if until is not None:
        conditions.append(DeliveryLogRow.at < until)
    return conditions


def _period_id_bounds(
    shop_id: str, plugin: str, since: datetime | None, until: datetime | None
) -> list[ColumnElement[bool]]:
    """``id`` between the lowest and highest id of the shop's entries in the period.

    Exact (the bounds come from the period's own rows, so nothing is lost even if ``at`` is not
    in id order), and they let the newest-first walk of ``(shop_id, plugin, id)`` start at the
    period's last entry instead of walking every later one; both bounds are read in one range
    search of ``(shop_id, plugin, at, id)``.
    """
    bounds = (
        select(func.min(DeliveryLogRow.id).label("low"), func.max(DeliveryLogRow.id).label("high"))
        .where(DeliveryLogRow.shop_id == shop_id, DeliveryLogRow.plugin == plugin, *_period(since, until))
        .cte("period_bounds")
    )
    return [
        DeliveryLogRow.id >= select(bounds.c.low).scalar_subquery(),
        DeliveryLogRow.id <= select(bounds.c.high).scalar_subquery(),
    ]


def query_entries(session: Session, **filters: Any) -> list[LogEntry]:
    """Entries matching every given filter (see :func:`entries_query`), newest first.

    Pass the last entry's id as ``before_id`` for the next page: the query stays an index range
    scan however many rows the log holds (no OFFSET).
    """
    rows = session.scalars(entries_query(**filters))
    return [
        LogEntry(
            id=r.id,
            at=r.at,
            connection_id=r.connection_id,
            plugin=r.plugin,
            shop_id=r.shop_id,
            kind=r.record_kind,
            source_id=r.source_id,
            version=r.version,
            delivery_id=r.delivery_id,
            action=r.action,
            outcome=r.outcome,
            attempt=r.attempt,
            duration_ms=r.duration_ms,
            target_id=r.target_id,
            error=r.error,
        )
        for r in rows
    ]
