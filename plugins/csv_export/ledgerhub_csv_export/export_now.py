""""Export now": write what is waiting for one connection at once, without the worker.

``HubServices`` has no "sync this connection"; it has ``claim`` and ``complete``, the calls a
pull target's client uses, and they work for any connection. So this claims the due deliveries
batch by batch, writes them with the target's own ``deliver_many`` (one run, one summary) and
records each outcome exactly as the engine would. The folder's lock and manifest keep it safe
next to a worker writing the same folder: a version is written once whoever gets it first.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from hub.errors import DeliveryError, RetryableError
from hub.plugin.target import ConnectionContext, Delivery, DeliveryResult, HubServices
from ledgerhub_csv_export.target import CsvExportTarget

#: A click should answer within a browser's patience; what is left goes with the next sync.
TIME_BUDGET_SECONDS = 20.0


@dataclass
class ExportNowReport:
    """What one "export now" did."""

    written: int = 0
    not_written: int = 0
    left: int = 0
    error: str = ""


def _deliver(target: CsvExportTarget, ctx: ConnectionContext,
             deliveries: list[Delivery]) -> list[DeliveryResult | DeliveryError]:
    try:
        return target.deliver_many(ctx, deliveries)
    except DeliveryError as exc:  # the folder could not be written: every delivery gets it
        return [exc] * len(deliveries)
    except Exception as exc:  # noqa: BLE001 - recorded as retryable, as the engine would
        return [RetryableError(f"CSV export failed: {exc!r}")] * len(deliveries)


def export_pending(services: HubServices, target: CsvExportTarget, ctx: ConnectionContext,
                   budget: float = TIME_BUDGET_SECONDS) -> ExportNowReport:
    """Write the connection's due deliveries now (up to *budget* seconds' worth)."""
    report = ExportNowReport()
    deadline = time.monotonic() + budget
    try:
        target.begin_batch(ctx)
    except DeliveryError as exc:  # the folder cannot be opened: nothing is claimed
        report.error = exc.message
        report.left = services.pending_count(ctx)
        return report
    try:
        while time.monotonic() < deadline:
            # Failed deliveries get the hub's backoff, so they are not claimed again here.
            deliveries = services.claim(ctx, target.batch_size)
            if not deliveries:
                break
            for delivery, outcome in zip(deliveries, _deliver(target, ctx, deliveries), strict=True):
                services.complete(ctx, delivery.id, outcome)
                if isinstance(outcome, DeliveryResult):
                    report.written += 1
                else:
                    report.not_written += 1
                    report.error = report.error or outcome.message
    finally:
        target.end_batch(ctx)
    report.left = services.pending_count(ctx)
    return report
