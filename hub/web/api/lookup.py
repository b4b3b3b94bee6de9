"""Reading one stored record, for the API's GET endpoint and ``ledgerhub preview --record``.

Stand-in: the :class:`~hub.sync.runtime.Hub` facade has no single-record read yet, so this
reads the record's versions through the storage layer. When ``Hub.get_record`` exists, this
function calls it and nothing else changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hub.domain.kinds import EntityKind
from hub.domain.records import Record
from hub.domain.schemas import load_record
from hub.storage.records import record_versions


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """The current version of one record."""

    record: Record
    version: int
    received_at: datetime
    payload: dict[str, Any]


def get_record(hub: Any, shop_id: str, kind: EntityKind, source_id: str) -> StoredRecord | None:
    """The current version of *kind* *source_id* of *shop_id*, or ``None`` if never stored."""
    with hub.session_factory() as session:
        versions = record_versions(session, shop_id, kind.value, source_id)
        if not versions:
            return None
        current = versions[-1]
        payload = dict(current.payload)
        return StoredRecord(load_record(kind, payload), current.version, current.received_at, payload)
