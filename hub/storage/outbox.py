"""The outbox table (deliveries) and the external-id map."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hub.domain.kinds import DEPENDENCY_RANK, EntityKind
from hub.storage.models import DeliveryRow, ExternalIdRow

PENDING = "pending"
CLAIMED = "claimed"
WAITING = "waiting"
DELIVERED = "delivered"
NEEDS_ATTENTION = "needs_attention"
SKIPPED = "skipped"
SUPERSEDED = "superseded"
OPEN_STATUSES = (PENDING, CLAIMED, WAITING, NEEDS_ATTENTION)
"""A delivery in one of these has not reached an end."""
REPLACEABLE = (PENDING, WAITING, NEEDS_ATTENTION)
"""An older version in one of these is superseded when a newer version is enqueued."""


def enqueue(
    session: Session,
    *,
    connection_id: int,
    record_id: int,
    version_id: int,
    version: int,
    kind: EntityKind,
    idempotency_key: str,
    now: datetime,
    backfill: bool = False,
    fresh: bool = False,
    batch: list[dict[str, Any]] | None = None,
) -> bool:
    """Add a pending delivery of one record version; False if it is already queued.

    Older undelivered versions of the same record on this connection are superseded: only the
    newest state needs to reach the target. *fresh* says the caller knows the record has no
    delivery on this connection yet (a new record, a backfill step), which skips the checks.
    With *batch*, the new row's values are appended to it for :func:`insert_many` instead.
    """
    if not fresh:
        carried = _replace_older(session, connection_id, record_id, version_id, version, now)
        if carried is None:
            return False
        backfill = backfill or carried
    values: dict[str, Any] = {
        "connection_id": connection_id,
        "record_id": record_id,
        "record_version_id": version_id,
        "version": version,
        "kind": kind.value,
        "rank": DEPENDENCY_RANK[kind],
        "status": PENDING,
        "action": "",
        "attempts": 0,
        "next_attempt_at": now,
        "idempotency_key": idempotency_key,
        "last_error": "",
        "warnings": [],
        "backfill": backfill,
        "created_at": now,
    }
    if batch is None:
        session.add(DeliveryRow(**values))
    else:
        batch.append(values)
    return True


def insert_many(session: Session, batch: list[dict[str, Any]], *, skip_existing: bool = False) -> None:
    """Insert the deliveries :func:`enqueue` collected in *batch* (one executemany, no ORM
    objects: nothing reads them back in this transaction), then empty it. *skip_existing*:
    a row whose (connection, record version) is queued already is left out, not an error."""
    if not batch:
        return
    statement: Any = insert(DeliveryRow.__table__)
    if skip_existing:
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            statement = postgresql.insert(DeliveryRow.__table__).on_conflict_do_nothing()
        elif dialect == "sqlite":
            statement = sqlite.insert(DeliveryRow.__table__).on_conflict_do_nothing()
    session.execute(statement, batch)
    batch.clear()


def _replace_older(
    session: Session, connection_id: int, record_id: int, version_id: int, version: int, now: datetime
) -> bool | None:
    """Supersede the record's older open deliveries. ``None`` if this version is queued
    already; otherwise whether a replaced one belonged to the backfill (the new one then
    carries on its count)."""
    exists = session.scalar(
        select(DeliveryRow.id).where(
            DeliveryRow.connection_id == connection_id, DeliveryRow.record_version_id == version_id
        )
    )
    if exists is not None:
        return None
    carried = False
    for old in session.scalars(
        select(DeliveryRow).where(
            DeliveryRow.connection_id == connection_id,
            DeliveryRow.record_id == record_id,
            DeliveryRow.version < version,
            DeliveryRow.status.in_(REPLACEABLE),
        )
    ):
        old.status = SUPERSEDED
        old.finished_at = now
        old.waiting_on_record_id = None
        carried = carried or old.backfill
    return carried


def records_with_deliveries(session: Session, connection_id: int, record_ids: list[int]) -> set[int]:
    """Which of *record_ids* have a non-superseded delivery on the connection."""
    if not record_ids:
        return set()
    return set(
        session.scalars(
            select(DeliveryRow.record_id).where(
                DeliveryRow.connection_id == connection_id,
                DeliveryRow.record_id.in_(record_ids),
                DeliveryRow.status != SUPERSEDED,
            )
        )
    )


def has_delivery(session: Session, connection_id: int, record_id: int, version: int | None = None) -> bool:
    """True if the record (or that version of it) has a non-superseded delivery on the connection."""
    query = select(DeliveryRow.id).where(
        DeliveryRow.connection_id == connection_id,
        DeliveryRow.record_id == record_id,
        DeliveryRow.status != SUPERSEDED,
    )
    if version is not None:
        query = query.where(DeliveryRow.version == version)
    return session.scalar(query.limit(1)) is not None


def newest_version_queued(session: Session, connection_id: int, record_id: int) -> int:
    """The highest version of the record with a delivery on the connection (0 if none)."""
    return (
        session.scalar(
            select(func.coalesce(func.max(DeliveryRow.version), 0)).where(
                DeliveryRow.connection_id == connection_id, DeliveryRow.record_id == record_id
            )
        )
        or 0
    )


def due(session: Session, connection_id: int, now: datetime, limit: int) -> list[DeliveryRow]:
    """Deliveries ready to go, in dependency order: pending ones whose time has come and
    claimed ones whose lease ran out (their worker died).

    Two queries, each an ordered range of ``ix_deliveries_due`` that stops after *limit* rows,
    rather than one OR that would sort every pending row of a big backfill."""
    base = select(DeliveryRow).where(DeliveryRow.connection_id == connection_id)
    order = (DeliveryRow.rank, DeliveryRow.id)
    pending = session.scalars(
        base.where(DeliveryRow.status == PENDING, DeliveryRow.next_attempt_at <= now)
        .order_by(*order)
        .limit(limit)
    ).all()
    expired = session.scalars(
        base.where(DeliveryRow.status == CLAIMED, DeliveryRow.lease_expires_at <= now)
        .order_by(*order)
        .limit(limit)
    ).all()
    return sorted([*pending, *expired], key=lambda row: (row.rank, row.id))[:limit]


def claim(
    session: Session, rows: list[DeliveryRow], owner: str, now: datetime, seconds: float
) -> list[DeliveryRow]:
    """Lease the due deliveries among *rows* to *owner* in one UPDATE; returns those this
    call got (another worker may have taken some first). *owner* must be unique per caller."""
    if not rows:
        return []
    table = DeliveryRow.__table__
    ids = [row.id for row in rows]
    session.execute(
        update(table)
        .where(
            table.c.id.in_(ids),
            or_(
                and_(table.c.status == PENDING, table.c.next_attempt_at <= now),
                and_(table.c.status == CLAIMED, table.c.lease_expires_at <= now),
            ),
        )
        .values(
            status=CLAIMED,
            claimed_by=owner,
            lease_expires_at=now + timedelta(seconds=seconds),
            attempts=table.c.attempts + 1,
        )
    )
    return list(
        session.scalars(
            select(DeliveryRow)
            .where(DeliveryRow.id.in_(ids), DeliveryRow.status == CLAIMED, DeliveryRow.claimed_by == owner)
            .order_by(DeliveryRow.rank, DeliveryRow.id)
            .execution_options(populate_existing=True)
        )
    )


def unblock(session: Session, connection_id: int, record_id: int, now: datetime) -> int:
    """Release the deliveries that were waiting for *record_id* to reach the target."""
    table = DeliveryRow.__table__
    result = session.execute(
        update(table)
        .where(
            table.c.connection_id == connection_id,
            table.c.waiting_on_record_id == record_id,
            table.c.status == WAITING,
        )
        .values(status=PENDING, waiting_on_record_id=None, next_attempt_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def unblock_many(session: Session, connection_id: int, record_ids: set[int], now: datetime) -> int:
    """:func:`unblock` for several records at once (a statement per 500 ids)."""
    table = DeliveryRow.__table__
    ids = sorted(record_ids)
    released = 0
    for start in range(0, len(ids), 500):
        result = session.execute(
            update(table)
            .where(
                table.c.connection_id == connection_id,
                table.c.waiting_on_record_id.in_(ids[start : start + 500]),
                table.c.status == WAITING,
            )
            .values(status=PENDING, waiting_on_record_id=None, next_attempt_at=now)
        )
        released += int(result.rowcount)  # type: ignore[attr-defined]
    return released


def count_in_status(session: Session, connection_id: int, status: str) -> int:
    """How many deliveries of the connection are in *status* (an index range count)."""
    return (
        session.scalar(
            select(func.count()).where(
                DeliveryRow.connection_id == connection_id, DeliveryRow.status == status
            )
        )
        or 0
    )


def count_by_status(session: Session, connection_id: int) -> dict[str, int]:
    """How many deliveries of the connection are in each status."""
    rows = session.execute(
        select(DeliveryRow.status, func.count())
        .where(DeliveryRow.connection_id == connection_id)
        .group_by(DeliveryRow.status)
    )
    return {status: count for status, count in rows}


def external_row(session: Session, connection_id: int, record_id: int) -> ExternalIdRow | None:
    """Where the record lives in the connection's target, if it was delivered."""
    return session.scalar(
        select(ExternalIdRow).where(
            ExternalIdRow.connection_id == connection_id, ExternalIdRow.record_id == record_id
        )
    )


def external_rows(session: Session, connection_id: int, record_ids: list[int]) -> dict[int, ExternalIdRow]:
    """The external ids of several records, by record id."""
    found: dict[int, ExternalIdRow] = {}
    for start in range(0, len(record_ids), 500):
        part = record_ids[start : start + 500]
        found.update(
            {
                row.record_id: row
                for row in session.scalars(
                    select(ExternalIdRow).where(
                        ExternalIdRow.connection_id == connection_id, ExternalIdRow.record_id.in_(part)
                    )
                )
            }
        )
    return found


def external_values(
    *,
    connection_id: int,
    record_id: int,
    target_id: str,
    data: dict[str, Any],
    version: int,
    voided: bool,
    now: datetime,
) -> dict[str, Any]:
    """The columns of a new external id, for :func:`insert_externals`."""
    return {
        "connection_id": connection_id,
        "record_id": record_id,
        "target_id": target_id,
        "data": data,
        "version": version,
        "voided": voided,
        "updated_at": now,
    }


def insert_externals(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert new external ids (from :func:`external_values`) in one executemany."""
    if rows:
        session.execute(insert(ExternalIdRow.__table__), rows)


def save_external(
    session: Session,
    existing: ExternalIdRow | None,
    *,
    connection_id: int,
    record_id: int,
    target_id: str,
    data: dict[str, Any],
    version: int,
    voided: bool,
    now: datetime,
) -> None:
    """Insert or update (*existing*, as read by the caller) the record's external id after a
    successful delivery."""
    row = existing
    if row is None:
        session.add(
            ExternalIdRow(
                connection_id=connection_id,
                record_id=record_id,
                target_id=target_id,
                data=data,
                version=version,
                voided=voided,
                updated_at=now,
            )
        )
    else:
        row.target_id = target_id
        row.data = data
        row.version = version
        row.voided = voided
        row.updated_at = now
