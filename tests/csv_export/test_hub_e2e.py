"""End to end through the Hub: ingest generated history, connect, sync, change, re-sync, export."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import ledgerhub_csv_export
import pytest
from click.testing import CliRunner

from hub import ConfigurationError, EntityKind, Invoice, InvoiceStatus, Shop
from hub.cli import build_cli
from hub.cli.state import CliState
from hub.domain.generator import generate_history
from hub.plugin.manager import build_plugin_manager
from hub.sync.runtime import Hub


@pytest.fixture
def csv_hub(hub_config, clock):
    """A Hub with only the CSV export plugin installed, on the test clock."""
    host = build_plugin_manager(load_entrypoints=False, extra_plugins=[("csv_export", ledgerhub_csv_export)])
    instance = Hub(hub_config, host=host, clock=clock)
    yield instance
    instance.close()


@pytest.fixture
def history(csv_hub: Hub) -> tuple[Shop, list]:
    shop = Shop(id="shop-1", name="Main Street Auto")
    csv_hub.create_shop(shop)
    records = list(generate_history(7, shop, 15))
    csv_hub.ingest(shop.id, records)
    return shop, records


def test_sync_writes_every_record_once_and_versions_changes(csv_hub: Hub, history, tmp_path: Path,
                                                           clock, kit) -> None:
    shop, records = history
    out = tmp_path / "books"
    cid = csv_hub.connect(shop.id, "csv_export", {"output_folder": str(out)}, start_mode="history")
    report = csv_hub.sync(cid)
    # The hub never hands over the void of an invoice the connection never received.
    expected = [r for r in records if getattr(r, "status", None) is not InvoiceStatus.VOIDED]
    assert report.delivered == len(records)
    assert kit.rebuild(out) == {(r.kind.value, r.id, 1): r for r in expected}
    [summary] = kit.summaries(out)
    invoices = [r for r in records if r.kind is EntityKind.INVOICE]
    assert summary["invoice.csv"]["rows"] == str(len(invoices))
    assert summary["invoice.csv"]["total"] == f"{sum(i.total for i in invoices):.2f}"

    # A voided invoice arrives as a new version; re-sending an unchanged record changes nothing.
    invoice: Invoice = next(i for i in invoices if i.status is InvoiceStatus.CLOSED)
    clock.advance(minutes=5)
    csv_hub.ingest(shop.id, [replace(invoice, status=InvoiceStatus.VOIDED), records[0]])
    assert csv_hub.sync(cid).delivered == 1
    rows = [r for r in kit.read_rows(out / "invoice.csv") if r["id"] == invoice.id]
    assert [(r["version"], r["status"]) for r in rows] == [("1", "closed"), ("2", "voided")]
    assert len(kit.summaries(out)) == 2
    assert "Connected" in csv_hub.connection_status(cid)
    entries = csv_hub.log_entries(plugin="csv_export", record=("invoice", invoice.id))
    newest = entries[0]
    assert (newest.version, newest.action, newest.outcome, newest.target_id) == (
        2, "void", "delivered", f"invoice.csv:{invoice.id}")


def test_connect_refuses_a_relative_folder(csv_hub: Hub, history) -> None:
    shop, _ = history
    with pytest.raises(ConfigurationError) as caught:
        csv_hub.connect(shop.id, "csv_export", {"output_folder": "relative/path"})
    assert "output_folder" in caught.value.errors


def test_hub_preview_shows_csv_rows(csv_hub: Hub, history, tmp_path: Path) -> None:
    shop, records = history
    invoice = next(r for r in records if r.kind is EntityKind.INVOICE)
    [doc] = csv_hub.preview(shop.id, "csv_export", invoice)
    assert doc.body.startswith("# invoice.csv\r\nid,version,number,")
    assert "# invoice_lines.csv" in doc.body


def test_cli_export_streams_the_period(csv_hub: Hub, history, tmp_path: Path, kit) -> None:
    shop, records = history
    out = tmp_path / "period"
    cli = build_cli(CliState(hub=csv_hub))
    result = CliRunner().invoke(cli, ["export", "csv", "--shop", shop.id, "--since", "2026-01-01",
                                      "--until", "2026-01-31", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert kit.rebuild(out) == {(r.kind.value, r.id, 1): r for r in records}
    outside = tmp_path / "february"
    result = CliRunner().invoke(cli, ["export", "csv", "--shop", shop.id, "--since", "2026-02-01",
                                      "--until", "2026-02-28", "--out", str(outside)])
    assert result.exit_code == 0, result.output
    assert kit.rebuild(outside) == {}


def test_hub_preview_of_the_latest_records(csv_hub: Hub, history) -> None:
    shop, records = history
    docs = csv_hub.preview(shop.id, "csv_export")
    assert docs and all(doc.content_type.startswith("text/plain") for doc in docs)
    assert all(doc.body.startswith("# ") and ".csv\r\n" in doc.body for doc in docs)
