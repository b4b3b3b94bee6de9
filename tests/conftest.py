"""Shared fixtures: a hub on a fresh database (SQLite, or PostgreSQL when
``LEDGERHUB_TEST_DATABASE_URL`` is set), a controllable clock, fake targets and a shop.

PostgreSQL: each pytest process (xdist worker) gets its own database, created from the
``postgres`` maintenance database and dropped at the end; every test starts from empty tables
(TRUNCATE, not a re-migration, to stay fast).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Connection, Engine, create_engine, make_url, text
from sqlalchemy.pool import NullPool

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # lets tests import tests.fakes under --import-mode=importlib
    sys.path.insert(0, str(ROOT))

from hub.config import HubConfig  # noqa: E402
from hub.domain.records import Location, Shop, TaxCategory, TaxSettings  # noqa: E402
from hub.plugin.manager import build_plugin_manager  # noqa: E402
from hub.storage.base import Base  # noqa: E402
from hub.storage.session import make_engine, upgrade  # noqa: E402
from hub.sync.runtime import Hub  # noqa: E402
from tests.fakes.targets import BatchBooks, FakeBooks, FakePlugin, LedgerTarget, NarrowBooks, PullBooks  # noqa: E402

PG_ENV = "LEDGERHUB_TEST_DATABASE_URL"
TEST_SECRET_KEY = Fernet.generate_key().decode()


class FakeClock:
    """A clock tests move by hand: ``clock.advance(seconds=90)``."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 1, 5, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        """Move forward by ``timedelta(**delta)``; returns the new time."""
        self.current += timedelta(**delta)
        return self.current


@pytest.fixture(scope="session")
def _database_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database for this test process: a SQLite file to copy, or a PostgreSQL URL."""
    base_url = os.environ.get(PG_ENV)
    if not base_url:
        path = tmp_path_factory.mktemp("template") / "template.sqlite3"
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        engine.dispose()
        yield str(path)
        return
    url = make_url(base_url)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"{url.database or 'test'}_{worker}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        _drop_stale_databases(conn, url.database or "test")
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    test_url = url.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(test_url)
    upgrade(engine)
    engine.dispose()
    try:
        yield test_url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _drop_stale_databases(conn: Connection, base: str) -> None:
    """Drop test databases left by test processes that were killed (their pid is gone)."""
    pattern = re.compile(rf"^{re.escape(base)}_\w+?_(\d+)_[0-9a-f]{{6}}$")
    for (name,) in conn.execute(text("SELECT datname FROM pg_database")):
        match = pattern.match(name)
        if match and not _pid_alive(int(match.group(1))):
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@pytest.fixture
def database_url(_database_template: str, tmp_path: Path) -> str:
    """A database at the newest schema with no rows, private to this test."""
    if not os.environ.get(PG_ENV):
        path = tmp_path / "hub.sqlite3"
        shutil.copyfile(_database_template, path)
        return f"sqlite:///{path}"
    # DELETE beats TRUNCATE on tables this small (TRUNCATE rewrites files).
    with _engine_for(_database_template).begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    return _database_template


_ENGINES: dict[str, Engine] = {}


def _engine_for(url: str) -> Engine:
    if url not in _ENGINES:
        _ENGINES[url] = create_engine(url, poolclass=NullPool)
    return _ENGINES[url]


@pytest.fixture
def hub_config(database_url: str, tmp_path: Path) -> HubConfig:
    """A configuration with a private instance folder and database."""
    return HubConfig.from_env(
        {},
        database_url=database_url,
        instance_path=tmp_path / "instance",
        secret_key=TEST_SECRET_KEY,
        lease_seconds=60.0,
        retry_base_seconds=10.0,
        retry_cap_seconds=3600.0,
        max_attempts=5,
        backfill_chunk=7,
    )


@pytest.fixture
def clock() -> FakeClock:
    """The hub's clock in tests; move it instead of sleeping."""
    return FakeClock()


@pytest.fixture
def fake_target() -> FakeBooks:
    """The in-memory push target (``fake``) that can be told to fail."""
    return FakeBooks()


@pytest.fixture
def fake_targets(fake_target: FakeBooks) -> dict[str, object]:
    """Every fake target by name: fake, narrow (customers + invoices), pull, ledger, batch."""
    return {
        "fake": fake_target,
        "narrow": NarrowBooks(),
        "pull": PullBooks(),
        "ledger": LedgerTarget(),
        "batch": BatchBooks(),
    }


@pytest.fixture
def hub(hub_config: HubConfig, clock: FakeClock, fake_targets: dict[str, object]) -> Iterator[Hub]:
    """A hub with only the fake targets installed (no entry points) and the fake clock."""
    host = build_plugin_manager(
        load_entrypoints=False, extra_plugins=[("fake-targets", FakePlugin(fake_targets.values()))]
    )
    instance = Hub(hub_config, host=host, clock=clock)
    yield instance
    instance.close()


@pytest.fixture
def shop(hub: Hub) -> Shop:
    """A Texas shop charging 8.25 % on parts and shop supplies, stored in the hub."""
    value = Shop(
        id="shop-1",
        name="Main Street Auto",
        country="US",
        region="TX",
        timezone="America/Chicago",
        locations=(Location(id="loc-1", name="Main Street"),),
        tax=TaxSettings(
            rate=Decimal("0.0825"), taxable=frozenset({TaxCategory.PARTS, TaxCategory.SHOP_SUPPLIES})
        ),
    )
    hub.create_shop(value)
    return value
