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
