"""Work one connection under its lease: the body of the Celery task, free of Celery.

Exactly one worker at a time works a connection, so one QuickBooks realm is never called by
two workers at once. The lease is a row in ``connections`` (owner + expiry) taken with one
atomic UPDATE by :func:`hub.sync.engine.run_batch` for each batch and renewed between the
target calls of a batch; if the worker dies, the lease runs out and another worker takes the
connection over. Deliveries the dead worker had claimed come back
on their own lease expiry, with the same idempotency key.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hub.sync.engine import run_batch

if TYPE_CHECKING:
    from hub.sync.core import Core


@dataclass(slots=True)
class WorkReport:
    """What one task did with one connection.

    ``stopped``: ``"idle"`` (nothing more due), ``"budget"`` (time is up, more may be due),
    ``"busy"`` (another worker holds the lease).
    """

    connection_id: int
    stopped: str
    batches: int = 0
    attempted: int = 0


def work_connection(
    core: Core,
    connection_id: int,
    *,
    batch_limit: int = 0,
    budget: float = 60.0,
    clock: Callable[[], float] = time.monotonic,
) -> WorkReport:
    """Run engine batches on the connection until nothing moves, another worker holds its
    lease, or *budget* seconds have passed. Each batch takes and gives back the lease itself."""
    report = WorkReport(connection_id, "idle")
    started = clock()
    while True:
        batch = run_batch(core, connection_id, batch_limit or None)
        if batch.busy:
            report.stopped = "busy" if report.batches == 0 else report.stopped
            break
        report.batches += 1
        report.attempted += batch.claimed
        if not batch.progressed or batch.fatal:
            break
        if clock() - started >= budget:
            report.stopped = "budget"
            break
    return report
