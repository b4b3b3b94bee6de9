"""The Celery application: ``celery -A hub.workers.celery_app worker`` / ``beat``.

The broker is ``BROKER_URL`` (Redis). Tasks are acknowledged late and rejected when their
worker process is lost, and a worker takes one message at a time, so a long batch never sits
behind another in a prefetch buffer. A lost message is harmless: the connection lease expires
and the next dispatch enqueues the connection again.
"""

from __future__ import annotations

from celery import Celery
from celery.signals import worker_process_init

from hub.workers.settings import WorkerSettings

settings = WorkerSettings.from_env()

app = Celery("ledgerhub", broker=settings.broker_url, include=["hub.workers.tasks"])
app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    task_default_queue=settings.queue,
    broker_connection_retry_on_startup=True,
    # A message taken by a worker that died comes back after this long; the lease and the
    # dispatcher usually get there first.
    broker_transport_options={"visibility_timeout": max(60, int(settings.lease_seconds * 2))},
    beat_schedule={
        "dispatch-due-connections": {
            "task": "ledgerhub.dispatch_due",
            "schedule": settings.dispatch_interval,
            "options": {"expires": settings.dispatch_interval},
        },
    },
    timezone="UTC",
)


@worker_process_init.connect
def _forget_parent_connections(**_kwargs: object) -> None:
    """A forked pool process must not reuse the parent's database or Redis sockets."""
    from hub.workers import runtime

    runtime.reset_after_fork()
