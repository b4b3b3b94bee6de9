"""Turning a claimed delivery into a :class:`Delivery`, and recording what came of it.

The engine (push targets) and :class:`~hub.sync.services.Services` (pull targets) both use these
two functions, so an outcome means the same thing however the record travelled.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.domain.kinds import REFERENCES, EntityKind
from hub.domain.records import Invoice, InvoiceStatus, Payment, Record
from hub.domain.schemas import load_record
from hub.errors import (
    DeliveryError,
    FatalConnectionError,
    NeedsAttentionError,
    RecordValidationError,
    RetryableError,
)
from hub.plugin.target import Action, Delivery, DeliveryResult, ExternalRef, Target
from hub.storage import connections as conn_repo
from hub.storage import logs, outbox
from hub.storage.models import ConnectionRow, DeliveryRow, ExternalIdRow, RecordRow, RecordVersionRow
from hub.storage.records import find_records
from hub.sync.backoff import retry_delay
from hub.sync.context import redact
from hub.sync.core import Core
from hub.sync.outbox import enqueue_current

Outcome = DeliveryResult | BaseException


def is_void(record: Record) -> bool:
    """True for a voided invoice or payment: its delivery voids the target's copy."""
    if isinstance(record, Invoice):
        return record.status is InvoiceStatus.VOIDED
    return isinstance(record, Payment) and record.voided


@dataclass(frozen=True, slots=True)
class Prepared:
    """A claimed delivery ready to hand to the target, with what the log needs."""

    delivery: Delivery
    row: DeliveryRow
    source_id: str


class _Lookups:
    """What preparing one group of deliveries reads, fetched in a few IN queries."""

    def __init__(self, session: Session, connection: ConnectionRow) -> None:
        self.session = session
        self.connection = connection
        self.externals: dict[int, ExternalIdRow | None] = {}
        self.refs: dict[tuple[EntityKind, str], RecordRow] = {}

    def load_externals(self, record_ids: Iterable[int]) -> None:
        missing = [i for i in set(record_ids) if i not in self.externals]
        if missing:
            found = outbox.external_rows(self.session, self.connection.id, missing)
            self.externals.update({i: found.get(i) for i in missing})

    def external(self, record_id: int) -> ExternalIdRow | None:
        self.load_externals([record_id])
        return self.externals[record_id]

    def load_refs(self, wanted: dict[EntityKind, set[str]]) -> None:
        for ref_kind, ids in wanted.items():
            found = find_records(self.session, self.connection.shop_id, ref_kind.value, ids)
            self.refs.update({(ref_kind, sid): rec for sid, rec in found.items()})
        self.load_externals(rec.id for rec in self.refs.values())


def prepare_many(
    session: Session,
    core: Core,
    connection: ConnectionRow,
    target: Target,
    rows: Iterable[DeliveryRow],
    now: datetime,
) -> list[Prepared]:
    """Build the :class:`Delivery` of each claimed row, in order, or settle a row here:
    superseded by a newer version, waiting for a referenced record, or a void of something
    the target never had. Reads are batched per call, not per row."""
    rows = list(rows)
    if not rows:
        return []
    # Held in locals so the identity map keeps them: session.get() below then costs no query.
    records = session.scalars(select(RecordRow).where(RecordRow.id.in_({r.record_id for r in rows}))).all()
    versions = session.scalars(
        select(RecordVersionRow).where(RecordVersionRow.id.in_({r.record_version_id for r in rows}))
    ).all()
    lookups = _Lookups(session, connection)
    lookups.load_externals(r.record_id for r in rows)
    decoded: list[tuple[DeliveryRow, RecordRow, Record]] = []
    wanted: dict[EntityKind, set[str]] = defaultdict(set)
    for row in rows:
        record_row = session.get(RecordRow, row.record_id)
        version_row = session.get(RecordVersionRow, row.record_version_id)
        assert record_row is not None and version_row is not None  # FK-guaranteed
        if (
            record_row.current_version > row.version
            and outbox.newest_version_queued(session, connection.id, row.record_id) > row.version
        ):
            _finish(row, outbox.SUPERSEDED, now)
            continue
        try:
            record = load_record(row.kind, version_row.payload)
        except RecordValidationError as exc:
            # Stored under older rules; a person must re-send it (never crash the worker over it).
            _settle(session, core, connection, row, record_row, f"stored record: {exc}", now)
            continue
        decoded.append((row, record_row, record))
        for field_name, ref_kind in REFERENCES[record.kind].items():
            ref_id = getattr(record, field_name, "")
            if ref_id and ref_kind in target.entities:
                wanted[ref_kind].add(ref_id)
    lookups.load_refs(wanted)
    del records, versions
    prepared = []
    for row, record_row, record in decoded:
        item = _prepare_one(session, core, connection, target, row, record_row, record, lookups, now)
        if item is not None:
            prepared.append(item)
    return prepared


def _prepare_one(
    session: Session,
    core: Core,
    connection: ConnectionRow,
    target: Target,
    row: DeliveryRow,
    record_row: RecordRow,
    record: Record,
    lookups: _Lookups,
    now: datetime,
) -> Prepared | None:
    references: dict[str, ExternalRef] = {}
    for field_name, ref_kind in REFERENCES[record.kind].items():
        ref_id = getattr(record, field_name, "")
        if not ref_id or ref_kind not in target.entities:
            continue
        ref_row = lookups.refs.get((ref_kind, ref_id))
        if ref_row is None:
            reason = f"{field_name}: {ref_kind.value} {ref_id!r} was never received"
            _settle(session, core, connection, row, record_row, reason, now)
            return None
        ref_external = lookups.external(ref_row.id)
        if ref_external is None:
            # The dependency has not reached the target: wait for it (never send broken), and
            # make sure it is on its way (it may predate a "forward" connection).
            if not outbox.has_delivery(session, connection.id, ref_row.id):
                enqueue_current(session, connection, target, ref_row, now)
            _release(row, outbox.WAITING)
            row.waiting_on_record_id = ref_row.id
            row.attempts = max(0, row.attempts - 1)
            return None
        references[field_name] = ExternalRef(ref_external.target_id, dict(ref_external.data))
    external_row = lookups.external(row.record_id)
    external = None if external_row is None else ExternalRef(external_row.target_id, dict(external_row.data))
    if is_void(record):
        action = Action.VOID
        if external is None:
            _finish(row, outbox.DELIVERED, now)
            _log(
                session,
                connection,
                row,
                record_row.source_id,
                Action.VOID,
                "delivered",
                now,
                error="nothing to void: the record never reached the target",
            )
            return None
    else:
        action = Action.UPDATE if external is not None else Action.CREATE
    row.action = action.value
    delivery = Delivery(
        id=row.id,
        connection_id=connection.id,
        kind=record.kind,
        record=record,
        version=row.version,
        action=action,
        idempotency_key=row.idempotency_key,
        external=external,
        references=references,
        attempt=row.attempts,
        backfill=row.backfill,
    )
    return Prepared(delivery, row, record_row.source_id)


def apply_outcome(
    session: Session,
    core: Core,
    connection: ConnectionRow,
    row: DeliveryRow,
    action: Action,
    outcome: Outcome,
    *,
    duration_ms: int = 0,
    secrets: Iterable[str] = (),
    now: datetime,
    source_id: str | None = None,
    externals: Mapping[int, ExternalIdRow] | None = None,
) -> str:
    """Record *outcome* for the delivery *row*: external ids, retries, needs-attention, the
    connection's status and one log row. Returns the outcome's name as logged.

    *externals* (record id → row, prefetched for a batch) saves a query per outcome."""
    # Writes wait for the commit: one flush for a whole batch of outcomes, not two per outcome.
    with session.no_autoflush:
        return _apply(
            session, core, connection, row, action, outcome, duration_ms, secrets, now, source_id, externals
        )


def _apply(
    session: Session,
    core: Core,
    connection: ConnectionRow,
    row: DeliveryRow,
    action: Action,
    outcome: Outcome,
    duration_ms: int,
    secrets: Iterable[str],
    now: datetime,
    source_id: str | None,
    externals: Mapping[int, ExternalIdRow] | None,
) -> str:
    if source_id is None:
        record_row = session.get(RecordRow, row.record_id)
        assert record_row is not None
        source_id = record_row.source_id
    if isinstance(outcome, DeliveryResult):
        if externals is None:
            existing = outbox.external_row(session, connection.id, row.record_id)
        else:
            existing = externals.get(row.record_id)
        if existing is None or existing.version <= row.version:
            outbox.save_external(
                session,
                existing,
                connection_id=connection.id,
                record_id=row.record_id,
                target_id=outcome.target_id or (existing.target_id if existing else ""),
                data=dict(outcome.data) or (dict(existing.data) if existing else {}),
                version=row.version,
                voided=action is Action.VOID,
                now=now,
            )
        outbox.unblock(session, connection.id, row.record_id, now)
        # Attribute changes after the last query: one UPDATE per row at commit.
        if row.status in outbox.OPEN_STATUSES:
            if row.backfill:
                connection.backfill_done += 1
            _finish(row, outbox.DELIVERED, now)
            row.warnings = list(outcome.warnings)
            row.last_error = ""
        connection.last_sync_at = now
        _log(
            session,
            connection,
            row,
            source_id,
            action,
            "delivered",
            now,
            duration_ms=duration_ms,
            target_id=outcome.target_id or "",
            error="; ".join(outcome.warnings),
        )
        return "delivered"
    if row.status not in outbox.OPEN_STATUSES:
        return "ignored"  # settled meanwhile (a person skipped it); keep that decision
    text = redact(_describe(connection.target_name, outcome), secrets)
    if isinstance(outcome, FatalConnectionError):
        connection.status = conn_repo.DISCONNECTED
        connection.status_reason = text
        _release(row, outbox.PENDING)
        row.attempts = max(0, row.attempts - 1)
        name = "fatal"
    elif isinstance(outcome, RetryableError) and row.attempts < core.config.max_attempts:
        delay = retry_delay(
            row.attempts,
            base=core.config.retry_base_seconds,
            cap=core.config.retry_cap_seconds,
            retry_after=outcome.retry_after,
        )
        _release(row, outbox.PENDING)
        row.next_attempt_at = now + timedelta(seconds=delay)
        name = "retry"
    else:
        if isinstance(outcome, RetryableError):
            text = f"gave up after {row.attempts} attempts: {text}"
        _release(row, outbox.NEEDS_ATTENTION)
        name = "needs_attention" if isinstance(outcome, DeliveryError) else "error"
    row.last_error = text
    _log(session, connection, row, source_id, action, name, now, duration_ms=duration_ms, error=text)
    return name


def _describe(target_name: str, exc: BaseException) -> str:
    if isinstance(exc, DeliveryError):
        return exc.message
    # Not one of the hub's errors: a bug in the plugin; say whose.
    return f"plugin {target_name!r} failed: {type(exc).__name__}: {exc}"


def _settle(
    session: Session,
    core: Core,
    connection: ConnectionRow,
    row: DeliveryRow,
    record_row: RecordRow,
    reason: str,
    now: datetime,
) -> None:
    """Stop a delivery that cannot even be prepared; a person reads *reason*."""
    apply_outcome(
        session,
        core,
        connection,
        row,
        Action.CREATE,
        NeedsAttentionError(reason),
        now=now,
        source_id=record_row.source_id,
    )


def _release(row: DeliveryRow, status: str) -> None:
    row.status = status
    row.claimed_by = None
    row.lease_expires_at = None


def _finish(row: DeliveryRow, status: str, now: datetime) -> None:
    _release(row, status)
    row.finished_at = now
    row.waiting_on_record_id = None


def release_claims(rows: Iterable[DeliveryRow]) -> None:
    """Hand claimed deliveries back untouched (the connection stopped before they went)."""
    for row in rows:
        if row.status == outbox.CLAIMED:
            _release(row, outbox.PENDING)
            row.attempts = max(0, row.attempts - 1)


def _log(
    session: Session,
    connection: ConnectionRow,
    row: DeliveryRow,
    source_id: str,
    action: Action,
    outcome: str,
    now: datetime,
    *,
    duration_ms: int = 0,
    target_id: str = "",
    error: str = "",
) -> None:
    logs.add_entry(
        session,
        at=now,
        connection_id=connection.id,
        plugin=connection.target_name,
        shop_id=connection.shop_id,
        record_kind=row.kind,
        source_id=source_id,
        version=row.version,
        delivery_id=row.id,
        action=action.value,
        outcome=outcome,
        attempt=max(1, row.attempts),
        duration_ms=duration_ms,
        target_id=target_id,
        error=error,
    )
