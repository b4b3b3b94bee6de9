"""The Celery tasks: work one connection, and dispatch every connection with due work."""

from __future__ import annotations

import logging
from typing import Any

from hub.workers.celery_app import app
from hub.workers.dispatch import due_connection_ids
from hub.workers.runtime import redis_client, worker_core, worker_settings
from hub.workers.work import work_connection

log = logging.getLogger("ledgerhub.workers")


def queued_key(connection_id: int) -> str:
    """The Redis key that says a task for the connection is already in the queue."""
    return f"{worker_settings().queue}:queued:{connection_id}"


def _marker_ttl() -> int:
    # Long enough to cover a backlog, short enough that a lost message is re-sent soon.
    settings = worker_settings()
    return max(30, int(settings.dispatch_interval * 12))


def enqueue(connection_id: int) -> bool:
    """Send a task for the connection unless one is already queued; True if sent."""
    if not redis_client().set(queued_key(connection_id), 1, nx=True, ex=_marker_ttl()):
        return False
    sync_connection.delay(connection_id)
    return True


@app.task(name="ledgerhub.sync_connection")
def sync_connection(connection_id: int) -> dict[str, Any]:
    """Work one connection under its lease until idle or the task budget is spent; when work
    is left, queue the connection again (behind the others, so every shop gets its turn)."""
    redis_client().delete(queued_key(connection_id))
    settings = worker_settings()
    report = work_connection(
        worker_core(),
        connection_id,
        batch_limit=settings.batch_limit,
        budget=settings.task_budget,
    )
    if report.stopped == "budget":
        enqueue(connection_id)
    log.info(
        "connection %s: %s after %d batches, %d attempted",
        connection_id,
        report.stopped,
        report.batches,
        report.attempted,
    )
    return {
        "connection_id": connection_id,
        "stopped": report.stopped,
        "batches": report.batches,
        "attempted": report.attempted,
    }


@app.task(name="ledgerhub.dispatch_due")
def dispatch_due() -> int:
    """Queue one task per connection that has due work and no live lease; how many were sent."""
    core = worker_core()
    with core.session_factory() as session:
        ids = due_connection_ids(session, core.now())
    return sum(enqueue(connection_id) for connection_id in ids)
