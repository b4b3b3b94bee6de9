"""Recording what came of a delivery: external ids, retries with backoff, needs-attention,
a fatal error's disconnect, and one log row per attempt.

The engine (push targets) and :class:`~hub.sync.services.Services` (pull targets) both call
:func:`apply_outcome`, so an outcome means the same thing however the record travelled.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from hub.domain.kinds import REFERENCES
from hub.errors import (
    DeliveryError,
    FatalConnectionError,
    NeedsAttentionError,
    RetryableError,
)
from hub.plugin.target import Action, DeliveryResult
from hub.storage import connections as conn_repo
from hub.storage import logs, outbox
from hub.storage.models import ConnectionRow, DeliveryRow, ExternalIdRow, RecordRow
from hub.sync.backoff import retry_delay
from hub.sync.context import redact
from hub.sync.core import Core

Outcome = DeliveryResult | BaseException
_REFERENCED_KINDS = frozenset(kind.value for refs in REFERENCES.values() for kind in refs.values())
"""Kinds another kind references: only their deliveries can have others waiting on them."""


@dataclass
class OutcomeBatch:
    """The inserts and releases a batch of outcomes shares, written by :meth:`write` in a few
    statements (in the same transaction) instead of a few per outcome."""

    connection_id: int
    unblocked: set[int] = field(default_factory=set)
    """Delivered records whose waiting deliveries are released."""
    log_rows: list[dict[str, Any]] = field(default_factory=list)
    new_externals: dict[int, dict[str, Any]] = field(default_factory=dict)
    """External ids of records delivered for the first time, by record id."""

    def write(self, session: Session, now: datetime) -> None:
        """Insert the external ids and log rows, release the waiters; then start empty."""
        outbox.insert_externals(session, list(self.new_externals.values()))
        logs.add_entries(session, self.log_rows)
        if self.unblocked:
            outbox.unblock_many(session, self.connection_id, self.unblocked, now)
        self.unblocked, self.log_rows, self.new_externals = set(), [], {}


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
    batch: OutcomeBatch | None = None,
) -> str:
    """Record *outcome* for the delivery *row*: external ids, retries, needs-attention, the
    connection's status and one log row. Returns the outcome's name as logged.

    *externals* (record id → row, prefetched for a batch) saves a query per outcome. With
    *batch*, the inserts and the release of waiting deliveries are collected there for the
    caller's :meth:`OutcomeBatch.write` (before its commit)."""
    # Writes wait for the commit: one flush for a whole batch of outcomes, not two per outcome.
    with session.no_autoflush:
        return _apply(
            session,
            core,
            connection,
            row,
            action,
            outcome,
            duration_ms,
            secrets,
            now,
            source_id,
            externals,
            batch,
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
    batch: OutcomeBatch | None,
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
        if existing is None and batch is not None:
            first = batch.new_externals.get(row.record_id)
            if first is None or first["version"] <= row.version:
                batch.new_externals[row.record_id] = outbox.external_values(
                    connection_id=connection.id,
                    record_id=row.record_id,
                    target_id=outcome.target_id or (first["target_id"] if first else ""),
                    data=dict(outcome.data) or (dict(first["data"]) if first else {}),
                    version=row.version,
                    voided=action is Action.VOID,
                    now=now,
                )
        elif existing is None or existing.version <= row.version:
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
        if row.kind in _REFERENCED_KINDS:  # nothing waits on a payment: no statement for it
            if batch is None:
                outbox.unblock(session, connection.id, row.record_id, now)
            else:
                batch.unblocked.add(row.record_id)
        # Attribute changes after the last query: one UPDATE per row at commit.
        if row.status in outbox.OPEN_STATUSES:
            if row.backfill:
                connection.backfill_done += 1
            finish(row, outbox.DELIVERED, now)
            row.warnings = list(outcome.warnings)
            row.last_error = ""
        connection.last_sync_at = now
        log_attempt(
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
            batch=batch,
        )
        return "delivered"
    if row.status not in outbox.OPEN_STATUSES:
        return "ignored"  # settled meanwhile (a person skipped it); keep that decision
    text = redact(_describe(connection.target_name, outcome), secrets)
    if isinstance(outcome, FatalConnectionError):
        connection.status = conn_repo.DISCONNECTED
        connection.status_reason = text
        release(row, outbox.PENDING)
        row.attempts = max(0, row.attempts - 1)
        name = "fatal"
    elif isinstance(outcome, RetryableError) and row.attempts < core.config.max_attempts:
        delay = retry_delay(
            row.attempts,
            base=core.config.retry_base_seconds,
            cap=core.config.retry_cap_seconds,
            retry_after=outcome.retry_after,
        )
        release(row, outbox.PENDING)
        row.next_attempt_at = now + timedelta(seconds=delay)
        name = "retry"
    else:
        if isinstance(outcome, RetryableError):
            text = f"gave up after {row.attempts} attempts: {text}"
        release(row, outbox.NEEDS_ATTENTION)
        name = "needs_attention" if isinstance(outcome, DeliveryError) else "error"
    row.last_error = text
    log_attempt(
        session,
        connection,
        row,
        source_id,
        action,
        name,
        now,
        duration_ms=duration_ms,
        error=text,
        batch=batch,
    )
    return name


def _describe(target_name: str, exc: BaseException) -> str:
    if isinstance(exc, DeliveryError):
        return exc.message
    # Not one of the hub's errors: a bug in the plugin; say whose.
    return f"plugin {target_name!r} failed: {type(exc).__name__}: {exc}"


def settle(
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


def release(row: DeliveryRow, status: str) -> None:
    """Put *row* in *status* and drop its claim."""
    row.status = status
    row.claimed_by = None
    row.lease_expires_at = None


def finish(row: DeliveryRow, status: str, now: datetime) -> None:
    """Settle *row* for good in *status* (delivered, superseded…)."""
    release(row, status)
    row.finished_at = now
    row.waiting_on_record_id = None


def release_claims(rows: Iterable[DeliveryRow]) -> None:
    """Hand claimed deliveries back untouched (the connection stopped before they went)."""
    for row in rows:
        if row.status == outbox.CLAIMED:
            release(row, outbox.PENDING)
            row.attempts = max(0, row.attempts - 1)


def log_attempt(
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
    batch: OutcomeBatch | None = None,
) -> None:
    """Append one row to the per-plugin delivery log (to *batch*'s rows if given)."""
    values: dict[str, Any] = dict(
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
    if batch is None:
        logs.add_entry(session, **values)
    else:
        batch.log_rows.append(values)
