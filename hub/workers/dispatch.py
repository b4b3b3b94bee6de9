"""Find the connections that have work due and no live lease: what the scheduler enqueues."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session

from hub.storage import connections as connection_store
from hub.storage import outbox
from hub.storage.models import ConnectionRow, DeliveryRow


def due_connection_ids(session: Session, now: datetime, limit: int = 10_000) -> list[int]:
    """Active connections with a delivery due (pending and its time has come, or claimed by a
    worker whose claim ran out) or a history backfill still to enqueue, and whose lease is
    free or expired; least recently synced first, so no shop starves."""
    due_delivery = exists().where(
        DeliveryRow.connection_id == ConnectionRow.id,
        or_(
            and_(DeliveryRow.status == outbox.PENDING, DeliveryRow.next_attempt_at <= now),
            and_(DeliveryRow.status == outbox.CLAIMED, DeliveryRow.lease_expires_at <= now),
        ),
    )
    backfill_left = ConnectionRow.backfill_cursor < ConnectionRow.backfill_high_water
    query = (
        select(ConnectionRow.id)
        .where(
            ConnectionRow.status == connection_store.ACTIVE,
            or_(ConnectionRow.lease_owner.is_(None), ConnectionRow.lease_expires_at < now),
            or_(due_delivery, backfill_left),
        )
        .order_by(ConnectionRow.last_sync_at.asc().nulls_first(), ConnectionRow.id)
        .limit(limit)
    )
    return list(session.scalars(query))
