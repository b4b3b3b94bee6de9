"""``preview`` of pending deliveries is exact and read-only; the demo waits for the history."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hub import Action, Shop
from hub.cli import build_cli
from hub.cli.demo import DemoResult, _wait_for_pull
from hub.cli.state import CliState
from hub.config import HubConfig
from hub.domain.records import InvoiceStatus
from hub.plugin import hookimpl
from hub.plugin.manager import build_plugin_manager
from hub.plugin.target import Delivery, PreviewDocument
from hub.storage.base import Base
from hub.sync.runtime import Hub
from tests.fakes.records import customer, invoice
from tests.fakes.targets import FakeBooks, FakePlugin


class RecordingPlugin(FakePlugin):
    """Fake targets whose preview hook also keeps every delivery it was handed."""

    def __init__(self, targets: Any) -> None:
        super().__init__(targets)
        self.seen: list[Delivery] = []

    @hookimpl
    def ledgerhub_preview(self, target_name: str, context: Any, delivery: Delivery) -> PreviewDocument | None:
        """Record, then render ``action id external`` as a text file."""
        if target_name != "fake":
            return None
        self.seen.append(delivery)
        context.state.set("preview-touched", True)  # a plugin writing state must not reach the DB
        external = delivery.external.target_id if delivery.external else "-"
        return PreviewDocument(
            filename=f"{delivery.kind.value}-{delivery.record.id}.txt",
            content_type="text/plain",
            body=f"{delivery.action.value} {delivery.record.id} {external}",
        )


@pytest.fixture
def recording() -> RecordingPlugin:
    return RecordingPlugin([FakeBooks()])


@pytest.fixture
def rec_hub(hub_config: HubConfig, clock: Any, recording: RecordingPlugin) -> Iterator[Hub]:
    host = build_plugin_manager(load_entrypoints=False, extra_plugins=[("r", recording)])
    instance = Hub(hub_config, host=host, clock=clock)
    yield instance
    instance.close()


@pytest.fixture
def rec_shop(rec_hub: Hub) -> Shop:
    value = Shop(id="shop-1", name="Main Street Auto", country="US", region="TX")
    rec_hub.create_shop(value)
    return value


def snapshot(hub: Hub) -> dict[str, list[tuple[Any, ...]]]:
    with hub.engine.connect() as conn:
        return {t.name: [tuple(r) for r in conn.execute(select(t))] for t in Base.metadata.sorted_tables}


def test_preview_of_a_connected_shop_shows_its_pending_deliveries(
    rec_hub: Hub, rec_shop: Shop, recording: RecordingPlugin
) -> None:
    target = rec_hub.targets["fake"]
    assert isinstance(target, FakeBooks)
    cid = rec_hub.connect(rec_shop.id, "fake", {})
    rec_hub.ingest(rec_shop.id, [customer("C-1"), customer("C-2"), invoice("RO-1", "C-1")])
    rec_hub.sync()
    customer_ref = rec_hub.services.connection(cid).lookup_external("customer", "C-1")  # type: ignore[union-attr]
    invoice_ref = rec_hub.services.connection(cid).lookup_external("invoice", "RO-1")  # type: ignore[union-attr]
    assert customer_ref is not None and invoice_ref is not None
    rec_hub.ingest(
        rec_shop.id,
        [
            customer("C-1", first_name="Augusta"),
            invoice("RO-1", "C-1", status=InvoiceStatus.VOIDED),
            customer("C-3"),
            invoice("RO-2", "C-3"),
        ],
    )
    calls_before = len(target.calls)
    before = snapshot(rec_hub)
    docs = rec_hub.preview(rec_shop.id, "fake")
    assert [d.body for d in docs] == [
        f"update C-1 {customer_ref.target_id}",
        "create C-3 -",
        f"void RO-1 {invoice_ref.target_id}",
        "create RO-2 -",
    ]
    by_id = {d.record.id: d for d in recording.seen}
    assert by_id["RO-2"].references["customer_id"].target_id == "(new)"  # C-3 not sent yet
    assert by_id["C-1"].version == 2 and by_id["C-1"].id > 0 and by_id["RO-1"].action is Action.VOID
    assert snapshot(rec_hub) == before  # nothing claimed, leased, logged or stored
    assert len(target.calls) == calls_before


def test_preview_without_a_connection_shows_what_connecting_would_send(
    rec_hub: Hub, rec_shop: Shop
) -> None:
    rec_hub.ingest(rec_shop.id, [customer("C-1"), invoice("RO-1", "C-1")])
    before = snapshot(rec_hub)
    assert [d.body for d in rec_hub.preview(rec_shop.id, "fake")] == ["create C-1 -", "create RO-1 -"]
    assert snapshot(rec_hub) == before


def test_cli_preview_writes_the_pending_update(rec_hub: Hub, rec_shop: Shop, tmp_path: Path) -> None:
    rec_hub.connect(rec_shop.id, "fake", {})
    rec_hub.ingest(rec_shop.id, [customer("C-1")])
    rec_hub.sync()
    rec_hub.ingest(rec_shop.id, [customer("C-1", first_name="Augusta")])
    cli = build_cli(CliState(hub=rec_hub))
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["preview", "--plugin", "fake", "--shop", rec_shop.id, "--out", str(out)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert (out / "customer-C-1.txt").read_text().startswith("update C-1 ")
    one = CliRunner().invoke(
        cli, ["preview", "--plugin", "fake", "--shop", rec_shop.id, "--record", "customer:C-1"]
    )
    assert "update C-1" in one.output
    assert rec_hub.delivery_counts(rec_hub.connections(rec_shop.id)[0].id).get("pending") == 1


def test_demo_waits_for_a_history_not_yet_queued(hub: Hub, shop: Shop) -> None:
    hub.ingest(shop.id, [customer(f"C-{i}") for i in range(3)])
    cid = hub.connect(shop.id, "pull", {}, start_mode="history")
    result = DemoResult("pull", cid)
    started = time.monotonic()
    _wait_for_pull(hub, [result], time.monotonic() + 0.2)
    assert time.monotonic() - started >= 0.2  # it waited: nothing queued is not "done"
    assert result.pending == 3
