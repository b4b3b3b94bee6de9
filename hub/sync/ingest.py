"""Storing pushed records as versions and queueing their deliveries, all-or-nothing per call."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from hub.domain.kinds import DEPENDENCY_ORDER, REFERENCES, EntityKind
from hub.domain.records import Record
from hub.domain.schemas import dump_record, load_record
from hub.errors import RecordValidationError
from hub.plugin.target import Target
from hub.storage import connections as conn_repo
from hub.storage import tenants
from hub.storage.outbox import insert_many
from hub.storage.records import current_hashes, find_records, store_versions
from hub.sync.outbox import enqueue_version


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    """What happened to one pushed record: ``status`` is created, updated or unchanged."""

    kind: EntityKind
    id: str
    version: int
    status: str


def check_references(session: Session, shop_id: str, records: Sequence[Record]) -> None:
    """Every reference (an invoice's ``customer_id``…) must name a record of the shop that is
    stored already or comes in this same call; raises :class:`RecordValidationError`."""
    in_call: dict[EntityKind, set[str]] = defaultdict(set)
    seen: set[tuple[EntityKind, str]] = set()
    for record in records:
        key = (record.kind, record.id)
        if key in seen:
            raise RecordValidationError(
                record.kind.value,
                record.id,
                {"id": ["appears more than once in this call; send each record once"]},
            )
        seen.add(key)
        in_call[record.kind].add(record.id)
    wanted: dict[EntityKind, set[str]] = defaultdict(set)
    for record in records:
        for field_name, ref_kind in REFERENCES[record.kind].items():
            wanted[ref_kind].add(getattr(record, field_name))
    known: dict[EntityKind, set[str]] = {}
    for ref_kind, ids in wanted.items():
        missing = ids - in_call[ref_kind]
        known[ref_kind] = in_call[ref_kind] | set(find_records(session, shop_id, ref_kind.value, missing))
    for record in records:
        for field_name, ref_kind in REFERENCES[record.kind].items():
            value = getattr(record, field_name)
            if value not in known[ref_kind]:
                raise RecordValidationError(
                    record.kind.value,
                    record.id,
                    {
                        field_name: [
                            f"must name {_article(ref_kind.value)} {ref_kind.value} of this shop sent "
                            "before or in the same call "
                            f"(no {ref_kind.value} {value!r})"
                        ]
                    },
                )


def _article(noun: str) -> str:
    """ "an" before a vowel sound ("an invoice", "an inventory_item"), else "a"."""
    return "an" if noun[:1].lower() in "aeiou" else "a"


def ingest_records(
    session: Session,
    targets: dict[str, Target],
    shop_id: str,
    records: Sequence[Record],
    now: datetime,
    *,
    validated: bool = False,
) -> list[IngestOutcome]:
    """Store *records* for *shop_id* and queue a delivery of every new version for each
    connection whose target takes its kind. The caller's transaction makes it all-or-nothing.

    Records built in code get the same rules as JSON input: each is checked with
    ``load_record`` unless the caller says they came from it already (*validated*)."""
    tenants.shop_row(session, shop_id)
    for record in records:
        if not isinstance(record, Record) or not hasattr(record, "kind"):
            raise RecordValidationError("record", None, {"_record": [f"{record!r} is not a hub record"]})
    check_references(session, shop_id, records)
    connections = [
        (row, targets[row.target_name])
        for row in conn_repo.shop_connections(session, shop_id, conn_repo.QUEUEING)
        if row.target_name in targets
    ]
    outcomes: dict[tuple[EntityKind, str], IngestOutcome] = {}
    by_kind: dict[EntityKind, list[Record]] = defaultdict(list)
    for record in records:
        by_kind[record.kind].append(record)
    pending: list[dict[str, Any]] = []
    for kind in DEPENDENCY_ORDER:
        batch = by_kind.get(kind)
        if not batch:
            continue
        payloads = [(record.id, dump_record(record)) for record in batch]
        if not validated:
            for _, payload in payloads:
                load_record(kind, payload)
        existing = find_records(session, shop_id, kind.value, (r.id for r in batch))
        hashes = current_hashes(session, (row.id for row in existing.values()))
        stored_all = store_versions(
            session,
            shop_id=shop_id,
            kind=kind.value,
            payloads=payloads,
            now=now,
            existing=existing,
            existing_hashes=hashes,
        )
        for (source_id, payload), stored in zip(payloads, stored_all, strict=True):
            outcomes[(kind, source_id)] = IngestOutcome(kind, source_id, stored.version, stored.status)
            if stored.status == "unchanged":
                continue
            for connection, target in connections:
                enqueue_version(
                    session,
                    connection,
                    target,
                    record_id=stored.record_id,
                    version_id=stored.version_id,
                    version=stored.version,
                    kind=kind,
                    payload=payload,
                    now=now,
                    fresh=stored.status == "created",
                    batch=pending,
                )
        # Written per kind: a later kind's older-version checks read these rows.
        insert_many(session, pending)
    return [outcomes[(r.kind, r.id)] for r in records]
