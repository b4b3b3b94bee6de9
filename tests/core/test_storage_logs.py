"""The delivery log stays fast at scale: every filter the UI offers is an index range scan in
id order (no full scan, no sort), and the migrations go down and up cleanly."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text

from hub.storage.logs import entries_query
from hub.storage.session import alembic_config, make_engine, upgrade

SINCE = datetime(2026, 1, 1, tzinfo=UTC)
FILTERS = [
    {},
    {"plugin": "qbo"},
    {"shop_id": "shop-1"},
    {"shop_id": "shop-1", "plugin": "qbo"},
    {"plugin": "qbo", "outcome": "needs_attention"},
    {"shop_id": "shop-1", "plugin": "qbo", "since": SINCE},
    {"shop_id": "shop-1", "record": ("invoice", "RO-7")},
    {"shop_id": "shop-1", "plugin": "qbo", "record": ("invoice", "RO-7")},
    {"connection_id": 3},
    {"plugin": "qbo", "before_id": 1000},
]


@pytest.fixture
def sqlite_engine(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'plan.sqlite3'}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: "+".join(f) or "none")
def test_log_queries_use_an_index_and_no_sort(sqlite_engine, filters: dict) -> None:
    query = entries_query(limit=50, **filters)
    sql = str(query.compile(sqlite_engine, compile_kwargs={"literal_binds": True}))
    with sqlite_engine.connect() as conn:
        plan = [row[-1] for row in conn.execute(text(f"EXPLAIN QUERY PLAN {sql}"))]
    if filters:  # unfiltered, a rowid-order scan stopped by LIMIT is the best plan there is
        assert not any(step.startswith("SCAN delivery_log") and "INDEX" not in step for step in plan), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan


def test_migrations_downgrade_and_upgrade_again(sqlite_engine) -> None:
    config = alembic_config(sqlite_engine)

    def downgrade(revision: str) -> None:
        with sqlite_engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, revision)

    downgrade("0001")
    indexes = {ix["name"] for ix in inspect(sqlite_engine).get_indexes("delivery_log")}
    assert "ix_delivery_log_shop_id_plugin_id" not in indexes and "ix_delivery_log_plugin_id" in indexes
    downgrade("base")
    assert inspect(sqlite_engine).get_table_names() == ["alembic_version"]
    upgrade(sqlite_engine)
    indexes = {ix["name"] for ix in inspect(sqlite_engine).get_indexes("delivery_log")}
    assert {"ix_delivery_log_shop_id_plugin_id", "ix_delivery_log_plugin_outcome_id"} <= indexes


BIG_TABLES = ("deliveries", "records", "record_versions", "external_ids", "delivery_log")


def test_engine_queries_on_big_tables_are_index_ranges(tmp_path: Path, fake_targets: dict) -> None:
    """Run a sync, a backfill and a record stream on SQLite, capture every statement, and
    check none scans a table that grows with history or sorts in a temporary B-tree."""
    from sqlalchemy import event

    from hub import Shop
    from hub.config import HubConfig
    from hub.plugin.manager import build_plugin_manager
    from hub.sync.runtime import Hub
    from tests.conftest import TEST_SECRET_KEY
    from tests.fakes.records import customer, invoice, payment
    from tests.fakes.targets import FakePlugin

    config = HubConfig.from_env(
        {},
        database_url=f"sqlite:///{tmp_path / 'hub.sqlite3'}",
        instance_path=tmp_path,
        secret_key=TEST_SECRET_KEY,
        backfill_chunk=4,
    )
    host = build_plugin_manager(
        load_entrypoints=False, extra_plugins=[("f", FakePlugin(fake_targets.values()))]
    )
    hub = Hub(config, host=host)
    try:
        hub.create_shop(Shop(id="s", name="S"))
        hub.ingest(
            "s",
            [
                r
                for i in range(5)
                for r in (customer(f"C-{i}"), invoice(f"RO-{i}", f"C-{i}"), payment(f"P-{i}", f"RO-{i}"))
            ],
        )
        statements: list[tuple[str, object]] = []

        @event.listens_for(hub.engine, "before_cursor_execute")
        def capture(conn, cursor, statement, parameters, context, executemany) -> None:
            if statement.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE")) and not executemany:
                statements.append((statement, parameters))

        cid = hub.connect("s", "fake", {}, start_mode="history")
        hub.ingest("s", [customer("C-0", first_name="Augusta")])
        hub.sync()
        list(hub.records_for("s"))
        hub.needs_attention(cid)
        hub.delivery_history("s", "customer", "C-0")
        hub.connection_status(cid)
        event.remove(hub.engine, "before_cursor_execute", capture)
        problems = []
        with hub.engine.connect() as conn:
            for statement, parameters in statements:
                plan = [
                    row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
                ]
                touches_big = any(f" {t}" in statement.split("WHERE")[0] for t in BIG_TABLES)
                # Sorting rows picked by primary key (one batch) is bounded by the batch size.
                touches_big = touches_big and ".id IN (" not in statement
                for step in plan:
                    scans_big = any(step.startswith(f"SCAN {t}") for t in BIG_TABLES) and "INDEX" not in step
                    if scans_big or (touches_big and "TEMP B-TREE" in step):
                        problems.append((" ".join(statement.split("FROM", 1)[-1].split())[:220], step))
        assert len(statements) > 50
        assert problems == [], "\n".join(map(str, problems))
    finally:
        hub.close()
