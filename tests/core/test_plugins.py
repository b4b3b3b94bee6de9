"""Plugin loading and isolation: check_pending, broken plugins reported by name, blocking,
and the hub never handing a target a kind it did not declare."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from hub.cli import build_cli
from hub.cli.state import CliState
from hub.config import HubConfig
from hub.domain.kinds import EntityKind
from hub.domain.records import Shop
from hub.plugin import hookimpl, manager
from hub.plugin.manager import build_plugin_manager
from hub.sync.runtime import Hub
from tests.fakes.records import customer, invoice, payment, purchase, vendor
from tests.fakes.targets import FakeBooks, FakePlugin, NarrowBooks


class GoodPlugin:
    @hookimpl
    def ledgerhub_targets(self) -> list[Any]:
        return [FakeBooks()]


class MisspelledPlugin:
    @hookimpl
    def ledgerhub_target(self) -> list[Any]:  # missing "s": must be caught by check_pending
        return [NarrowBooks()]


class WrongArgumentPlugin:
    @hookimpl
    def ledgerhub_demo_connection(self, shop: Any, folder: Path) -> None:  # no such argument
        return None


class RaisingTargetsPlugin:
    @hookimpl
    def ledgerhub_targets(self) -> list[Any]:
        raise RuntimeError("cannot reach the licence server")


class JunkTargetsPlugin:
    @hookimpl
    def ledgerhub_targets(self) -> list[Any]:
        return ["not a target", FakeBooks()]  # the FakeBooks name is taken by GoodPlugin


def test_check_pending_rejects_misspelled_hooks_by_name() -> None:
    host = build_plugin_manager(load_entrypoints=False, extra_plugins=[
        ("good", GoodPlugin()), ("typo", MisspelledPlugin()), ("wrong-arg", WrongArgumentPlugin())])
    assert "ledgerhub_target" in (host.plugins["typo"].error or "")
    assert "folder" in (host.plugins["wrong-arg"].error or "")
    assert host.pm.get_plugin("typo") is None and host.pm.get_plugin("wrong-arg") is None
    assert set(host.collect_targets()) == {"fake"}
    assert host.plugins["good"].error is None


def test_a_raising_hook_is_reported_and_the_others_answer() -> None:
    host = build_plugin_manager(load_entrypoints=False, extra_plugins=[
        ("raising", RaisingTargetsPlugin()), ("good", GoodPlugin()), ("junk", JunkTargetsPlugin())])
    targets = host.collect_targets()
    assert set(targets) == {"fake"}
    assert "cannot reach the licence server" in (host.plugins["raising"].error or "")
    assert "not a Target" in (host.plugins["junk"].error or "")
    # Whichever of the two answered later is told its target name is taken.
    later = [name for name in ("good", "junk") if "already taken" in (host.plugins[name].error or "")]
    assert len(later) == 1


@pytest.fixture
def entry_points_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder on sys.path for plugin modules, and fake entry points pointing into it."""
    (tmp_path / "lh_good_plugin.py").write_text(
        "from hub.plugin import hookimpl\n"
        "from tests.fakes.targets import NarrowBooks\n"
        "@hookimpl\n"
        "def ledgerhub_targets():\n"
        "    return [NarrowBooks()]\n")
    (tmp_path / "lh_import_error_plugin.py").write_text("raise ImportError('needs libfoo 2.0')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    eps = [EntryPoint(name="good", value="lh_good_plugin", group="ledgerhub"),
           EntryPoint(name="crashes", value="lh_import_error_plugin", group="ledgerhub"),
           EntryPoint(name="missing", value="lh_no_such_module", group="ledgerhub")]
    monkeypatch.setattr(manager, "entry_points", lambda group: [ep for ep in eps if ep.group == group])
    yield tmp_path


def test_a_plugin_failing_at_import_is_reported_by_name(entry_points_dir: Path) -> None:
    host = build_plugin_manager()
    assert "needs libfoo 2.0" in (host.plugins["crashes"].error or "")
    assert "lh_no_such_module" in (host.plugins["missing"].error or "")
    assert set(host.collect_targets()) == {"narrow"}
    rows = {r["name"]: r for info in host.plugins.values() for r in info.as_dicts()}
    assert rows["narrow"]["error"] is None and rows["crashes"]["error"]


def test_ledgerhub_plugins_shows_load_errors(entry_points_dir: Path) -> None:
    cli = build_cli(CliState())
    result = CliRunner().invoke(cli, ["plugins", "--json"])
    assert result.exit_code == 0
    rows = {row["name"]: row for row in json.loads(result.output)}
    assert rows["narrow"]["entities"] == ["customer", "invoice"]
    assert "needs libfoo 2.0" in rows["crashes"]["error"]
    table = CliRunner().invoke(cli, ["plugins"])
    assert "ERROR:" in table.output and "needs libfoo 2.0" in table.output


def test_blocking_by_configuration(entry_points_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = HubConfig.from_env({"LEDGERHUB_BLOCK_PLUGINS": "crashes, missing"},
                                instance_path=entry_points_dir)
    assert config.blocked_plugins == frozenset({"crashes", "missing"})
    host = build_plugin_manager(blocked=config.blocked_plugins)
    assert host.pm.get_plugin("crashes") is None and host.pm.get_plugin("missing") is None
    assert {name for name, info in host.plugins.items() if not info.blocked} == {"good"}
    # Blocked is not a failure (error stays None) but is shown where load errors are.
    assert all(host.plugins[n].blocked and host.plugins[n].error is None for n in ("crashes", "missing"))
    monkeypatch.setenv("LEDGERHUB_BLOCK_PLUGINS", "good")
    cli_host = CliState().host
    assert cli_host.plugins["good"].blocked and cli_host.pm.get_plugin("good") is None
    assert "needs libfoo 2.0" in (cli_host.plugins["crashes"].error or "")


def test_ledgerhub_plugins_lists_a_blocked_plugin_as_blocked(entry_points_dir: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDGERHUB_BLOCK_PLUGINS", "good")
    cli = build_cli(CliState())
    rows = {row["name"]: row for row in json.loads(CliRunner().invoke(cli, ["plugins", "--json"]).output)}
    assert set(rows["good"]) == {"name", "title", "version", "entities", "countries", "error"}
    assert rows["good"]["error"] == "blocked by LEDGERHUB_BLOCK_PLUGINS"
    assert "narrow" not in rows
    table = CliRunner().invoke(cli, ["plugins"]).output
    assert "blocked by LEDGERHUB_BLOCK_PLUGINS (not loaded)" in table


class SecretEcho:
    @hookimpl
    def ledgerhub_targets(self) -> list[Any]:
        return [FakeBooks()]

    @hookimpl
    def ledgerhub_configure(self, config: Any) -> None:
        return None


def test_tracing_logs_hook_names_plugins_and_durations_but_no_values(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("LEDGERHUB_TRACE_PLUGINS", "1")
    host = build_plugin_manager(load_entrypoints=False, extra_plugins=[("echo", SecretEcho())])
    caplog.set_level(logging.DEBUG, logger="ledgerhub.plugins.trace")
    secret = {"qbo_client_secret": "s3cr3t-value"}
    host.call_each("ledgerhub_configure", config=secret)
    host.pm.hook.ledgerhub_configure(config=secret)  # through pluggy's own monitoring
    assert set(host.collect_targets()) == {"fake"}
    traced = [r for r in caplog.records if r.name == "ledgerhub.plugins.trace"]
    finished = [r.getMessage() for r in traced if r.levelno == logging.INFO]
    assert len([m for m in finished if m.startswith("hook ledgerhub_configure [echo] (config: dict)")]) == 2
    assert any(m.startswith("hook ledgerhub_targets [echo] ()") and m.endswith(" ms") for m in finished)
    assert all("s3cr3t" not in r.getMessage() for r in caplog.records)


def test_no_tracing_unless_asked(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.delenv("LEDGERHUB_TRACE_PLUGINS", raising=False)
    host = build_plugin_manager(load_entrypoints=False, extra_plugins=[("echo", SecretEcho())])
    caplog.set_level(logging.DEBUG, logger="ledgerhub.plugins.trace")
    host.collect_targets()
    host.pm.hook.ledgerhub_configure(config={})
    assert host.tracer is None
    assert not [r for r in caplog.records if r.name == "ledgerhub.plugins.trace"]


def test_the_hub_never_hands_a_target_a_kind_it_did_not_declare(hub: Hub, shop: Shop,
                                                                fake_targets: dict[str, Any]) -> None:
    narrow: NarrowBooks = fake_targets["narrow"]
    hub.connect(shop.id, "narrow", {})
    hub.ingest(shop.id, [customer("C-1"), vendor("V-1"), invoice("RO-1"), payment("P-1"), purchase("PO-1")])
    hub.sync()
    assert {o.kind for o in narrow.objects.values()} == {EntityKind.CUSTOMER, EntityKind.INVOICE}
    assert {e.kind for e in hub.log_entries(plugin="narrow")} == {"customer", "invoice"}
    assert hub.needs_attention(hub.connections(shop.id)[0].id) == []


def test_a_blocked_plugin_never_answers() -> None:
    host = build_plugin_manager(load_entrypoints=False, blocked=["blocked"], extra_plugins=[
        ("blocked", FakePlugin([FakeBooks()])), ("good", GoodPlugin())])
    assert set(host.collect_targets()) == {"fake"}
    assert [name for name, _ in host.call_each("ledgerhub_targets")] == ["good"]
