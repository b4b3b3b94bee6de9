"""Queueing rules: which record versions become deliveries, and the resumable history backfill."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from hub.domain.kinds import EntityKind
from hub.plugin.target import Target
from hub.storage import outbox
from hub.storage.models import ConnectionRow, RecordRow, RecordVersionRow


def idempotency_key(connection_id: int, record_id: int, version: int) -> str:
    """The key a target dedups on: the same for every attempt of one (connection, record,
    version), different for anything else. 40 characters, safe in any header or field."""
    digest = hashlib.sha256(f"ledgerhub:{connection_id}:{record_id}:{version}".encode()).hexdigest()
    return f"lh-{digest[:37]}"


def is_deliverable(kind: EntityKind, payload: Mapping[str, Any]) -> bool:
    """Whether this version goes to the books at all: open repair orders do not."""
    return not (kind is EntityKind.INVOICE and payload.get("status") == "open")


def enqueue_version(
    session: Session,
    connection: ConnectionRow,
    target: Target,
    *,
    record_id: int,
    version_id: int,
    version: int,
    kind: EntityKind,
    payload: Mapping[str, Any],
    now: datetime,
    backfill: bool = False,
    fresh: bool = False,
    batch: list[dict[str, Any]] | None = None,
) -> bool:
    """Queue one version for one connection if the target takes its kind; True if queued.
    *fresh*: the record has no delivery on this connection yet (skips the checks). *batch*:
    collect the row for :func:`hub.storage.outbox.insert_many` instead of adding it."""
    if kind not in target.entities or not is_deliverable(kind, payload):
        return False
    return outbox.enqueue(
        session,
        connection_id=connection.id,
        record_id=record_id,
        version_id=version_id,
        version=version,
        kind=kind,
        idempotency_key=idempotency_key(connection.id, record_id, version),
        now=now,
        backfill=backfill,
        fresh=fresh,
        batch=batch,
    )


def enqueue_current(
    session: Session,
    connection: ConnectionRow,
    target: Target,
    record: RecordRow,
    now: datetime,
    *,
    backfill: bool = False,
) -> bool:
    """Queue the record's current version (used to pull in a dependency and by the backfill)."""
    current = session.scalar(
        select(RecordVersionRow).where(
            RecordVersionRow.record_id == record.id, RecordVersionRow.version == record.current_version
        )
    )
    if current is None:
        return False
    return enqueue_version(
        session,
        connection,
        target,
        record_id=record.id,
        version_id=current.id,
        version=current.version,
        kind=EntityKind(record.kind),
        payload=current.payload,
        now=now,
        backfill=backfill,
    )


def start_backfill(session: Session, connection: ConnectionRow, target: Target) -> None:
    """Mark every record stored so far as history to send, and count it for progress."""
    high_water = (
        session.scalar(
            select(func.coalesce(func.max(RecordRow.id), 0)).where(RecordRow.shop_id == connection.shop_id)
        )
        or 0
    )
    kinds = [k.value for k in target.entities]
    total = (
        session.scalar(
            select(func.count()).where(
                RecordRow.shop_id == connection.shop_id, RecordRow.kind.in_(kinds), RecordRow.id <= high_water
            )
        )
        or 0
    )
    connection.backfill_high_water = high_water
    connection.backfill_cursor = 0
    connection.backfill_total = total
    connection.backfill_done = 0


def backfill_pending(connection: ConnectionRow) -> bool:
    """True while the backfill has records left to enqueue."""
    return connection.backfill_cursor < connection.backfill_high_water


def backfill_step(
    session: Session, connection: ConnectionRow, target: Target, now: datetime, chunk: int
) -> int:
    """Enqueue the next *chunk* of history and move the persisted cursor; returns how many
    records the step covered (0 if another caller fed this chunk first). Commit the session
    after each step: a crash then resumes at the cursor, never enqueueing a chunk twice nor
    skipping one.

    Several callers may feed one connection at once (the engine and a pull client's claim, in
    other processes): the chunk is claimed by moving the cursor with a conditional UPDATE, so
    exactly one of them inserts it; the loser sees no row updated and queues nothing."""
    session.flush()  # pending ORM changes go out now, not over the cursor moved below
    old_cursor = connection.backfill_cursor
    kinds = [k.value for k in target.entities]
    rows = list(
        session.execute(
            select(RecordRow, RecordVersionRow)
            .join(
                RecordVersionRow,
                (RecordVersionRow.record_id == RecordRow.id)
                & (RecordVersionRow.version == RecordRow.current_version),
            )
            .where(
                RecordRow.shop_id == connection.shop_id,
                RecordRow.id > old_cursor,
                RecordRow.id <= connection.backfill_high_water,
            )
            .order_by(RecordRow.id)
            .limit(chunk)
        ).tuples()
    )
    if not rows:
        _claim_chunk(session, connection, old_cursor, connection.backfill_high_water, 0)
        return 0
    done_now = 0
    batch: list[dict[str, Any]] = []
    queued = outbox.records_with_deliveries(
        session, connection.id, [r.id for r, _ in rows if r.kind in kinds]
    )
    for record, version in rows:
        if record.kind not in kinds:
            continue
        kind = EntityKind(record.kind)
        if record.id in queued:
            # Already queued since connecting (a newer version or a pulled-in dependency).
            done_now += 1
            continue
        if not enqueue_version(
            session,
            connection,
            target,
            record_id=record.id,
            version_id=version.id,
            version=version.version,
            kind=kind,
            payload=version.payload,
            now=now,
            backfill=True,
            fresh=True,
            batch=batch,
        ):
            done_now += 1
    if not _claim_chunk(session, connection, old_cursor, rows[-1][0].id, done_now):
        return 0
    # The check above read before the claim: a version queued since then is left as it is.
    outbox.insert_many(session, batch, skip_existing=True)
    return len(rows)


def _claim_chunk(session: Session, connection: ConnectionRow, old: int, new: int, done: int) -> bool:
    """Move the cursor from *old* to *new* if nobody moved it since it was read; True if this
    caller won the chunk. Core, not the ORM: a flush must never write back a stale cursor."""
    result = session.execute(
        update(ConnectionRow)
        .where(ConnectionRow.id == connection.id, ConnectionRow.backfill_cursor == old)
        .values(backfill_cursor=new, backfill_done=ConnectionRow.backfill_done + done)
        .execution_options(synchronize_session=False)
    )
    session.expire(connection, ["backfill_cursor", "backfill_done"])  # read back the winner's values
    return bool(result.rowcount)
