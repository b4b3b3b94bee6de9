"""The sync engine: one batch of deliveries for one connection, as a plain function.

The embedded worker (:meth:`hub.sync.runtime.Hub.sync`) and the Celery task call the same
:func:`run_batch`. It holds the connection's lease for the length of the batch, so exactly one
worker works a connection at a time; claimed deliveries carry their own lease, so a worker that
dies mid-batch loses nothing: its claims fall due again when the lease runs out, and the
redelivery carries the same idempotency key.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from itertools import groupby

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.errors import FatalConnectionError
from hub.plugin.target import Action, DeliveryMode, DeliveryResult, Target
from hub.storage import connections as conn_repo
from hub.storage import outbox
from hub.storage.models import ConnectionRow, DeliveryRow
from hub.sync.context import HubConnectionContext, context_for
from hub.sync.core import Core
from hub.sync.outbox import backfill_pending, backfill_step
from hub.sync.outcomes import Outcome, OutcomeBatch, apply_outcome, release_claims
from hub.sync.prepare import Prepared, prepare_many


@dataclass(kw_only=True)
class BatchReport:
    """What one batch did."""

    connection_id: int
    claimed: int = 0
    enqueued: int = 0
    """History records the backfill covered in this batch."""
    delivered: int = 0
    retried: int = 0
    needs_attention: int = 0
    fatal: bool = False
    busy: bool = False
    """Another worker holds the connection's lease."""

    @property
    def progressed(self) -> bool:
        """True if the batch moved anything (so another batch may find more to do)."""
        return bool(self.claimed or self.enqueued)


def claim_batch(
    session: Session, core: Core, connection: ConnectionRow, target: Target, limit: int, owner: str
) -> tuple[list[DeliveryRow], int]:
    """Lease up to *limit* due deliveries of *connection*; tops the queue up from the history
    backfill first when it runs low. Returns the claimed rows and the backfilled count."""
    now = core.now()
    rows = outbox.due(session, connection.id, now, limit)
    enqueued = 0
    if len(rows) < limit and backfill_pending(connection):
        enqueued = backfill_step(session, connection, target, now, core.config.backfill_chunk)
        session.flush()
        rows = outbox.due(session, connection.id, now, limit)
    return outbox.claim(session, rows, owner, now, core.config.lease_seconds), enqueued


def run_batch(core: Core, connection_id: int, limit: int | None = None) -> BatchReport:
    """Deliver one batch of *connection_id*'s due deliveries through its target."""
    report = BatchReport(connection_id=connection_id)
    owner = core.worker_id
    with core.session_factory.begin() as session:
        connection = conn_repo.connection_row(session, connection_id)
        target = core.targets.get(connection.target_name)
        if connection.status != conn_repo.ACTIVE or target is None:
            return report
        if not conn_repo.take_lease(session, connection_id, owner, core.now(), core.config.lease_seconds):
            report.busy = True
            return report
    try:
        with core.session_factory.begin() as session:
            connection = conn_repo.connection_row(session, connection_id)
            size = limit or target.batch_size
            if target.delivery_mode is DeliveryMode.PULL:
                # The remote client claims through HubServices; the engine only feeds the backfill,
                # at the client's pace (only while fewer than a batch are waiting).
                waiting = outbox.due(session, connection_id, core.now(), size)
                if backfill_pending(connection) and len(waiting) < size:
                    report.enqueued = backfill_step(
                        session, connection, target, core.now(), core.config.backfill_chunk
                    )
                return report
            rows, report.enqueued = claim_batch(session, core, connection, target, size, owner)
            report.claimed = len(rows)
            ranked = [(row.rank, row.id) for row in rows]  # claim returns them in dependency order
            ctx = context_for(core, session, connection)
        if ranked:
            _deliver_claimed(core, target, ctx, ranked, report)
    finally:
        with core.session_factory.begin() as session:
            conn_repo.release_lease(session, connection_id, owner)
    return report


def _deliver_claimed(
    core: Core, target: Target, ctx: HubConnectionContext, ranked: list[tuple[int, int]], report: BatchReport
) -> None:
    """Deliver the claimed ``(rank, id)`` pairs kind by kind, between begin and end_batch."""
    ids = [delivery_id for _, delivery_id in ranked]
    try:
        target.begin_batch(ctx)
    except Exception as exc:  # noqa: BLE001 - any plugin failure is classified, never crashes the worker
        _settle_all(core, ctx, ids, exc, report)
        return
    try:
        for _rank, group in groupby(ranked, key=lambda pair: pair[0]):
            if not _deliver_group(core, target, ctx, [delivery_id for _, delivery_id in group], report):
                _settle_all(core, ctx, ids, None, report)
                return
    finally:
        try:
            target.end_batch(ctx)
        except Exception:  # noqa: BLE001
            ctx.logger.exception("end_batch failed")


def _deliver_group(
    core: Core, target: Target, ctx: HubConnectionContext, ids: list[int], report: BatchReport
) -> bool:
    """Deliver deliveries of one kind; False when the connection stopped (fatal error)."""
    with core.session_factory.begin() as session:
        connection = conn_repo.connection_row(session, ctx.connection_id)
        if not conn_repo.take_lease(
            session, connection.id, core.worker_id, core.now(), core.config.lease_seconds
        ):
            return False  # lease lost (we were too slow): leave the rest to its new holder
        rows = session.scalars(select(DeliveryRow).where(DeliveryRow.id.in_(ids)).order_by(DeliveryRow.id))
        # The action is saved with the outcome: one UPDATE per delivery fewer.
        prepared = prepare_many(session, core, connection, target, rows, core.now(), save_action=False)
    if not prepared:
        return True
    deliveries = [p.delivery for p in prepared]
    if type(target).deliver_many is Target.deliver_many:
        # One by one, each outcome committed at once: a crash re-sends at most the one in flight.
        for item in prepared:
            started = time.perf_counter()
            outcome = _call(lambda d=item.delivery: target.deliver(ctx, d))
            elapsed = int((time.perf_counter() - started) * 1000)
            if not _record(core, ctx, [(item, outcome)], elapsed, report):
                return False
        return True
    # A batch API answered for the whole group at once: its outcomes are committed together.
    started = time.perf_counter()
    result = _call(lambda: target.deliver_many(ctx, deliveries))
    each_ms = int((time.perf_counter() - started) * 1000 / len(deliveries))
    outcomes: list[Outcome] = list(result) if isinstance(result, list) else [result] * len(deliveries)
    if len(outcomes) != len(deliveries):
        mismatch = RuntimeError(f"deliver_many returned {len(outcomes)} results for {len(deliveries)}")
        outcomes = [mismatch] * len(deliveries)
    return _record(core, ctx, list(zip(prepared, outcomes, strict=True)), each_ms, report)


def _call(fn: object) -> Outcome:
    try:
        result = fn()  # type: ignore[operator]
    except Exception as exc:  # noqa: BLE001 - classified by apply_outcome
        return exc
    if isinstance(result, DeliveryResult | list):
        return result  # type: ignore[return-value]
    return TypeError(f"returned {result!r} instead of a DeliveryResult")


def _record(
    core: Core,
    ctx: HubConnectionContext,
    results: list[tuple[Prepared, Outcome]],
    duration_ms: int,
    report: BatchReport,
) -> bool:
    """Apply outcomes in one transaction; False if the connection stopped (fatal error)."""
    failed = any(not isinstance(outcome, DeliveryResult) for _, outcome in results)
    secrets = ctx.secret_strings() if failed else ()
    with core.session_factory.begin() as session:
        connection = conn_repo.connection_row(session, ctx.connection_id)
        rows = {
            row.id: row
            for row in session.scalars(
                select(DeliveryRow).where(DeliveryRow.id.in_([item.row.id for item, _ in results]))
            )
        }
        externals = outbox.external_rows(session, connection.id, [item.row.record_id for item, _ in results])
        batch = OutcomeBatch(connection.id)
        for item, outcome in results:
            row = rows[item.row.id]
            row.action = item.delivery.action.value
            name = apply_outcome(
                session,
                core,
                connection,
                row,
                item.delivery.action,
                outcome,
                source_id=item.source_id,
                externals=externals,
                batch=batch,
                duration_ms=duration_ms,
                secrets=secrets,
                now=core.now(),
            )
            _tally(report, name)
        batch.write(session, core.now())
    if any(isinstance(outcome, FatalConnectionError) for _, outcome in results):
        report.fatal = True
        ctx.logger.error("connection %s disconnected: %s", ctx.connection_id, connection.status_reason)
        return False
    return True


def _settle_all(
    core: Core, ctx: HubConnectionContext, ids: list[int], exc: BaseException | None, report: BatchReport
) -> None:
    """After begin_batch failed (*exc*) or a fatal error: settle or hand back what is claimed."""
    with core.session_factory.begin() as session:
        connection = conn_repo.connection_row(session, ctx.connection_id)
        rows = [
            r
            for r in session.scalars(select(DeliveryRow).where(DeliveryRow.id.in_(ids)))
            if r.status == outbox.CLAIMED and r.claimed_by == core.worker_id
        ]
        if exc is None:
            release_claims(rows)
            return
        if isinstance(exc, FatalConnectionError):
            report.fatal = True
        secrets = ctx.secret_strings()
        for row in rows:
            if connection.status != conn_repo.ACTIVE:
                release_claims([row])
                continue
            name = apply_outcome(
                session,
                core,
                connection,
                row,
                Action(row.action or Action.CREATE),
                exc,
                secrets=secrets,
                now=core.now(),
            )
            _tally(report, name)


def _tally(report: BatchReport, outcome_name: str) -> None:
    if outcome_name == "delivered":
        report.delivered += 1
    elif outcome_name == "retry":
        report.retried += 1
    elif outcome_name in ("needs_attention", "error"):
        report.needs_attention += 1
