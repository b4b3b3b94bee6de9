"""Turning a claimed delivery into a :class:`Delivery`, and recording what came of it.

The engine (push targets) and :class:`~hub.sync.services.Services` (pull targets) both use these
two functions, so an outcome means the same thing however the record travelled.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

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
from hub.storage.models import ConnectionRow, DeliveryRow, RecordRow, RecordVersionRow
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


def prepare(
    session: Session, core: Core, connection: ConnectionRow, target: Target, row: DeliveryRow, now: datetime
) -> Prepared | None:
    """Build the :class:`Delivery` for a claimed *row*, or settle it here and return ``None``:
    superseded by a newer version, waiting for a referenced record, or a void of something
    the target never had."""
    if outbox.newest_version_queued(session, connection.id, row.record_id) > row.version:
        _finish(row, outbox.SUPERSEDED, now)
        return None
    record_row = session.get(RecordRow, row.record_id)
    version_row = session.get(RecordVersionRow, row.record_version_id)
    assert record_row is not None and version_row is not None  # FK-guaranteed
    kind = EntityKind(row.kind)
    try:
        record = load_record(kind, version_row.payload)
    except RecordValidationError as exc:
        # Stored under older rules; a person must re-send it (never crash the worker over it).
        _needs_attention(
            session, core, connection, row, record_row, Action.CREATE, now, f"stored record: {exc}"
        )
        return None
    references: dict[str, ExternalRef] = {}
    for field_name, ref_kind in REFERENCES[kind].items():
        ref_id = getattr(record, field_name, "")
        if not ref_id or ref_kind not in target.entities:
            continue
        ref_row = find_records(session, connection.shop_id, ref_kind.value, [ref_id]).get(ref_id)
        if ref_row is None:
            _needs_attention(
                session,
                core,
                connection,
                row,
                record_row,
                Action.CREATE,
                now,
                f"{field_name}: {ref_kind.value} {ref_id!r} was never received",
            )
            return None
        ref_external = outbox.external_row(session, connection.id, ref_row.id)
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
    external_row = outbox.external_row(session, connection.id, row.record_id)
    external = None if external_row is None else ExternalRef(external_row.target_id, dict(external_row.data))
    if is_void(record):
        action = Action.VOID
        if external is None:
            _finish(row, outbox.DELIVERED, now)
            _log(
                session,
                connection,
                row,
                record_row,
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
        kind=kind,
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
) -> str:
    """Record *outcome* for the delivery *row*: external ids, retries, needs-attention, the
    connection's status and one log row. Returns the outcome's name as logged."""
    record_row = session.get(RecordRow, row.record_id)
    assert record_row is not None
    if isinstance(outcome, DeliveryResult):
        existing = outbox.external_row(session, connection.id, row.record_id)
        if existing is None or existing.version <= row.version:
            outbox.save_external(
                session,
                connection_id=connection.id,
                record_id=row.record_id,
                target_id=outcome.target_id or (existing.target_id if existing else ""),
                data=dict(outcome.data) or (dict(existing.data) if existing else {}),
                version=row.version,
                voided=action is Action.VOID,
                now=now,
            )
        if row.status in outbox.OPEN_STATUSES:
            if row.backfill:
                connection.backfill_done += 1
            _finish(row, outbox.DELIVERED, now)
            row.warnings = list(outcome.warnings)
            row.last_error = ""
        outbox.unblock(session, connection.id, row.record_id, now)
        connection.last_sync_at = now
        _log(
            session,
            connection,
            row,
            record_row,
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
        row.last_error = text
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
        row.last_error = text
        name = "retry"
    else:
        if isinstance(outcome, RetryableError):
            text = f"gave up after {row.attempts} attempts: {text}"
        _release(row, outbox.NEEDS_ATTENTION)
        row.last_error = text
        name = "needs_attention" if isinstance(outcome, DeliveryError) else "error"
    _log(session, connection, row, record_row, action, name, now, duration_ms=duration_ms, error=text)
    return name


def _describe(target_name: str, exc: BaseException) -> str:
    if isinstance(exc, DeliveryError):
        return exc.message
    # Not one of the hub's errors: a bug in the plugin; say whose.
    return f"plugin {target_name!r} failed: {type(exc).__name__}: {exc}"


def _needs_attention(
    session: Session,
    core: Core,
    connection: ConnectionRow,
    row: DeliveryRow,
    record_row: RecordRow,
    action: Action,
    now: datetime,
    reason: str,
) -> None:
    apply_outcome(session, core, connection, row, action, NeedsAttentionError(reason), now=now)


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
    record_row: RecordRow,
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
        source_id=record_row.source_id,
        version=row.version,
        delivery_id=row.id,
        action=action.value,
        outcome=outcome,
        attempt=max(1, row.attempts),
        duration_ms=duration_ms,
        target_id=target_id,
        error=error,
    )
