"""Connections: status, the per-connection lease, key/value stores and warnings."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.storage.models import ConnectionRow, ConnectionValueRow, ConnectionWarningRow

PENDING_AUTHORIZATION = "pending_authorization"
CONNECTING = "connecting"
"""Settings accepted; the target's ``connect`` is running."""
ACTIVE = "active"
DISCONNECTED = "disconnected"
"""Stopped by a fatal error; deliveries keep queueing and resume on reconnect."""
CLOSED = "closed"
"""Disconnected by the shop; nothing more is queued."""
QUEUEING = (PENDING_AUTHORIZATION, CONNECTING, ACTIVE, DISCONNECTED)
"""Statuses whose connection still receives new deliveries."""


def connection_row(session: Session, connection_id: int) -> ConnectionRow:
    """The connection's row; an unknown id raises ``KeyError``."""
    row = session.get(ConnectionRow, connection_id)
    if row is None:
        raise KeyError(f"no connection {connection_id}")
    return row


def shop_connections(
    session: Session, shop_id: str, statuses: tuple[str, ...] | None = None
) -> list[ConnectionRow]:
    """The shop's connections, oldest first, optionally only in *statuses*."""
    query = select(ConnectionRow).where(ConnectionRow.shop_id == shop_id).order_by(ConnectionRow.id)
    if statuses is not None:
        query = query.where(ConnectionRow.status.in_(statuses))
    return list(session.scalars(query))


def find_connection(session: Session, shop_id: str, target_name: str) -> ConnectionRow | None:
    """The shop's connection to *target_name* (the newest), whatever its status."""
    return session.scalar(
        select(ConnectionRow)
        .where(ConnectionRow.shop_id == shop_id, ConnectionRow.target_name == target_name)
        .order_by(ConnectionRow.id.desc())
        .limit(1)
    )


def take_lease(session: Session, connection_id: int, owner: str, now: datetime, seconds: float) -> bool:
    """Take the connection's lease for *owner* with one atomic UPDATE; True if taken.

    Succeeds when the lease is free, expired, or already *owner*'s (then it is extended), so
    exactly one worker at a time works a connection, on SQLite as on PostgreSQL.
    """
    table = ConnectionRow.__table__
    result = session.execute(
        update(table)
        .where(
            table.c.id == connection_id,
            or_(
                table.c.lease_owner.is_(None),
                table.c.lease_owner == owner,
                table.c.lease_expires_at < now,
            ),
        )
        .values(lease_owner=owner, lease_expires_at=now + timedelta(seconds=seconds))
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def release_lease(session: Session, connection_id: int, owner: str) -> None:
    """Give the lease back if *owner* still holds it."""
    table = ConnectionRow.__table__
    session.execute(
        update(table)
        .where(table.c.id == connection_id, table.c.lease_owner == owner)
        .values(lease_owner=None, lease_expires_at=None)
    )


def get_value(session: Session, connection_id: int, namespace: str, key: str) -> ConnectionValueRow | None:
    """One stored key of a connection's store."""
    return session.scalar(
        select(ConnectionValueRow).where(
            ConnectionValueRow.connection_id == connection_id,
            ConnectionValueRow.namespace == namespace,
            ConnectionValueRow.key == key,
        )
    )


def put_value(session: Session, connection_id: int, namespace: str, key: str, value: str) -> None:
    """Insert or overwrite one key (last writer wins)."""
    row = get_value(session, connection_id, namespace, key)
    if row is None:
        session.add(
            ConnectionValueRow(connection_id=connection_id, namespace=namespace, key=key, value=value)
        )
    else:
        row.value = value
        row.revision += 1


def swap_value(
    session: Session, connection_id: int, namespace: str, key: str, revision: int | None, value: str
) -> bool:
    """Write *value* only if the key is still at *revision* (``None``: still absent).

    The check and the write are one statement (or one INSERT against the unique key), so two
    processes racing here cannot both succeed.
    """
    if revision is None:
        try:
            with session.begin_nested():
                session.add(
                    ConnectionValueRow(connection_id=connection_id, namespace=namespace, key=key, value=value)
                )
        except IntegrityError:
            return False
        return True
    result = session.execute(
        update(ConnectionValueRow)
        .where(
            ConnectionValueRow.connection_id == connection_id,
            ConnectionValueRow.namespace == namespace,
            ConnectionValueRow.key == key,
            ConnectionValueRow.revision == revision,
        )
        .values(value=value, revision=revision + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def clear_namespace(session: Session, connection_id: int, namespace: str) -> None:
    """Forget every key of one store (secrets on disconnect)."""
    session.execute(
        delete(ConnectionValueRow).where(
            ConnectionValueRow.connection_id == connection_id, ConnectionValueRow.namespace == namespace
        )
    )


def add_warning(session: Session, connection_id: int, message: str, now: datetime) -> None:
    """Store a connection-level warning."""
    session.add(ConnectionWarningRow(connection_id=connection_id, message=message, created_at=now))


def warnings(session: Session, connection_id: int, limit: int = 50) -> list[ConnectionWarningRow]:
    """The newest warnings of a connection."""
    return list(
        session.scalars(
            select(ConnectionWarningRow)
            .where(ConnectionWarningRow.connection_id == connection_id)
            .order_by(ConnectionWarningRow.id.desc())
            .limit(limit)
        )
    )
