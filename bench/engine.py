"""Engine micro-benchmark: ingest records/s and sync deliveries/s, SQLite and PostgreSQL.

    .venv/bin/python bench/engine.py                       # both databases, 4 shops x 120 repair orders
    .venv/bin/python bench/engine.py --db sqlite --repair-orders 80 --profile sync

Generated history goes through the real ingest, then the real engine (``run_batch``) drains the
outbox in-process through two targets with no latency: the in-repo fake batch target
(``hub.workers.fake_target``, one ``deliver_many`` per group, writing to its sink tables) and a
one-by-one variant of it (only ``deliver``, so each outcome is committed on its own). The
figures are the hub's own cost per record and per delivery, not the target's.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text

from hub.config import HubConfig
from hub.domain.generator import generate_history
from hub.domain.records import Record, Shop
from hub.plugin import hookimpl
from hub.plugin.manager import build_plugin_manager
from hub.plugin.target import ConnectionContext, Delivery, DeliveryResult, Target
from hub.storage import tenants
from hub.storage.session import make_engine, make_session_factory, upgrade
from hub.sync import connecting
from hub.sync.core import Core
from hub.sync.engine import run_batch
from hub.sync.ingest import ingest_records
from hub.workers import fake_target

PG_ADMIN = "postgresql+psycopg://root@127.0.0.1:5432/postgres"
INGEST_CHUNK = 200


class OneByOneTarget(fake_target.FakeTarget):
    """The fake target without a batch API: the engine calls ``deliver`` once per record."""

    name: ClassVar[str] = "scale_fake_single"
    deliver_many = Target.deliver_many  # type: ignore[assignment]

    def deliver(self, ctx: ConnectionContext, delivery: Delivery) -> DeliveryResult:
        """One simulated API call per record."""
        result = fake_target.FakeTarget.deliver_many(self, ctx, [delivery])[0]
        assert isinstance(result, DeliveryResult)
        return result


class _Plugin:
    @hookimpl
    def ledgerhub_targets(self) -> list[Target]:
        return [fake_target.FakeTarget(), OneByOneTarget()]


def _database(kind: str, tmp: Path) -> tuple[str, str | None]:
    """A fresh database URL and, for PostgreSQL, its name (to drop afterwards)."""
    if kind == "sqlite":
        return f"sqlite:///{tmp / f'bench-{uuid.uuid4().hex[:6]}.sqlite3'}", None
    name = f"ledgerhub_bench_engine_{uuid.uuid4().hex[:6]}"
    _admin(f'CREATE DATABASE "{name}"')
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", name


def _admin(sql: str) -> None:
    engine = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


def _core(url: str, instance: Path) -> Core:
    config = HubConfig.from_env(
        environ={}, database_url=url, instance_path=instance, secret_key=Fernet.generate_key().decode()
    )
    host = build_plugin_manager(load_entrypoints=False, extra_plugins=[("bench-targets", _Plugin())])
    return Core(
        config=config,
        session_factory=make_session_factory(make_engine(url)),
        host=host,
        targets=host.collect_targets(),
    )


def _profiled(profile: bool, fn: Any) -> Any:
    if not profile:
        return fn()
    profiler = cProfile.Profile()
    result = profiler.runcall(fn)
    pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(45)
    return result


def run(
    kind: str, shops: int, repair_orders: int, tmp: Path, profile: str, validated: bool
) -> dict[str, float]:
    """Ingest *shops* histories, then drain each target; the rates."""
    url, pg_name = _database(kind, tmp)
    try:
        engine = make_engine(url)
        upgrade(engine)
        sink = f"sqlite:///{tmp / f'sink-{uuid.uuid4().hex[:6]}.sqlite3'}" if kind == "sqlite" else url
        core = _core(url, tmp / "instance")
        histories: list[tuple[Shop, list[Record]]] = []
        for n in range(shops):
            shop = Shop(id=f"bench-{n}", name=f"Bench shop {n}")
            with core.session_factory.begin() as session:
                tenants.add_shop(session, shop, core.now())
            for target in (fake_target.TARGET_NAME, OneByOneTarget.name):
                connecting.connect(core, shop.id, target, {"sink_url": sink, "chunk": 30}, "forward")
            histories.append((shop, list(generate_history(n, shop, repair_orders))))
        records = sum(len(h) for _, h in histories)

        def ingest() -> None:
            for shop, history in histories:
                for start in range(0, len(history), INGEST_CHUNK):
                    with core.session_factory.begin() as session:
                        ingest_records(
                            session,
                            core.targets,
                            shop.id,
                            history[start : start + INGEST_CHUNK],
                            core.now(),
                            validated=validated,
                        )

        started = time.perf_counter()
        _profiled(profile == "ingest", ingest)
        ingest_seconds = time.perf_counter() - started
        rates = {"records": records, "ingest": records / ingest_seconds}
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT c.id, c.target_name FROM connections c ORDER BY c.id")).all()
        for target in (fake_target.TARGET_NAME, OneByOneTarget.name):
            ids = [cid for cid, name in rows if name == target]

            def drain(ids: Sequence[int] = ids) -> int:
                delivered = 0
                for cid in ids:
                    while True:
                        report = run_batch(core, cid)
                        delivered += report.delivered
                        if not report.progressed:
                            break
                return delivered

            started = time.perf_counter()
            delivered = _profiled(
                profile == f"sync-{'batch' if target == fake_target.TARGET_NAME else 'single'}", drain
            )
            rates[target] = delivered / (time.perf_counter() - started)
            rates[f"{target}:n"] = delivered
        core.session_factory.kw["bind"].dispose()
        engine.dispose()
        return rates
    finally:
        if pg_name:
            _admin(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run each database, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--shops", type=int, default=4)
    parser.add_argument("--repair-orders", type=int, default=120)
    parser.add_argument("--profile", default="", choices=["", "ingest", "sync-batch", "sync-single"])
    parser.add_argument(
        "--validated",
        action="store_true",
        help="ingest as the API does: records already checked by load_record",
    )
    args = parser.parse_args(argv)
    # The fake target waits on QBO's per-realm limits; this measures the hub, not the limiter.
    os.environ.setdefault("LEDGERHUB_RATELIMIT_TIME_SCALE", "100000")
    print(f"{'database':>10} {'records':>7} {'ingest/s':>9} {'batch sync/s':>12} {'one-by-one/s':>12}")
    with tempfile.TemporaryDirectory(prefix="ledgerhub-bench-engine-") as tmpdir:
        for kind in [k.strip() for k in args.db.split(",") if k.strip()]:
            r = run(kind, args.shops, args.repair_orders, Path(tmpdir), args.profile, args.validated)
            print(
                f"{kind:>10} {r['records']:>7} {r['ingest']:>9.0f} {r[fake_target.TARGET_NAME]:>12.0f} "
                f"{r[OneByOneTarget.name]:>12.0f}   ({r[f'{fake_target.TARGET_NAME}:n']} and "
                f"{r[f'{OneByOneTarget.name}:n']} delivered)",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
