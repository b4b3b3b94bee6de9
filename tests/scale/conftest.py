"""Fixtures for the scale-out tests: a private Redis key space and a private PostgreSQL database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import redis

REDIS_BASE = os.environ.get("LEDGERHUB_TEST_REDIS_URL", "redis://127.0.0.1:6379")
REDIS_DB = 11  # kept apart from db 0, which a developer's running hub may use


@pytest.fixture
def redis_url() -> str:
    """A Redis database number of its own for the scale tests."""
    return f"{REDIS_BASE}/{REDIS_DB}"


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix unique to the test; every key under it is deleted afterwards."""
    prefix = f"ledgerhub-test:{uuid.uuid4().hex[:12]}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


PG_ADMIN_URL = os.environ.get("LEDGERHUB_SCALE_PG_ADMIN", "postgresql+psycopg://root@127.0.0.1:5432/postgres")
SCALE_DB = f"ledgerhub_scale_test_{os.getpid()}"  # one per pytest process: parallel runs never meet


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database with the hub's schema (Alembic ``upgrade head``)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from hub.storage.session import make_engine, upgrade

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{SCALE_DB}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{SCALE_DB}"'))
    url = make_url(PG_ADMIN_URL).set(database=SCALE_DB).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{SCALE_DB}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def celery_queue(redis_url: str) -> Iterator[str]:
    """A queue name of the test's own; afterwards every Redis key naming it is deleted (the
    queue, Celery's bindings, the scheduler's markers, the rate limiter's windows)."""
    queue = f"scale-{uuid.uuid4().hex[:10]}"
    yield queue
    client = redis.Redis.from_url(redis_url)
    # Messages a killed worker never acknowledged wait in Celery's shared "unacked" hash, to be
    # put back on their queue later: drop ours first so nothing re-creates the queue.
    for tag, message in client.hscan_iter("unacked"):
        if queue.encode() in message:
            client.hdel("unacked", tag)
            client.zrem("unacked_index", tag)
    keys = list(client.scan_iter(match=f"*{queue}*", count=1000))
    if keys:
        client.delete(*keys)
    if not list(client.scan_iter(match="*scale-*", count=1000)):
        # No other scale run uses this database: Celery's shared bookkeeping can go too.
        client.delete("_kombu.binding.celery.pidbox", "_kombu.binding_deadlines", "unacked_mutex")
    client.close()


@pytest.fixture
def scale_core(pg_url: str, tmp_path):
    """A sync core over the scale database with the fake target registered (no entry points)."""
    from cryptography.fernet import Fernet

    from hub.config import HubConfig
    from hub.plugin.manager import build_plugin_manager
    from hub.storage.session import make_engine, make_session_factory
    from hub.sync.core import Core
    from hub.workers import fake_target

    config = HubConfig.from_env(environ={}, database_url=pg_url, instance_path=tmp_path / "instance",
                                secret_key=Fernet.generate_key().decode(), lease_seconds=3.0)
    host = build_plugin_manager(load_entrypoints=False,
                                extra_plugins=[("hub.workers.fake_target", fake_target)])
    engine = make_engine(pg_url)
    fake_target.create_sink_tables(engine)
    core = Core(config=config, session_factory=make_session_factory(engine), host=host,
                targets=host.collect_targets())
    yield core
    engine.dispose()


@pytest.fixture
def seed_shops(scale_core, pg_url: str):
    """``seed_shops(shops, repair_orders, latency_ms=0)``: shops connected to the fake target
    with their generated history ingested; returns {connection id: shop id}."""
    from hub.domain.generator import generate_history
    from hub.domain.records import Shop
    from hub.storage import tenants
    from hub.sync import connecting
    from hub.sync.ingest import ingest_records
    from hub.workers import fake_target

    def seed(shops: int, repair_orders: int, latency_ms: float = 0.0) -> dict[int, str]:
        core = scale_core
        connections = {}
        for n in range(shops):
            shop = Shop(id=f"shop-{n:03d}", name=f"Shop {n}")
            with core.session_factory.begin() as session:
                tenants.add_shop(session, shop, core.now())
            cid = connecting.connect(core, shop.id, fake_target.TARGET_NAME,
                                     {"sink_url": pg_url, "latency_ms": latency_ms, "chunk": 10}, "forward")
            records = list(generate_history(n, shop, repair_orders))
            with core.session_factory.begin() as session:
                ingest_records(session, core.targets, shop.id, records, core.now())
            connections[cid] = shop.id
        return connections

    return seed
