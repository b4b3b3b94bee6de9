"""The in-process worker: run the sync engine over every active connection, again and again."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hub.sync.runtime import Hub

log = logging.getLogger("ledgerhub.worker")


def run_worker(hub: Hub, stop: threading.Event, interval: float, *, once: bool = False) -> int:
    """Sync until *stop* is set (or one pass with *once*), waiting *interval* seconds between
    idle passes. A failing pass is logged and retried; returns how many deliveries went out."""
    delivered = 0
    while not stop.is_set():
        try:
            report = hub.sync()
            delivered += report.delivered
            if report.delivered or report.needs_attention or report.disconnected:
                log.info(
                    "synced: %d delivered, %d retrying, %d need attention",
                    report.delivered,
                    report.retried,
                    report.needs_attention,
                )
        except Exception:  # noqa: BLE001 - the worker must outlive one bad pass
            log.exception("sync pass failed; trying again in %.0f s", interval)
        if once:
            break
        stop.wait(interval)
    return delivered


def start_worker_thread(hub: Hub, interval: float) -> tuple[threading.Thread, threading.Event]:
    """Run :func:`run_worker` in a daemon thread; set the returned event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=run_worker, args=(hub, stop, interval), name="ledgerhub-worker", daemon=True
    )
    thread.start()
    return thread, stop
