"""The scheduler's query and the task body, in process, on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from hub.errors import ConfigurationError
from hub.storage import connections as connection_store
from hub.storage.models import ConnectionRow, DeliveryRow
from hub.workers.dispatch import due_connection_ids
from hub.workers.settings import WorkerSettings
from hub.workers.work import work_connection

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("scale")]


def due_now(core) -> list[int]:
    with core.session_factory() as session:
        return due_connection_ids(session, core.now())


def test_only_connections_with_due_work_and_no_live_lease_are_dispatched(scale_core, seed_shops) -> None:
    core = scale_core
    ids = sorted(seed_shops(5, 2))
    a, b, c, d, e = ids
    now = core.now()
    with core.session_factory.begin() as session:
        assert connection_store.take_lease(session, a, "someone-else", now, 60)      # live lease
        assert connection_store.take_lease(session, b, "dead-worker", now - timedelta(hours=1), 60)  # expired
        session.execute(update(DeliveryRow).where(DeliveryRow.connection_id == c)
                        .values(next_attempt_at=now + timedelta(minutes=5)))      # retry not yet due
        session.execute(update(ConnectionRow).where(ConnectionRow.id == d).values(status="closed"))
        session.execute(update(DeliveryRow).where(DeliveryRow.connection_id == e)
                        .values(status="claimed", claimed_by="dead",
                                lease_expires_at=now - timedelta(seconds=1)))
    assert due_now(core) == sorted([b, e])


def test_work_connection_runs_batches_until_idle_and_then_nothing_is_due(scale_core, seed_shops) -> None:
    core = scale_core
    (cid,) = seed_shops(1, 8)
    report = work_connection(core, cid, batch_limit=10, budget=600)
    assert report.stopped == "idle"
    assert report.batches >= 3 and report.attempted > 20
    with core.session_factory() as session:
        statuses = set(session.scalars(select(DeliveryRow.status).where(DeliveryRow.connection_id == cid)))
    assert statuses == {"delivered"}
    assert due_now(core) == []


def test_work_connection_yields_when_its_budget_is_spent_or_the_lease_is_held(scale_core, seed_shops) -> None:
    core = scale_core
    (cid,) = seed_shops(1, 8)
    report = work_connection(core, cid, batch_limit=5, budget=0.0)
    assert (report.stopped, report.batches) == ("budget", 1)
    assert due_now(core) == [cid]  # the rest waits for the next dispatch
    with core.session_factory.begin() as session:
        connection_store.take_lease(session, cid, "other-worker", core.now(), 60)
    busy = work_connection(core, cid, batch_limit=5)
    assert (busy.stopped, busy.batches, busy.attempted) == ("busy", 0, 0)


def test_worker_settings_come_from_the_environment_and_bad_values_name_the_variable() -> None:
    settings = WorkerSettings.from_env({"BROKER_URL": "redis://127.0.0.1:6379/3", "LEDGERHUB_QUEUE": "q1",
                                        "LEDGERHUB_DISPATCH_INTERVAL": "0.5", "LEDGERHUB_BATCH_LIMIT": "0",
                                        "LEDGERHUB_WORKER_PLUGINS": "a.b, c"})
    assert (settings.broker_url, settings.queue, settings.dispatch_interval) == ("redis://127.0.0.1:6379/3",
                                                                                 "q1", 0.5)
    assert settings.worker_plugins == ("a.b", "c")
    assert WorkerSettings.from_env({}).broker_url == "redis://127.0.0.1:6379/0"
    for name, raw in [("LEDGERHUB_TASK_BUDGET", "soon"), ("LEDGERHUB_LEASE_SECONDS", "0"),
                      ("LEDGERHUB_BATCH_LIMIT", "2.5")]:
        with pytest.raises(ConfigurationError) as info:
            WorkerSettings.from_env({name: raw})
        assert name in info.value.errors and name in str(info.value)
