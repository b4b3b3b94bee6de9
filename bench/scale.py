"""Scale-out benchmark: N shops x M repair orders synced by 1, 2 and 4 Celery worker processes.

    .venv/bin/python bench/scale.py                      # 200 shops x 500 repair orders
    .venv/bin/python bench/scale.py --shops 20 --repair-orders 50 --workers 1,2

Everything is real except the accounting target: PostgreSQL (the hub's database), Redis (the
broker and the shared per-realm rate limiter, QBO's limits with time scaled), ``celery worker``
and ``celery beat`` processes. The target is the fake idempotent target
(``hub.workers.fake_target``) with a simulated per-call latency; the output says so.

Shop 0's history goes through the real ingest into a template database; the other shops are
copies of it made in SQL (seconds, not an ingest per shop). The template stays for the next run
of the same size (``DROP DATABASE ledgerhub_bench_template`` to rebuild it); each worker count
syncs its own fresh copy (``CREATE DATABASE ... TEMPLATE``, dropped afterwards), so every run
starts from the same outbox. Throughput is deliveries per second from the first target call to
the last; the limiter share is the time worker processes spent waiting for a permit over the
time they worked.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
import uuid
from pathlib import Path

import redis
from cryptography.fernet import Fernet
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from hub.config import HubConfig
from hub.domain.generator import generate_history
from hub.domain.records import Shop
from hub.plugin.manager import build_plugin_manager
from hub.ratelimit import RateLimits, RedisRateLimiter
from hub.storage import tenants
from hub.storage.base import Base
from hub.storage.session import make_engine, make_session_factory, upgrade
from hub.sync import connecting
from hub.sync.core import Core
from hub.sync.ingest import ingest_records
from hub.sync.outbox import idempotency_key
from hub.workers import fake_target
from hub.workers.local import LocalCluster

ADMIN_URL = "postgresql+psycopg://root@127.0.0.1:5432/postgres"
INGEST_CHUNK = 400
TEMPLATE_SHOP = "bench-0000"
PROGRESS_EVERY = 30.0


def db_url(name: str) -> str:
    """The URL of database *name* on the benchmark's server."""
    return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def admin(sql: str) -> None:
    engine = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


def make_core(url: str, secret: str, instance: Path) -> Core:
    config = HubConfig.from_env(environ={}, database_url=url, instance_path=instance, secret_key=secret)
    host = build_plugin_manager(load_entrypoints=False,
                                extra_plugins=[("hub.workers.fake_target", fake_target)])
    return Core(config=config, session_factory=make_session_factory(make_engine(url)), host=host,
                targets=host.collect_targets())


def ingest_template_shop(core: Core, url: str, repair_orders: int, latency_ms: float) -> int:
    """Shop 0 through the real path: create, connect to the fake target, ingest its history."""
    shop = Shop(id=TEMPLATE_SHOP, name="Bench shop 0")
    with core.session_factory.begin() as session:
        tenants.add_shop(session, shop, core.now())
    connecting.connect(core, shop.id, fake_target.TARGET_NAME,
                       {"sink_url": url, "latency_ms": latency_ms, "chunk": 30}, "forward")
    records = list(generate_history(0, shop, repair_orders))
    for start in range(0, len(records), INGEST_CHUNK):
        with core.session_factory.begin() as session:
            ingest_records(session, core.targets, shop.id, records[start:start + INGEST_CHUNK], core.now())
    return len(records)


NEW_SHOP = "'bench-' || lpad(s.n::text, 4, '0')"
SAME_RECORD = "nr.shop_id <> :tpl AND nr.kind = r.kind AND nr.source_id = r.source_id"
# Per table: the columns that change in a copy (ids come from the sequences) and the FROM.
CLONES: list[tuple[str, dict[str, str], str]] = [
    ("shops", {"id": NEW_SHOP, "name": "'Bench shop ' || s.n",
               "profile": f"jsonb_set(jsonb_set(t.profile::jsonb, '{{id}}', to_jsonb({NEW_SHOP})), "
                          "'{name}', to_jsonb('Bench shop ' || s.n))::json"},
     "FROM shops t, generate_series(1, :n) AS s(n) WHERE t.id = :tpl"),
    ("connections", {"shop_id": NEW_SHOP},
     "FROM connections t, generate_series(1, :n) AS s(n) WHERE t.shop_id = :tpl"),
    ("records", {"shop_id": NEW_SHOP},
     "FROM records t, generate_series(1, :n) AS s(n) WHERE t.shop_id = :tpl"),
    ("record_versions", {"record_id": "nr.id"},
     "FROM record_versions t JOIN records r ON r.id = t.record_id AND r.shop_id = :tpl "
     f"JOIN records nr ON {SAME_RECORD}"),
    ("deliveries", {
        "connection_id": "nc.id", "record_id": "nr.id", "record_version_id": "nrv.id",
        "waiting_on_record_id": "nwr.id",
        "idempotency_key": "'lh-' || left(encode(sha256(convert_to('ledgerhub:' || nc.id || ':' || nr.id "
                           "|| ':' || t.version, 'UTF8')), 'hex'), 37)"},
     "FROM deliveries t JOIN records r ON r.id = t.record_id AND r.shop_id = :tpl "
     f"JOIN records nr ON {SAME_RECORD} JOIN connections nc ON nc.shop_id = nr.shop_id "
     "JOIN record_versions rv ON rv.id = t.record_version_id "
     "JOIN record_versions nrv ON nrv.record_id = nr.id AND nrv.version = rv.version "
     "LEFT JOIN records wr ON wr.id = t.waiting_on_record_id "
     "LEFT JOIN records nwr ON nwr.shop_id = nr.shop_id AND nwr.kind = wr.kind "
     "AND nwr.source_id = wr.source_id"),
]


def clone_template_shop(engine: Engine, copies: int) -> None:
    """Copy shop 0 (its connection, records, versions and outbox) *copies* times in SQL, so a
    200-shop history takes seconds instead of 200 ingests; then check the copies' idempotency
    keys against the engine's own formula."""
    with engine.begin() as conn:
        for table, changed, source in CLONES:
            columns = [c.name for c in Base.metadata.tables[table].columns
                       if c.name != "id" or table == "shops"]
            values = ", ".join(changed.get(c, f"t.{c}") for c in columns)
            began = time.perf_counter()
            conn.execute(text(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {values} {source}"),
                         {"n": copies, "tpl": TEMPLATE_SHOP})
            # Fresh statistics, or the planner joins the next copy against "empty" tables.
            conn.execute(text(f"ANALYZE {table}"))
            print(f"  copied {table} in {time.perf_counter() - began:.1f}s", flush=True)
        sample = conn.execute(text("SELECT connection_id, record_id, version, idempotency_key "
                                   "FROM deliveries ORDER BY id DESC LIMIT 20")).all()
    for cid, rid, version, key in sample:
        if idempotency_key(cid, rid, version) != key:
            raise SystemExit("the engine's idempotency key formula changed: update CLONES in bench/scale.py")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def _scalar(database: str, sql: str) -> object:
    """One value from *database*, or ``None`` if the database or table is missing."""
    engine = create_engine(db_url(database))
    try:
        with engine.connect() as conn:
            return conn.scalar(text(sql))
    except Exception:  # noqa: BLE001 - missing database or table
        return None
    finally:
        engine.dispose()


def build_template(name: str, shops: int, repair_orders: int, latency_ms: float, secret: str,
                   instance: Path) -> None:
    """Create and fill the template database unless one of this size exists."""
    marker = f"v2:{shops}x{repair_orders}@{latency_ms}"
    if _scalar(name, "SELECT size FROM bench_meta") == marker:
        print(f"template {name} ({marker}) reused")
        return
    admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin(f'CREATE DATABASE "{name}"')
    url = db_url(name)
    engine = make_engine(url)
    upgrade(engine)
    fake_target.create_sink_tables(engine)
    started = time.perf_counter()
    core = make_core(url, secret, instance)
    per_shop = ingest_template_shop(core, url, repair_orders, latency_ms)
    core.session_factory.kw["bind"].dispose()
    ingested = time.perf_counter()
    clone_template_shop(engine, shops - 1)
    print(f"template: shop 0 ingested in {ingested - started:.1f}s, copied in "
          f"{time.perf_counter() - ingested:.1f}s", flush=True)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE bench_meta (size VARCHAR(100), secret VARCHAR(100))"))
        conn.execute(text("INSERT INTO bench_meta VALUES (:s, :k)"), {"s": marker, "k": secret})
    engine.dispose()
    print(f"template: {per_shop} records ingested for shop 0, copied to {shops} shops, "
          f"in {time.perf_counter() - started:.1f}s")


def run_once(template: str, workers: int, redis_url: str, time_scale: float, secret: str,
             tmp: Path, timeout: float) -> dict[str, float]:
    """Sync a fresh copy of the template with *workers* processes; the figures."""
    name = f"{template}_run"
    admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    url = db_url(name)
    engine = create_engine(url)
    with engine.begin() as conn:  # the sink URL stored in each connection points at the template
        conn.execute(text("UPDATE connections SET settings = jsonb_set(settings::jsonb, '{sink_url}', "
                          "to_jsonb(CAST(:u AS text)))::json"), {"u": url})
        total = conn.scalar(text("SELECT count(*) FROM deliveries WHERE status = 'pending'"))
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    prefix = f"{queue}:ratelimit"
    env = {
        "DATABASE_URL": url, "BROKER_URL": redis_url, "LEDGERHUB_SECRET_KEY": secret,
        "LEDGERHUB_INSTANCE": str(tmp / "instance"), "LEDGERHUB_QUEUE": queue,
        "LEDGERHUB_WORKER_PLUGINS": "hub.workers.fake_target", "LEDGERHUB_DISPATCH_INTERVAL": "0.5",
        "LEDGERHUB_TASK_BUDGET": "5", "LEDGERHUB_RATELIMIT_PREFIX": prefix,
        "LEDGERHUB_RATELIMIT_TIME_SCALE": str(time_scale),
    }
    cluster = LocalCluster(env, tmp / f"logs-{workers}")
    cluster.start_workers(workers)
    cluster.start_beat()
    started = time.monotonic()
    deadline, next_report = started + timeout, started + PROGRESS_EVERY
    try:
        while True:
            with engine.connect() as conn:
                left = conn.scalar(text("SELECT count(*) FROM deliveries "
                                        "WHERE status NOT IN ('delivered', 'superseded')"))
            if left == 0:
                break
            now = time.monotonic()
            if now > deadline:
                raise SystemExit(f"{left} of {total} deliveries still open after {timeout}s\n"
                                 f"{cluster.logs()}")
            if now > next_report:
                rate = (total - left) / (now - started)
                eta = f"{left / rate:.0f}s" if rate else "unknown"
                print(f"  ... {workers} workers: {total - left}/{total} done, {rate:.0f}/s, {eta} to go",
                      flush=True)
                next_report = now + PROGRESS_EVERY
            time.sleep(0.5)
    finally:
        cluster.stop()
    with engine.connect() as conn:
        span = text("SELECT min(started), max(ended), count(*) FROM fake_calls")
        first, last, calls = conn.execute(span).one()
        duplicates = conn.scalar(text("SELECT count(*) FROM fake_effects WHERE attempts > 1"))
        delivered = conn.scalar(text("SELECT count(*) FROM fake_effects"))
        # Voids of records the target never had are settled without a call: not expected there.
        lost = conn.scalar(text(
            "SELECT count(*) FROM deliveries d JOIN external_ids e ON e.connection_id = d.connection_id "
            "AND e.record_id = d.record_id LEFT JOIN fake_effects f ON f.idempotency_key = d.idempotency_key "
            "WHERE f.idempotency_key IS NULL"))
    engine.dispose()
    admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    limiter = RedisRateLimiter.from_url(redis_url, RateLimits(), prefix=prefix)
    waited = limiter.shared_stats().waited_seconds
    limiter.reset()
    elapsed = max(1e-6, last - first)
    client = redis.Redis.from_url(redis_url)
    leftovers = list(client.scan_iter(match=f"*{queue}*", count=1000))  # queue and Celery's bindings
    if leftovers:
        client.delete(*leftovers)
    client.close()
    return {"workers": workers, "deliveries": delivered, "queued": total, "lost": lost, "calls": calls,
            "duplicates": duplicates, "seconds": elapsed, "throughput": delivered / elapsed,
            "limiter_share": waited / (elapsed * workers)}


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, build the template, run each worker count, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shops", type=int, default=200)
    parser.add_argument("--repair-orders", type=int, default=500)
    parser.add_argument("--workers", default="1,2,4", help="comma-separated worker process counts")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="simulated time per target call")
    parser.add_argument("--time-scale", type=float, default=10.0,
                        help="QBO's rate-limit windows run this many times faster")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--template", default="ledgerhub_bench_template")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per run before giving up")
    args = parser.parse_args(argv)
    # Stopped from outside (timeout, kill): unwind so the worker processes are stopped too.
    signal.signal(signal.SIGTERM, lambda _sig, _frame: sys.exit(143))
    counts = [int(c) for c in args.workers.split(",") if c.strip()]
    secret = Fernet.generate_key().decode()
    with tempfile.TemporaryDirectory(prefix="ledgerhub-bench-") as tmpdir:
        tmp = Path(tmpdir)
        build_template(args.template, args.shops, args.repair_orders, args.latency_ms, secret, tmp)
        secret = str(_scalar(args.template, "SELECT secret FROM bench_meta"))
        print(f"target: fake idempotent target (hub.workers.fake_target), {args.latency_ms:g} ms per "
              f"batch call of 30, QBO limits per realm at time scale {args.time_scale:g}; "
              f"{args.shops} shops x {args.repair_orders} repair orders; {os.cpu_count()} cores")
        print(f"{'workers':>7} {'deliveries':>10} {'seconds':>8} {'per second':>10} {'limiter wait':>12} "
              f"{'duplicates':>10}")
        for workers in counts:
            r = run_once(args.template, workers, args.redis_url, args.time_scale, secret, tmp, args.timeout)
            print(f"{r['workers']:>7} {r['deliveries']:>10} {r['seconds']:>8.1f} {r['throughput']:>10.0f} "
                  f"{r['limiter_share']:>11.1%} {r['duplicates']:>10}", flush=True)
            if r["lost"]:
                print(f"  LOST: {r['lost']} deliveries marked delivered never reached the target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
