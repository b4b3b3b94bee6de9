"""Reads the :class:`~hub.sync.runtime.Hub` facade does not offer yet: one stored record (the
API's GET endpoint, ``ledgerhub preview --record``) and a connection's delivery counts (the demo).

Stand-ins: they read through the storage layer with the hub's session factory. When the facade
grows ``get_record`` and ``delivery_counts``, these functions call them and nothing else changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from hub.domain.kinds import EntityKind
from hub.domain.records import Record
from hub.domain.schemas import load_record
from hub.storage.outbox import count_by_status
from hub.storage.records import record_versions

if TYPE_CHECKING:
    from hub.sync.runtime import Hub


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """The current version of one record."""

    record: Record
    version: int
    received_at: datetime
    payload: dict[str, Any]


def get_record(hub: Hub, shop_id: str, kind: EntityKind, source_id: str) -> StoredRecord | None:
    """The current version of *kind* *source_id* of *shop_id*, or ``None`` if never stored."""
    with hub.session_factory() as session:
        versions = record_versions(session, shop_id, kind.value, source_id)
        if not versions:
            return None
        current = versions[-1]
        payload = dict(current.payload)
        return StoredRecord(load_record(kind, payload), current.version, current.received_at, payload)


def delivery_counts(hub: Hub, connection_id: int) -> dict[str, int]:
    """How many deliveries of a connection are in each status (``delivered``, ``pending``…).

    Stand-in for a facade method, like :func:`get_record`.
    """
    with hub.session_factory() as session:
        return count_by_status(session, connection_id)
