"""Dry runs: what a target would receive, without claiming, sending or storing anything."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from hub.domain.kinds import REFERENCES, EntityKind
from hub.domain.records import Record, Shop
from hub.domain.schemas import load_record
from hub.errors import RecordValidationError
from hub.plugin.target import Action, ConnectionContext, Delivery, ExternalRef, PreviewDocument, Target
from hub.storage import connections as conn_repo
from hub.storage import outbox
from hub.storage.models import ConnectionRow, DeliveryRow, RecordRow, RecordVersionRow
from hub.sync.connecting import target_for
from hub.sync.context import context_for, plugin_logger
from hub.sync.outbox import idempotency_key
from hub.sync.prepare import is_void

if TYPE_CHECKING:
    from hub.sync.runtime import Hub

PREVIEW_LIMIT = 10
"""Records previewed for a shop that has not connected the target."""
PENDING_LIMIT = 1000
"""Pending deliveries previewed for a connected shop, at most."""
PLACEHOLDER_ID = "(new)"


class MemoryValues:
    """A key/value store that lives only for one preview; reads fall back to *base* (the
    connection's real store) and writes stay in memory, so a preview never changes state."""

    def __init__(self, base: Any = None) -> None:
        self._values: dict[str, Any] = {}
        self._base = base

    def get(self, key: str, default: Any = None) -> Any:
        """The value under *key*, or *default*."""
        if key in self._values:
            return self._values[key]
        return self._base.get(key, default) if self._base is not None else default

    def set(self, key: str, value: Any) -> None:
        """Keep *value* for the rest of the preview."""
        self._values[key] = value

    def compare_and_set(self, key: str, expected: Any, value: Any) -> bool:
        """Store *value* if the current value is *expected*."""
        if self.get(key) != expected:
            return False
        self._values[key] = value
        return True


class PreviewContext:
    """A read-only context: the shop's connection when it has one (its settings, stored
    values and external ids are read, nothing is written), else a blank one."""

    def __init__(
        self, hub: Hub, shop: Shop, target_name: str, connection: ConnectionContext | None = None
    ) -> None:
        self._hub = hub
        self._connection = connection
        self.connection_id = connection.connection_id if connection is not None else 0
        self.target_name = target_name
        self.shop = shop
        self.settings: Mapping[str, Any] = connection.settings if connection is not None else {}
        self.logger: logging.Logger = plugin_logger(target_name)
        self.state = MemoryValues(connection.state if connection is not None else None)
        self.secrets = MemoryValues(connection.secrets if connection is not None else None)

    def now(self) -> datetime:
        """The hub's current time."""
        return self._hub.now()

    def lookup_external(self, kind: EntityKind, record_id: str) -> ExternalRef | None:
        """The connection's ref for a delivered record (``None`` when not connected)."""
        if self._connection is None:
            return None
        return self._connection.lookup_external(kind, record_id)

    def warn(self, message: str) -> None:
        """Warnings of a preview only go to the log."""
        self.logger.warning("preview: %s", message)


def _context(hub: Hub, shop_id: str, target_name: str) -> tuple[PreviewContext, ConnectionRow | None]:
    """The preview context, and the shop's live connection to the target (if any)."""
    with hub.session_factory() as session:
        row = conn_repo.find_connection(session, shop_id, target_name)
        if row is not None and row.status in conn_repo.QUEUEING:
            live = context_for(hub.core, session, row)
            session.expunge(row)
            return PreviewContext(hub, live.shop, target_name, live), row
    return PreviewContext(hub, hub.get_shop(shop_id), target_name), None


def _references(
    ctx: PreviewContext, record: Record, entities: frozenset[EntityKind]
) -> dict[str, ExternalRef]:
    return {
        field_name: ctx.lookup_external(ref_kind, getattr(record, field_name)) or ExternalRef(PLACEHOLDER_ID)
        for field_name, ref_kind in REFERENCES[record.kind].items()
        if ref_kind in entities and getattr(record, field_name, "")
    }


def _delivery(
    ctx: PreviewContext,
    record: Record,
    entities: frozenset[EntityKind],
    *,
    delivery_id: int = 0,
    record_row_id: int = 0,
    version: int = 0,
    key: str | None = None,
) -> Delivery:
    """The delivery as the engine would build it; without *key*, the engine's key for
    (connection, *record_row_id*, *version*)."""
    external = ctx.lookup_external(record.kind, record.id)
    action = Action.VOID if is_void(record) else Action.UPDATE if external else Action.CREATE
    return Delivery(
        id=delivery_id,
        connection_id=ctx.connection_id,
        kind=record.kind,
        record=record,
        version=version,
        action=action,
        idempotency_key=key or idempotency_key(ctx.connection_id, record_row_id, version),
        external=external,
        references=_references(ctx, record, entities),
    )


def _stored_version(hub: Hub, shop_id: str, record: Record) -> tuple[int, int]:
    """(records.id, current version) of *record* in the shop, or (0, 0) if it is not stored."""
    with hub.session_factory() as session:
        row = session.execute(
            select(RecordRow.id, RecordRow.current_version).where(
                RecordRow.shop_id == shop_id,
                RecordRow.kind == record.kind.value,
                RecordRow.source_id == record.id,
            )
        ).first()
    return (row[0], row[1]) if row is not None else (0, 0)


def _queued_delivery_id(hub: Hub, connection_id: int, record_row_id: int, version: int) -> int:
    """The id of the connection's delivery of that version (the engine's requestIDs and file
    names use it), or 0 when it is not queued."""
    if not connection_id or not record_row_id:
        return 0
    with hub.session_factory() as session:
        found = session.scalar(
            select(DeliveryRow.id)
            .where(
                DeliveryRow.connection_id == connection_id,
                DeliveryRow.record_id == record_row_id,
                DeliveryRow.version == version,
            )
            .order_by(DeliveryRow.id.desc())
            .limit(1)
        )
    return int(found or 0)


def _record_delivery(
    hub: Hub, shop_id: str, ctx: PreviewContext, record: Record, entities: frozenset[EntityKind]
) -> Delivery:
    row_id, version = _stored_version(hub, shop_id, record)
    delivery_id = _queued_delivery_id(hub, ctx.connection_id, row_id, version)
    return _delivery(ctx, record, entities, delivery_id=delivery_id, record_row_id=row_id, version=version)


def preview_delivery(hub: Hub, shop_id: str, target_name: str, record: Record) -> Delivery:
    """The delivery the engine would hand *target_name* for *record*: its current version,
    the engine's idempotency key and the connection's external ref (so an update shows as one)."""
    target = target_for(hub.core, target_name)
    ctx, _ = _context(hub, shop_id, target_name)
    return _record_delivery(hub, shop_id, ctx, record, target.entities)


def _latest_records(hub: Hub, shop_id: str, target: Target, limit: int) -> list[tuple[int, int, Record]]:
    """(records.id, current version, record) of the shop's latest records the target takes."""
    with hub.session_factory() as session:
        rows = session.execute(
            select(RecordRow.id, RecordRow.current_version, RecordRow.kind, RecordVersionRow.payload)
            .join(
                RecordVersionRow,
                (RecordVersionRow.record_id == RecordRow.id)
                & (RecordVersionRow.version == RecordRow.current_version),
            )
            .where(RecordRow.shop_id == shop_id, RecordRow.kind.in_([k.value for k in target.entities]))
            .order_by(RecordRow.id.desc())
            .limit(limit)
        ).all()
    return [
        (row_id, version, load_record(kind, payload)) for row_id, version, kind, payload in reversed(rows)
    ]


def _pending_deliveries(hub: Hub, ctx: PreviewContext, target: Target, limit: int) -> list[Delivery]:
    """The connection's open deliveries, in the order the engine sends them, as it would hand
    them over (real action, external ref, references; a dependency not yet sent shows as
    ``(new)``). A void of something the target never had is left out: nothing is sent for it."""
    with hub.session_factory() as session:
        rows = session.execute(
            select(
                DeliveryRow.id,
                DeliveryRow.version,
                DeliveryRow.idempotency_key,
                DeliveryRow.kind,
                RecordVersionRow.payload,
            )
            .join(RecordVersionRow, RecordVersionRow.id == DeliveryRow.record_version_id)
            .where(
                DeliveryRow.connection_id == ctx.connection_id, DeliveryRow.status.in_(outbox.OPEN_STATUSES)
            )
            .order_by(DeliveryRow.rank, DeliveryRow.id)
            .limit(limit)
        ).all()
    deliveries = []
    for delivery_id, version, key, kind, payload in rows:
        try:
            record = load_record(kind, payload)
        except RecordValidationError:
            continue  # stored under older rules: the engine stops it for a person, nothing is sent
        item = _delivery(ctx, record, target.entities, delivery_id=delivery_id, version=version, key=key)
        if item.action is Action.VOID and item.external is None:
            continue
        deliveries.append(item)
    return deliveries


def preview(
    hub: Hub, shop_id: str, target_name: str, record: Record | None = None, limit: int | None = None
) -> list[PreviewDocument]:
    """Preview documents, read-only (nothing claimed, sent or stored):

    * for *record*: its current version as the connection (if any) would send it;
    * for a shop connected to the target: its pending deliveries (at most *limit*);
    * otherwise what connecting would send: the shop's latest records (at most *limit*,
      default 10), as creates.
    """
    target = target_for(hub.core, target_name)
    ctx, connection = _context(hub, shop_id, target_name)
    if record is not None:
        deliveries = (
            [_record_delivery(hub, shop_id, ctx, record, target.entities)]
            if record.kind in target.entities
            else []
        )
    elif connection is not None:
        deliveries = _pending_deliveries(hub, ctx, target, limit or PENDING_LIMIT)
    else:
        records = _latest_records(hub, shop_id, target, limit or PREVIEW_LIMIT)
        deliveries = [
            _delivery(ctx, item, target.entities, record_row_id=row_id, version=version)
            for row_id, version, item in records
        ]
    documents = []
    for delivery in deliveries:
        doc = hub.host.call_first(
            "ledgerhub_preview", target_name=target_name, context=ctx, delivery=delivery
        )
        if doc is not None:
            documents.append(doc)
    return documents
