"""The hub's tables as typed SQLAlchemy models.

The schema itself is created by the Alembic migrations in :mod:`hub.storage.migrations`; a test
checks the models and the migrations agree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.storage.base import Base

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT for the big tables.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class ShopRow(Base):
    """A tenant. ``profile`` is the :class:`~hub.domain.records.Shop` as JSON."""

    __tablename__ = "shops"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    profile: Mapped[dict[str, Any]]
    features: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]


class ShopUserRow(Base):
    """A person who signs in to a shop's settings pages. The password is stored hashed."""

    __tablename__ = "shop_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime]


class ApiTokenRow(Base):
    """An ingest API token; only its SHA-256 is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class RecordRow(Base):
    """One record of a shop (kind + the shop system's id) and its current version number."""

    __tablename__ = "records"
    __table_args__ = (
        UniqueConstraint("shop_id", "kind", "source_id"),
        # Backfill cursor and record streaming walk a shop's records in id order.
        Index("ix_records_shop_id_id", "shop_id", "id"),
        Index("ix_records_shop_id_kind_id", "shop_id", "kind", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[str] = mapped_column(String(200))
    current_version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime]


class RecordVersionRow(Base):
    """One version of a record: the payload from ``dump_record`` and its content hash."""

    __tablename__ = "record_versions"
    __table_args__ = (
        UniqueConstraint("record_id", "version"),
        Index("ix_record_versions_received_at", "received_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]]
    content_hash: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime]


class ConnectionRow(Base):
    """A shop's connection to one target: settings, status, start mode, backfill and lease."""

    __tablename__ = "connections"
    __table_args__ = (Index("ix_connections_shop_id_target_name", "shop_id", "target_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    target_name: Mapped[str] = mapped_column(String(64), index=True)
    settings: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(32))
    status_reason: Mapped[str] = mapped_column(Text, default="")
    start_mode: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    connected_at: Mapped[datetime | None]
    last_sync_at: Mapped[datetime | None]
    last_contact_at: Mapped[datetime | None]
    backfill_high_water: Mapped[int] = mapped_column(BigInteger, default=0)
    """Records with an id up to here are history; the backfill enqueues them."""
    backfill_cursor: Mapped[int] = mapped_column(BigInteger, default=0)
    backfill_total: Mapped[int] = mapped_column(Integer, default=0)
    backfill_done: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None]


class ConnectionValueRow(Base):
    """One key of a connection's state (plain JSON) or secrets (Fernet token) store."""

    __tablename__ = "connection_values"
    __table_args__ = (UniqueConstraint("connection_id", "namespace", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    namespace: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(200))
    value: Mapped[str] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    """Bumped on every write; compare-and-set updates only the revision it read."""


class ConnectionWarningRow(Base):
    """A connection-level warning a plugin raised through ``ctx.warn``."""

    __tablename__ = "connection_warnings"

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"), index=True)
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class DeliveryRow(Base):
    """The outbox: one record version to deliver to one connection.

    ``status``: pending (due at ``next_attempt_at``), claimed (leased until
    ``lease_expires_at``), waiting (for the record ``waiting_on_record_id`` to reach the
    target), delivered, needs_attention, skipped, superseded (a newer version replaced it).
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("connection_id", "record_version_id"),
        Index("ix_deliveries_due", "connection_id", "status", "rank", "id"),
        Index("ix_deliveries_connection_id_record_id", "connection_id", "record_id"),
        Index("ix_deliveries_waiting", "connection_id", "waiting_on_record_id"),
        Index("ix_deliveries_record_id", "record_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    record_version_id: Mapped[int] = mapped_column(ForeignKey("record_versions.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    rank: Mapped[int] = mapped_column(Integer)
    """The kind's place in DEPENDENCY_ORDER: claims go customers first, payments after invoices."""
    status: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(16), default="")
    """What the last hand-over asked of the target (create, update, void)."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    idempotency_key: Mapped[str] = mapped_column(String(64))
    last_error: Mapped[str] = mapped_column(Text, default="")
    warnings: Mapped[list[str]] = mapped_column(default=list)
    waiting_on_record_id: Mapped[int | None] = mapped_column(BigInteger)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None]
    backfill: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class ExternalIdRow(Base):
    """Where a record lives in a connection's target: its id there plus target data."""

    __tablename__ = "external_ids"
    __table_args__ = (UniqueConstraint("connection_id", "record_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    target_id: Mapped[str] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    version: Mapped[int] = mapped_column(Integer)
    """The record version the target holds."""
    voided: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime]


class DeliveryLogRow(Base):
    """One delivery attempt, kept for support. Keyset-paginated by ``id`` on indexed filters."""

    __tablename__ = "delivery_log"
    __table_args__ = (
        Index("ix_delivery_log_plugin_id", "plugin", "id"),
        Index("ix_delivery_log_shop_id_id", "shop_id", "id"),
        Index("ix_delivery_log_record", "shop_id", "record_kind", "source_id", "id"),
        Index("ix_delivery_log_at", "at"),
        Index("ix_delivery_log_connection_id_id", "connection_id", "id"),
        Index("ix_delivery_log_shop_id_plugin_id", "shop_id", "plugin", "id"),
        Index("ix_delivery_log_plugin_outcome_id", "plugin", "outcome", "id"),
        Index("ix_delivery_log_shop_id_plugin_at_id", "shop_id", "plugin", "at", "id"),
        Index("ix_delivery_log_shop_id_plugin_outcome_id", "shop_id", "plugin", "outcome", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime]
    connection_id: Mapped[int] = mapped_column(Integer)
    plugin: Mapped[str] = mapped_column(String(64))
    shop_id: Mapped[str] = mapped_column(String(64))
    record_kind: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    delivery_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(20))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    target_id: Mapped[str] = mapped_column(String(200), default="")
    error: Mapped[str] = mapped_column(Text, default="")
