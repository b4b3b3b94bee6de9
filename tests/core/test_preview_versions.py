"""``preview --record`` shows the record's current version with the engine's idempotency key and
external ref: exactly what the real delivery then writes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ledgerhub_csv_export
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hub.cli import build_cli
from hub.cli.state import CliState
from hub.domain.records import Shop
from hub.plugin.manager import build_plugin_manager
from hub.plugin.target import Action
from hub.storage.models import DeliveryRow
from hub.sync.runtime import Hub
from tests.fakes.records import customer


@pytest.fixture
def csv_hub(hub_config: Any, clock: Any) -> Iterator[Hub]:
    host = build_plugin_manager(load_entrypoints=False, extra_plugins=[("csv_export", ledgerhub_csv_export)])
    instance = Hub(hub_config, host=host, clock=clock)
    instance.create_shop(Shop(id="shop-1", name="Main Street Auto"))
    yield instance
    instance.close()


def c1_rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("C-1")]


def test_preview_of_a_record_equals_what_its_delivery_writes(csv_hub: Hub, tmp_path: Path,
                                                             clock: Any) -> None:
    out = tmp_path / "books"
    cid = csv_hub.connect("shop-1", "csv_export", {"output_folder": str(out)})
    csv_hub.ingest("shop-1", [customer("C-1")])
    csv_hub.sync(cid)
    clock.advance(minutes=5)
    csv_hub.ingest("shop-1", [customer("C-1", first_name="Augusta")])

    result = CliRunner().invoke(build_cli(CliState(hub=csv_hub)),
                                ["preview", "--plugin", "csv_export", "--shop", "shop-1",
                                 "--record", "customer:C-1"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    [previewed] = c1_rows(result.output)

    stored = csv_hub.get_record("shop-1", customer("C-1").kind, "C-1")
    assert stored is not None
    delivery = csv_hub.delivery_for_preview("shop-1", "csv_export", stored.record)
    with csv_hub.session_factory() as session:
        pending = session.execute(
            select(DeliveryRow.version, DeliveryRow.idempotency_key, DeliveryRow.id)
            .where(DeliveryRow.connection_id == cid).order_by(DeliveryRow.id.desc())
        ).first()
    assert pending is not None
    assert (delivery.version, delivery.idempotency_key) == (pending[0], pending[1]) == (2, pending[1])
    assert delivery.id == pending[2]  # requestIDs / file names built from it match the real run
    assert delivery.action is Action.UPDATE and delivery.external is not None

    assert csv_hub.sync(cid).delivered == 1
    written = c1_rows((out / "customer.csv").read_text(encoding="utf-8"))
    assert written[-1] == previewed
    assert "Augusta" in previewed


def test_preview_without_a_connection_uses_the_current_version(csv_hub: Hub, clock: Any) -> None:
    csv_hub.ingest("shop-1", [customer("C-1")])
    clock.advance(minutes=5)
    csv_hub.ingest("shop-1", [customer("C-1", first_name="Augusta")])
    stored = csv_hub.get_record("shop-1", customer("C-1").kind, "C-1")
    assert stored is not None
    assert csv_hub.delivery_for_preview("shop-1", "csv_export", stored.record).version == 2
    [doc] = csv_hub.preview("shop-1", "csv_export")
    [row] = c1_rows(doc.body)
    assert row.startswith("C-1,2,Augusta,")
