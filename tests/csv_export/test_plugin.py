"""The plugin's hooks, loaded through its entry point like any third party's."""

from __future__ import annotations

import csv
import inspect
import io
from pathlib import Path

import ledgerhub_csv_export
import pytest
from ledgerhub_csv_export.settings import CsvExportSettings
from ledgerhub_csv_export.target import CsvExportTarget

from hub import EntityKind, PreviewDocument, Shop
from hub.plugin.manager import build_plugin_manager


@pytest.fixture(scope="module")
def host():
    """The plugin manager with every installed plugin."""
    return build_plugin_manager()


def test_entry_point_registers_the_target(host) -> None:
    targets = host.collect_targets()
    target = targets["csv_export"]
    assert isinstance(target, CsvExportTarget)
    assert target.title == "CSV export"
    assert target.entities == frozenset(EntityKind)
    assert host.plugins["csv_export"].error is None
    for country in ("US", "CA", "DE", "JP"):
        assert target.unavailable_reason(Shop(id="s", name="s", country=country)) is None


def test_package_module_holds_only_hookimpls() -> None:
    functions = [obj for _, obj in inspect.getmembers(ledgerhub_csv_export, inspect.isfunction)
                 if obj.__module__ == ledgerhub_csv_export.__name__]
    assert {f.__name__ for f in functions} == {
        "ledgerhub_targets", "ledgerhub_preview", "ledgerhub_cli_commands", "ledgerhub_demo_connection",
        "ledgerhub_blueprints", "ledgerhub_configure"}
    assert all(hasattr(f, "ledgerhub_impl") for f in functions)


def test_preview_renders_the_rows_of_each_file(host, kit) -> None:
    invoice = next(r for r in kit.sample_records() if r.id == "RO-1")
    ctx = kit.FakeContext(settings={"output_folder": "/unused", "delimiter": ";"})
    [delivery] = kit.make_deliveries([invoice], version=3)
    doc = host.call_first("ledgerhub_preview", target_name="csv_export", context=ctx, delivery=delivery)
    assert isinstance(doc, PreviewDocument)
    assert doc.filename == "invoice-RO-1-v3.txt"
    sections = doc.body.split("\r\n\r\n")
    assert [s.split("\r\n")[0] for s in sections] == ["# invoice.csv", "# invoice_lines.csv"]
    assert sections[0].split("\r\n")[2].startswith("RO-1;3;'=1001;RO 1;C-1;")
    lines = list(csv.reader(io.StringIO(sections[1].split("\r\n", 1)[1], newline=""), delimiter=";"))
    assert len(lines) == 1 + 6 and lines[2][4] == "two\nlines"
    assert not (Path("/unused")).exists()


def test_preview_without_settings_uses_defaults_and_ignores_other_targets(kit) -> None:
    customer = kit.sample_records()[0]
    [delivery] = kit.make_deliveries([customer])
    ctx = kit.FakeContext(settings={})
    doc = ledgerhub_csv_export.ledgerhub_preview(target_name="csv_export", context=ctx, delivery=delivery)
    assert doc.body.split("\r\n")[1].startswith("id,version,first_name")
    assert ledgerhub_csv_export.ledgerhub_preview(target_name="qbo", context=ctx, delivery=delivery) is None


def test_demo_connection_writes_into_workdir(host, tmp_path: Path, kit) -> None:
    shop = Shop(id="demo-shop", name="Demo")
    answers = dict(host.call_each("ledgerhub_demo_connection", shop=shop, workdir=tmp_path))
    demo = answers["csv_export"]
    assert demo.target_name == "csv_export"
    settings = CsvExportSettings.load(demo.settings)
    assert settings.output_folder == tmp_path.resolve() / "csv_export" / "demo-shop"
    ctx = kit.FakeContext(settings=dict(demo.settings), shop=shop)
    target = CsvExportTarget()
    target.connect(ctx)
    target.deliver_many(ctx, kit.make_deliveries(kit.sample_records()))
    assert kit.rebuild(settings.output_folder, encoding="utf-8-sig")


def test_cli_command_is_offered(host) -> None:
    commands = dict(host.call_each("ledgerhub_cli_commands"))["csv_export"]
    [group] = commands
    assert group.name == "export" and "csv" in group.commands
