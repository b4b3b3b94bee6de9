"""Dry runs: what a target would receive for a record, without sending or storing anything."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from hub.domain.kinds import REFERENCES, EntityKind
from hub.domain.records import Record, Shop
from hub.domain.schemas import load_record
from hub.plugin.target import Action, ConnectionContext, Delivery, ExternalRef, PreviewDocument
from hub.storage import connections as conn_repo
from hub.storage.models import RecordRow, RecordVersionRow
from hub.sync.connecting import target_for
from hub.sync.context import context_for, plugin_logger
from hub.sync.outbox import idempotency_key
from hub.sync.prepare import is_void

if TYPE_CHECKING:
    from hub.sync.runtime import Hub

PREVIEW_LIMIT = 10
PLACEHOLDER_ID = "(new)"


class MemoryValues:
    """A key/value store that lives only for one preview."""

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}

    def get(self, key: str, default: Any = None) -> Any:
        """The value under *key*, or *default*."""
        return self._values.get(key, default)

    def set(self, key: str, value: Any) -> None:
        """Keep *value* for the rest of the preview."""
        self._values[key] = value

    def compare_and_set(self, key: str, expected: Any, value: Any) -> bool:
        """Store *value* if the current value is *expected*."""
        if self._values.get(key) != expected:
            return False
        self._values[key] = value
        return True


class PreviewContext:
    """A context for a shop that has not connected the target yet."""

    def __init__(self, hub: Hub, shop: Shop, target_name: str) -> None:
        self._hub = hub
        self.connection_id = 0
        self.target_name = target_name
        self.shop = shop
        self.settings: Mapping[str, Any] = {}
        self.logger: logging.Logger = plugin_logger(target_name)
        self.state = MemoryValues()
        self.secrets = MemoryValues()

    def now(self) -> datetime:
        """The hub's current time."""
        return self._hub.now()

    def lookup_external(self, kind: EntityKind, record_id: str) -> ExternalRef | None:
        """Nothing was delivered yet: always ``None``."""
        return None

    def warn(self, message: str) -> None:
        """Warnings of a preview only go to the log."""
        self.logger.warning("preview: %s", message)


def _context(hub: Hub, shop_id: str, target_name: str) -> ConnectionContext:
    with hub.session_factory() as session:
        row = conn_repo.find_connection(session, shop_id, target_name)
        if row is not None:
            return context_for(hub.core, session, row)
    return PreviewContext(hub, hub.get_shop(shop_id), target_name)


def _delivery(ctx: ConnectionContext, record: Record, entities: frozenset[EntityKind]) -> Delivery:
    references = {
        field_name: ctx.lookup_external(ref_kind, getattr(record, field_name)) or ExternalRef(PLACEHOLDER_ID)
        for field_name, ref_kind in REFERENCES[record.kind].items()
        if ref_kind in entities and getattr(record, field_name, "")
    }
    external = ctx.lookup_external(record.kind, record.id)
    action = Action.VOID if is_void(record) else Action.UPDATE if external else Action.CREATE
    return Delivery(
        id=0,
        connection_id=ctx.connection_id,
        kind=record.kind,
        record=record,
        version=0,
        action=action,
        idempotency_key=idempotency_key(ctx.connection_id, 0, 0),
        external=external,
        references=references,
    )


def preview_delivery(hub: Hub, shop_id: str, target_name: str, record: Record) -> Delivery:
    """The delivery the engine would hand *target_name* for *record*."""
    target = target_for(hub.core, target_name)
    return _delivery(_context(hub, shop_id, target_name), record, target.entities)


def preview(hub: Hub, shop_id: str, target_name: str, record: Record | None = None) -> list[PreviewDocument]:
    """Preview documents for *record*, or for the shop's latest records the target takes."""
    target = target_for(hub.core, target_name)
    ctx = _context(hub, shop_id, target_name)
    if record is not None:
        records = [record]
    else:
        with hub.session_factory() as session:
            rows = session.execute(
                select(RecordRow.kind, RecordVersionRow.payload)
                .join(
                    RecordVersionRow,
                    (RecordVersionRow.record_id == RecordRow.id)
                    & (RecordVersionRow.version == RecordRow.current_version),
                )
                .where(RecordRow.shop_id == shop_id, RecordRow.kind.in_([k.value for k in target.entities]))
                .order_by(RecordRow.id.desc())
                .limit(PREVIEW_LIMIT)
            ).all()
        records = [load_record(kind, payload) for kind, payload in reversed(rows)]
    documents = []
    for item in records:
        if item.kind not in target.entities:
            continue
        doc = hub.host.call_first(
            "ledgerhub_preview",
            target_name=target_name,
            context=ctx,
            delivery=_delivery(ctx, item, target.entities),
        )
        if doc is not None:
            documents.append(doc)
    return documents
