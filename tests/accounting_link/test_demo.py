"""Accounting Link in ``ledgerhub demo``: the hook's offer, and a whole ``demo --once`` run where
the plugin's simulated Web Connector drains every record into its fake QuickBooks."""

from __future__ import annotations

import dataclasses
import threading
import time
from pathlib import Path

import ledgerhub_accounting_link
from click.testing import CliRunner
from ledgerhub_accounting_link.demo import DemoWebConnector
from ledgerhub_accounting_link.settings import API_KEY_HASH

from hub import Shop
from hub.cli import build_cli
from hub.cli.state import CliState
from hub.demo_types import DemoConnection
from hub.plugin.manager import build_plugin_manager
from hub.sync.runtime import Hub

from .conftest import every_kind_records


def _offer(shop: Shop, tmp_path: Path, hub: Hub) -> DemoConnection:
    offer = ledgerhub_accounting_link.ledgerhub_demo_connection(shop=shop, workdir=tmp_path,
                                                                services=hub.services)
    assert isinstance(offer, DemoConnection)
    return offer


def test_offer_uses_a_generated_key_and_the_first_location(al_hub: Hub, al_shop: Shop,
                                                           tmp_path: Path) -> None:
    first, second = _offer(al_shop, tmp_path, al_hub), _offer(al_shop, tmp_path, al_hub)
    assert first.target_name == "accounting_link"
    assert first.settings["location"] == al_shop.locations[0].id
    assert len(first.settings["api_key"]) >= 16
    assert first.settings["api_key"] != second.settings["api_key"]
    assert first.start_client is not None and first.teardown is not None


def test_no_offer_for_a_shop_without_locations(al_hub: Hub, al_shop: Shop, tmp_path: Path) -> None:
    bare = dataclasses.replace(al_shop, locations=())
    assert ledgerhub_accounting_link.ledgerhub_demo_connection(
        shop=bare, workdir=tmp_path, services=al_hub.services) is None


def test_started_client_drains_the_connection_and_stops_on_teardown(al_hub: Hub, al_shop: Shop,
                                                                    tmp_path: Path) -> None:
    offer = _offer(al_shop, tmp_path, al_hub)
    connection_id = al_hub.connect(al_shop.id, offer.target_name, dict(offer.settings))
    assert al_hub.services.connection(connection_id).secrets.get(API_KEY_HASH)
    al_hub.ingest(al_shop.id, every_kind_records())
    assert offer.start_client is not None and offer.teardown is not None
    offer.start_client(connection_id)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            counts = al_hub.delivery_counts(connection_id)
            if counts.get("delivered", 0) == len(every_kind_records()):
                break
            time.sleep(0.05)
    finally:
        offer.teardown()
    counts = al_hub.delivery_counts(connection_id)
    assert counts.get("delivered", 0) == len(every_kind_records()), counts
    client = offer.start_client.__self__  # type: ignore[attr-defined]
    assert isinstance(client, DemoWebConnector)
    assert client._thread is not None and not client._thread.is_alive()
    assert len(client.books.of_kind("Invoice")) == 1
    assert len(client.books.of_kind("ReceivePayment")) == 2
    assert al_hub.connection_status(connection_id).startswith("Data flowing")


def test_demo_once_delivers_every_record_through_the_simulated_web_connector(tmp_path: Path) -> None:
    host = build_plugin_manager(load_entrypoints=False,
                                extra_plugins=[("accounting_link", ledgerhub_accounting_link)])
    folder = tmp_path / "demo"
    args = ["demo", "--once", "--dir", str(folder), "--repair-orders", "12", "--seed", "5"]
    result = CliRunner().invoke(build_cli(CliState(host=host)), args)
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if line.startswith("accounting_link"))
    stored = int(result.output.split("Stored ")[1].split(" records")[0])
    assert f"delivered {stored}, failed 0, need attention 0, pending 0" in line, result.output
    assert "Data flowing" in line


def test_teardown_ends_a_run_in_progress_and_the_work_goes_back(al_hub: Hub, al_shop: Shop,
                                                                tmp_path: Path) -> None:
    offer = _offer(al_shop, tmp_path, al_hub)
    connection_id = al_hub.connect(al_shop.id, offer.target_name, dict(offer.settings))
    al_hub.ingest(al_shop.id, every_kind_records())
    assert offer.start_client is not None and offer.teardown is not None
    client = offer.start_client.__self__  # type: ignore[attr-defined]
    processed, answered = client.books.process, threading.Event()

    def books_then_demo_ends(document: str) -> str:
        client._stop.set()  # the demo ends while QuickBooks works on the first document
        answered.set()
        return processed(document)

    client.books.process = books_then_demo_ends
    offer.start_client(connection_id)
    assert answered.wait(10)
    offer.teardown()
    assert not client._thread.is_alive()
    [run] = client.runs
    assert run.documents == 1 and run.closed.startswith("OK")
    counts = al_hub.delivery_counts(connection_id)
    assert 0 < counts.get("delivered", 0) < len(every_kind_records())
    assert not counts.get("claimed") and counts.get("pending", 0) > 0
