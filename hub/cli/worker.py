"""The in-process worker: run the sync engine over every active connection, again and again."""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from hub.sync.runtime import Hub

log = logging.getLogger("ledgerhub.worker")

CELERY_APP = "hub.workers.celery_app"
INSTANCE_ENV = "LEDGERHUB_INSTANCE"


def celery_worker_command(
    *, beat: bool = False, concurrency: int | None = None, loglevel: str = "INFO"
) -> list[str]:
    """The command line of a Celery worker for the hub (``--beat``: with the scheduler
    embedded, for a deployment with exactly one worker machine)."""
    argv = [sys.executable, "-m", "celery", "-A", CELERY_APP, "worker", "--loglevel", loglevel]
    if concurrency is not None:
        argv += ["--concurrency", str(concurrency)]
    if beat:
        argv.append("--beat")
    return argv


def celery_environment(instance: Path | None, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The worker's environment: this one, with ``--instance`` passed on as the variable the
    Celery worker's configuration reads."""
    env = dict(os.environ if base is None else base)
    if instance is not None:
        env[INSTANCE_ENV] = str(instance)
    return env


def exec_celery(argv: list[str], env: Mapping[str, str]) -> NoReturn:
    """Replace this process with the Celery worker (signals then reach Celery directly)."""
    os.execve(argv[0], argv, dict(env))  # noqa: S606 - a fixed argv of our own, no shell involved


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
