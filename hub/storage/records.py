"""Records and their versions: store a payload, notice identical re-sends, read versions back."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.storage.models import RecordRow, RecordVersionRow

IN_CHUNK = 500
"""Largest ``IN (...)`` list sent at once (SQLite caps bound parameters)."""


def content_hash(payload: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of *payload* (sorted keys, no spaces)."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """What storing one payload did: ``status`` is created, updated or unchanged."""

    record_id: int
    version_id: int
    version: int
    status: str


def chunks(items: list[Any], size: int = IN_CHUNK) -> Iterator[list[Any]]:
    """*items* in slices of at most *size*."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def find_records(
    session: Session, shop_id: str, kind: str, source_ids: Iterable[str]
) -> dict[str, RecordRow]:
    """The stored records of *kind* among *source_ids*, by source id."""
    found: dict[str, RecordRow] = {}
    for part in chunks(sorted(set(source_ids))):
        rows = session.scalars(
            select(RecordRow).where(
                RecordRow.shop_id == shop_id, RecordRow.kind == kind, RecordRow.source_id.in_(part)
            )
        )
        found.update({row.source_id: row for row in rows})
    return found


def current_hashes(session: Session, record_ids: Iterable[int]) -> dict[int, str]:
    """The content hash of the current version of each record."""
    hashes: dict[int, str] = {}
    for part in chunks(sorted(set(record_ids))):
        rows = session.execute(
            select(RecordVersionRow.record_id, RecordVersionRow.content_hash)
            .join(RecordRow, RecordRow.id == RecordVersionRow.record_id)
            .where(
                RecordVersionRow.record_id.in_(part), RecordVersionRow.version == RecordRow.current_version
            )
        )
        hashes.update({record_id: digest for record_id, digest in rows})
    return hashes


def store_version(
    session: Session,
    *,
    shop_id: str,
    kind: str,
    source_id: str,
    payload: Mapping[str, Any],
    now: datetime,
    existing: RecordRow | None,
    existing_hash: str | None,
) -> StoredVersion:
    """Store *payload* as the next version of the record, unless it equals the current one."""
    digest = content_hash(payload)
    if existing is not None and existing_hash == digest:
        return StoredVersion(existing.id, 0, existing.current_version, "unchanged")
    if existing is None:
        existing = RecordRow(
            shop_id=shop_id, kind=kind, source_id=source_id, current_version=1, updated_at=now
        )
        session.add(existing)
        session.flush()
        status = "created"
    else:
        existing.current_version += 1
        existing.updated_at = now
        status = "updated"
    version = RecordVersionRow(
        record_id=existing.id,
        version=existing.current_version,
        payload=dict(payload),
        content_hash=digest,
        received_at=now,
    )
    session.add(version)
    session.flush()
    return StoredVersion(existing.id, version.id, existing.current_version, status)


def store_versions(
    session: Session,
    *,
    shop_id: str,
    kind: str,
    payloads: list[tuple[str, Mapping[str, Any]]],
    now: datetime,
    existing: Mapping[str, RecordRow],
    existing_hashes: Mapping[int, str],
) -> list[StoredVersion]:
    """:func:`store_version` for several ``(source_id, payload)`` of one kind (each source id
    once), in two flushes rather than two per record; results in the order given."""
    plans: list[tuple[RecordRow, str, Mapping[str, Any], str, str]] = []
    results: dict[str, StoredVersion] = {}
    new_rows: list[RecordRow] = []
    for source_id, payload in payloads:
        digest = content_hash(payload)
        row = existing.get(source_id)
        if row is not None and existing_hashes.get(row.id) == digest:
            results[source_id] = StoredVersion(row.id, 0, row.current_version, "unchanged")
            continue
        if row is None:
            row = RecordRow(
                shop_id=shop_id, kind=kind, source_id=source_id, current_version=1, updated_at=now
            )
            new_rows.append(row)
            plans.append((row, source_id, payload, "created", digest))
        else:
            row.current_version += 1
            row.updated_at = now
            plans.append((row, source_id, payload, "updated", digest))
    if new_rows:
        session.add_all(new_rows)
        session.flush()  # one multi-row INSERT: the versions need the records' ids
    versions = [
        RecordVersionRow(
            record_id=row.id,
            version=row.current_version,
            payload=dict(payload),
            content_hash=digest,
            received_at=now,
        )
        for row, _, payload, _, digest in plans
    ]
    if versions:
        session.add_all(versions)
        session.flush()
    for (row, source_id, _, status, _), version in zip(plans, versions, strict=True):
        results[source_id] = StoredVersion(row.id, version.id, row.current_version, status)
    return [results[source_id] for source_id, _ in payloads]


def current_version_row(session: Session, record_id: int) -> RecordVersionRow:
    """The current version of a record."""
    row = session.scalar(
        select(RecordVersionRow)
        .join(RecordRow, RecordRow.id == RecordVersionRow.record_id)
        .where(RecordRow.id == record_id, RecordVersionRow.version == RecordRow.current_version)
    )
    if row is None:
        raise KeyError(f"record {record_id} has no current version")
    return row


def record_versions(session: Session, shop_id: str, kind: str, source_id: str) -> list[RecordVersionRow]:
    """Every version of one record, oldest first (empty if unknown)."""
    return list(
        session.scalars(
            select(RecordVersionRow)
            .join(RecordRow, RecordRow.id == RecordVersionRow.record_id)
            .where(RecordRow.shop_id == shop_id, RecordRow.kind == kind, RecordRow.source_id == source_id)
            .order_by(RecordVersionRow.version)
        )
    )
