"""Real Celery workers and beat over PostgreSQL and Redis, syncing many shops to the fake target.

Nothing is mocked: the workers are ``celery worker`` subprocesses, the scheduler is ``celery
beat``, the broker and the shared limiter are Redis, the hub's database is PostgreSQL. The
fake target records every delivery by idempotency key and every call with its process id, so
duplicates, losses and two workers on one realm show up in its tables.
"""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from hub.ratelimit import RateLimits, RedisRateLimiter
from hub.workers.local import LocalCluster

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.xdist_group("scale")]

LEASE_SECONDS = 3.0  # as in the scale_core fixture


def cluster_env(db_url: str, redis_url: str, secret: str, queue: str, tmp_path: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": db_url, "BROKER_URL": redis_url, "LEDGERHUB_SECRET_KEY": secret,
        "LEDGERHUB_INSTANCE": str(tmp_path / "instance"), "LEDGERHUB_QUEUE": queue,
        "LEDGERHUB_WORKER_PLUGINS": "hub.workers.fake_target",
        "LEDGERHUB_DISPATCH_INTERVAL": "0.3", "LEDGERHUB_TASK_BUDGET": "0.5",
        "LEDGERHUB_BATCH_LIMIT": "20", "LEDGERHUB_LEASE_SECONDS": str(LEASE_SECONDS),
        "LEDGERHUB_RATELIMIT_PREFIX": f"{queue}:ratelimit", "LEDGERHUB_RATELIMIT_TIME_SCALE": "30",
    }


def wait_until_synced(db_url: str, cluster: LocalCluster, timeout: float) -> None:
    engine = create_engine(db_url)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                open_count = conn.scalar(text(
                    "SELECT count(*) FROM deliveries WHERE status NOT IN ('delivered', 'superseded')"))
            if open_count == 0:
                return
            time.sleep(0.3)
        pytest.fail(f"{open_count} deliveries still open after {timeout}s\n{cluster.logs()}")
    finally:
        engine.dispose()


def fetch(db_url: str, sql: str) -> list[tuple]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]
    finally:
        engine.dispose()


def sent_keys(db_url: str) -> set[str]:
    """The keys of every delivery that had to reach the target: all of them but the voids of
    records the target never had, which the engine settles without a call (checked here)."""
    keys = dict(fetch(db_url, "SELECT d.idempotency_key, e.id FROM deliveries d LEFT JOIN external_ids e "
                              "ON e.connection_id = d.connection_id AND e.record_id = d.record_id"))
    unsent = [k for k, external in keys.items() if external is None]
    if unsent:
        actions = fetch(db_url, "SELECT DISTINCT l.action FROM delivery_log l JOIN deliveries d "
                                "ON d.id = l.delivery_id WHERE d.idempotency_key IN ("
                                + ",".join(f"'{k}'" for k in unsent) + ")")
        assert actions == [("void",)], f"deliveries settled without reaching the target: {actions}"
    return {k for k, external in keys.items() if external is not None}


def overlapping_calls(db_url: str) -> list[tuple]:
    """Pairs of calls to one connection by two processes whose time spans overlap."""
    calls = defaultdict(list)
    rows = fetch(db_url, "SELECT connection_id, pid, started, ended FROM fake_calls")
    for cid, pid, started, ended in rows:
        calls[cid].append((started, ended, pid))
    clashes = []
    for cid, spans in calls.items():
        spans.sort()
        for (s1, e1, p1), (s2, _e2, p2) in zip(spans, spans[1:], strict=False):
            if p1 != p2 and s2 < e1:
                clashes.append((cid, p1, p2, s1, e1, s2))
    return clashes


@pytest.fixture
def cluster(scale_core, pg_url: str, redis_url: str, celery_queue: str, tmp_path: Path):
    env = cluster_env(pg_url, redis_url, scale_core.config.secret_key, celery_queue, tmp_path)
    cluster = LocalCluster(env, tmp_path / "logs")
    yield cluster
    cluster.stop()


def test_several_workers_sync_many_shops_without_duplicates_or_losses(cluster, seed_shops, pg_url: str,
                                                                      redis_url: str) -> None:
    connections = seed_shops(12, 6, latency_ms=5)
    expected = fetch(pg_url, "SELECT idempotency_key FROM deliveries WHERE status = 'pending'")
    assert len(expected) > 12 * 20
    cluster.start_workers(3)
    cluster.start_beat()
    wait_until_synced(pg_url, cluster, timeout=120)

    effects = dict(fetch(pg_url, "SELECT idempotency_key, attempts FROM fake_effects"))
    assert set(effects) == sent_keys(pg_url), "a delivery was lost or invented"
    assert [k for k, attempts in effects.items() if attempts != 1] == [], "a delivery went twice"
    statuses = fetch(pg_url, "SELECT status, count(*) FROM deliveries GROUP BY status")
    assert dict(statuses) == {"delivered": len(expected)}
    assert overlapping_calls(pg_url) == [], "two workers called one shop's target at once"

    worked = fetch(pg_url, "SELECT DISTINCT pid FROM fake_calls")
    assert len(worked) >= 2, "the shops were not spread over the workers"
    per_shop = fetch(pg_url, "SELECT connection_id, count(*) FROM fake_effects GROUP BY connection_id")
    assert {cid for cid, _n in per_shop} == set(connections)

    limiter = RedisRateLimiter.from_url(redis_url, RateLimits(),
                                        prefix=cluster.env["LEDGERHUB_RATELIMIT_PREFIX"])
    calls = fetch(pg_url, "SELECT count(*) FROM fake_calls")[0][0]
    assert limiter.shared_stats().acquired == calls


def test_a_worker_killed_mid_batch_loses_its_lease_to_another(cluster, seed_shops, pg_url: str) -> None:
    seed_shops(3, 10, latency_ms=60)
    cluster.start_workers(2)
    cluster.start_beat()

    # Wait for a worker to be inside a batch: it holds a lease and has made a call.
    deadline = time.monotonic() + 60
    victim = None
    while victim is None and time.monotonic() < deadline:
        held = fetch(pg_url, "SELECT id, lease_owner FROM connections WHERE lease_owner IS NOT NULL")
        started = {cid for (cid,) in fetch(pg_url, "SELECT DISTINCT connection_id FROM fake_calls")}
        for cid, owner in held:
            pid = int(owner.split(":")[1])
            if cid in started and pid in cluster.alive():
                victim = (cid, pid)
                break
        time.sleep(0.05)
    assert victim is not None, cluster.logs()
    victim_connection, victim_pid = victim
    cluster.kill(victim_pid)
    killed_at = time.time()

    wait_until_synced(pg_url, cluster, timeout=120)

    effects = dict(fetch(pg_url, "SELECT idempotency_key, attempts FROM fake_effects"))
    assert set(effects) == sent_keys(pg_url), "a delivery was lost"
    # Only the batch in flight when the worker died may have been sent again, with its same key.
    resent = fetch(pg_url, "SELECT connection_id, attempts FROM fake_effects WHERE attempts > 1")
    assert all(cid == victim_connection and attempts == 2 for cid, attempts in resent), resent
    after = fetch(pg_url, f"SELECT DISTINCT pid FROM fake_calls WHERE connection_id = {victim_connection} "
                          f"AND started > {killed_at}")
    assert after and victim_pid not in {pid for (pid,) in after}, "nobody took the connection over"
    first_after = fetch(pg_url, f"SELECT min(started) FROM fake_calls WHERE connection_id = "
                                f"{victim_connection} AND started > {killed_at}")[0][0]
    # The take-over waited for the dead worker's lease to run out, not less.
    assert first_after - killed_at >= LEASE_SECONDS * 0.8
    assert overlapping_calls(pg_url) == []
