"""A fast, idempotent stand-in target for load tests and the scale benchmark.

``scale_fake`` accepts every kind and "delivers" by writing to two tables of a sink database
(by default the hub's own): ``fake_effects`` holds one row per idempotency key, with the number
of attempts that carried it, so a duplicate or a lost delivery is plain to see; ``fake_calls``
holds every simulated API call with the process that made it and when, so two workers calling
one realm at once is plain to see too. Each batch call waits for a permit of the shared
:mod:`hub.ratelimit` limiter and then sleeps ``latency_ms``, like a remote API.

It is not registered by an entry point: a worker loads it with
``LEDGERHUB_WORKER_PLUGINS=hub.workers.fake_target`` and a test registers it as an extra plugin.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from typing import Any, ClassVar

from marshmallow import Schema, fields, validate
from sqlalchemy import Engine, create_engine, text

from hub.domain.kinds import EntityKind
from hub.errors import DeliveryError
from hub.plugin import hookimpl
from hub.plugin.target import ConnectionContext, Delivery, DeliveryResult, Target
from hub.ratelimit import RateLimiter, RateLimits, limiter_from_env

TARGET_NAME = "scale_fake"
SCHEMA_SQL = (
    "CREATE TABLE IF NOT EXISTS fake_effects (idempotency_key VARCHAR(64) PRIMARY KEY, "
    "connection_id INTEGER NOT NULL, kind VARCHAR(32) NOT NULL, source_id VARCHAR(200) NOT NULL, "
    "attempts INTEGER NOT NULL, first_pid INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS fake_calls (connection_id INTEGER NOT NULL, pid INTEGER NOT NULL, "
    "started DOUBLE PRECISION NOT NULL, ended DOUBLE PRECISION NOT NULL, size INTEGER NOT NULL)",
)
UPSERT_EFFECT = text(
    "INSERT INTO fake_effects (idempotency_key, connection_id, kind, source_id, attempts, first_pid) "
    "VALUES (:key, :connection_id, :kind, :source_id, 1, :pid) "
    "ON CONFLICT (idempotency_key) DO UPDATE SET attempts = fake_effects.attempts + 1"
)
INSERT_CALL = text(
    "INSERT INTO fake_calls (connection_id, pid, started, ended, size) "
    "VALUES (:connection_id, :pid, :started, :ended, :size)"
)


class FakeSettingsSchema(Schema):
    """Where the fake writes and how slow it pretends to be."""

    sink_url = fields.String(required=True, validate=validate.Length(min=1))
    latency_ms = fields.Float(load_default=0.0, validate=validate.Range(min=0, max=10_000))
    chunk = fields.Integer(load_default=30, validate=validate.Range(min=1, max=1000))


class _Sinks:
    """One engine per sink URL and process (rebuilt after a fork), tables created once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid = 0
        self._engines: dict[str, Engine] = {}

    def get(self, url: str) -> Engine:
        with self._lock:
            if self._pid != os.getpid():
                self._pid, self._engines = os.getpid(), {}
            engine = self._engines.get(url)
            if engine is None:
                engine = create_engine(url, pool_size=2, max_overflow=2)
                create_sink_tables(engine)
                self._engines[url] = engine
            return engine


def create_sink_tables(engine: Engine) -> None:
    """Create ``fake_effects`` and ``fake_calls`` if missing."""
    with engine.begin() as conn:
        for statement in SCHEMA_SQL:
            conn.execute(text(statement))


_sinks = _Sinks()
_limiter: RateLimiter | None = None


def shared_limiter() -> RateLimiter:
    """The process' limiter: Redis when the deployment has one; QBO's limits, scaled by
    ``LEDGERHUB_RATELIMIT_TIME_SCALE``."""
    global _limiter
    if _limiter is None:
        scale = float(os.environ.get("LEDGERHUB_RATELIMIT_TIME_SCALE", "1"))
        _limiter = limiter_from_env(RateLimits(time_scale=scale))
    return _limiter


class FakeTarget(Target):
    """Records deliveries by idempotency key; see the module docstring."""

    name: ClassVar[str] = TARGET_NAME
    title: ClassVar[str] = "Scale test target"
    entities: ClassVar[frozenset[EntityKind]] = frozenset(EntityKind)
    settings_schema: ClassVar[type[Schema]] = FakeSettingsSchema
    batch_size: ClassVar[int] = 120

    def deliver(self, ctx: ConnectionContext, delivery: Delivery) -> DeliveryResult:
        """Deliver one record as a batch of one."""
        result = self.deliver_many(ctx, [delivery])[0]
        if isinstance(result, DeliveryError):
            raise result
        return result

    def deliver_many(
        self, ctx: ConnectionContext, deliveries: Sequence[Delivery]
    ) -> list[DeliveryResult | DeliveryError]:
        """One simulated batch API call per ``chunk`` deliveries."""
        engine = _sinks.get(ctx.settings["sink_url"])
        chunk = int(ctx.settings.get("chunk", 30))
        latency = float(ctx.settings.get("latency_ms", 0.0)) / 1000.0
        results: list[DeliveryResult | DeliveryError] = []
        for start in range(0, len(deliveries), chunk):
            part = deliveries[start : start + chunk]
            with shared_limiter().acquire(f"{TARGET_NAME}:{ctx.shop.id}", batch=True):
                began = time.time()
                if latency:
                    time.sleep(latency)
                self._record(engine, ctx.connection_id, part, began)
            results.extend(DeliveryResult(target_id=f"F-{d.idempotency_key[:16]}") for d in part)
        return results

    @staticmethod
    def _record(engine: Engine, connection_id: int, part: Sequence[Delivery], began: float) -> None:
        pid = os.getpid()
        rows: list[dict[str, Any]] = [
            {
                "key": d.idempotency_key,
                "connection_id": connection_id,
                "kind": str(d.kind),
                "source_id": d.record.id,
                "pid": pid,
            }
            for d in part
        ]
        with engine.begin() as conn:
            conn.execute(UPSERT_EFFECT, rows)
            conn.execute(
                INSERT_CALL,
                {
                    "connection_id": connection_id,
                    "pid": pid,
                    "started": began,
                    "ended": time.time(),
                    "size": len(part),
                },
            )


@hookimpl
def ledgerhub_targets() -> list[Target]:
    """Offer the fake target."""
    return [FakeTarget()]
