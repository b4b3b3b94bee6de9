"""The ``ledgerhub`` command line, driven through click's CliRunner against a test hub."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from hub.cli import build_cli
from hub.cli.state import CliState
from hub.domain.records import Shop
from hub.domain.schemas import dump_record
from hub.plugin import hookimpl
from hub.plugin.manager import build_plugin_manager
from hub.sync.runtime import Hub
from tests.fakes.records import customer, invoice
from tests.fakes.targets import FakeBooks, FakePlugin, OAuthBooks


def run(hub: Hub, *args: str) -> Result:
    cli = build_cli(CliState(hub=hub))
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def jsonl(*records: Any) -> str:
    lines = []
    for r in records:
        lines.append(json.dumps(r if isinstance(r, dict) else {"kind": r.kind.value, **dump_record(r)}))
    return "\n".join(lines) + "\n"


def test_plugins_json_has_the_documented_keys(hub: Hub) -> None:
    result = run(hub, "plugins", "--json")
    assert result.exit_code == 0
    rows = json.loads(result.output)
    assert all(set(row) == {"name", "title", "version", "entities", "countries", "error"} for row in rows)
    by_name = {row["name"]: row for row in rows}
    assert by_name["narrow"]["entities"] == ["customer", "invoice"]
    assert by_name["fake"]["title"] == "Fake Books"
    table = run(hub, "plugins")
    assert "Narrow Books" in table.output and "customer, invoice" in table.output


def test_import_jsonl_reports_bad_lines_and_stores_nothing(hub: Hub, shop: Shop, tmp_path: Path) -> None:
    bad = {"kind": "invoice", **dump_record(invoice("RO-2"))}
    bad["labor"] = [{"description": "Diag", "hours": "-1", "rate": "100.00"}]
    file = tmp_path / "records.jsonl"
    file.write_text(jsonl(customer("C-1"), invoice("RO-1")) + json.dumps(bad) + "\n{not json\n")
    result = run(hub, "import", str(file), "--shop", shop.id)
    assert result.exit_code == 1
    assert "line 3: invoice 'RO-2': labor[0].hours: must not be negative (got -1)" in result.output
    assert "line 4: record: _line: is not valid JSON" in result.output
    assert "nothing was imported" in result.output
    assert list(hub.records_for(shop.id)) == []


def test_import_jsonl_then_again_is_unchanged(hub: Hub, shop: Shop, tmp_path: Path) -> None:
    file = tmp_path / "records.jsonl"
    file.write_text(jsonl(customer("C-1"), customer("C-2"), invoice("RO-1")))
    first = run(hub, "import", str(file), "--shop", shop.id, "--chunk", "2")
    assert first.exit_code == 0, first.output
    assert "3 created, 0 updated, 0 unchanged" in first.output
    again = run(hub, "import", str(file), "--shop", shop.id)
    assert "0 created, 0 updated, 3 unchanged" in again.output
    assert sorted(r.id for r, _ in hub.records_for(shop.id)) == ["C-1", "C-2", "RO-1"]


def test_import_reference_problem_names_the_line(hub: Hub, shop: Shop, tmp_path: Path) -> None:
    file = tmp_path / "records.jsonl"
    file.write_text(jsonl(customer("C-1"), invoice("RO-1", customer_id="C-404")))
    result = run(hub, "import", str(file), "--shop", shop.id)
    assert result.exit_code == 1
    assert "line 2: invoice 'RO-1': customer_id:" in result.output and "C-404" in result.output


def test_import_csv_with_nested_and_list_columns(hub: Hub, shop: Shop, tmp_path: Path) -> None:
    (tmp_path / "customer.csv").write_text(
        "id,first_name,last_name,address.city\nC-1,Ada,Lovelace,Austin\nC-2,Alan,Turing,\n")
    assert run(hub, "import", str(tmp_path / "customer.csv"), "--shop", shop.id).exit_code == 0
    labor = json.dumps([{"description": "Brakes", "hours": "1.5", "rate": "100.00"}]).replace('"', '""')
    (tmp_path / "ros.csv").write_text(
        "id,number,customer_id,invoice_date,labor,total\n"
        f'RO-1,1001,C-1,2026-01-05,"{labor}",150.00\n'
        f'RO-2,1002,C-2,2026-01-05,"{labor}",15.00\n')
    result = run(hub, "import", str(tmp_path / "ros.csv"), "--shop", shop.id, "--kind", "invoice")
    assert result.exit_code == 1
    assert "line 3: invoice 'RO-2': total: lines, discounts and tax add up to 150.00 but total is 15.00" \
        in result.output
    stored = {r.id: r for r, _ in hub.records_for(shop.id)}
    assert stored["C-1"].address.city == "Austin"  # type: ignore[attr-defined]
    assert "RO-1" not in stored
    no_kind = run(hub, "import", str(tmp_path / "ros.csv"), "--shop", shop.id)
    assert no_kind.exit_code == 2 and "--kind" in no_kind.output


def test_import_into_unknown_shop(hub: Hub, tmp_path: Path) -> None:
    file = tmp_path / "r.jsonl"
    file.write_text(jsonl(customer("C-1")))
    result = run(hub, "import", str(file), "--shop", "nope")
    assert result.exit_code == 2 and "no shop 'nope'" in result.output


def test_sync_and_logs(hub: Hub, shop: Shop) -> None:
    hub.connect(shop.id, "fake", {})
    hub.ingest(shop.id, [customer("C-1"), invoice("RO-1")])
    result = run(hub, "sync")
    assert result.exit_code == 0 and "Delivered 2" in result.output
    logs = run(hub, "logs", "--plugin", "fake")
    assert logs.exit_code == 0
    assert "customer:C-1" in logs.output and "invoice:RO-1" in logs.output and "delivered" in logs.output
    one = run(hub, "logs", "--plugin", "fake", "--record", "invoice:RO-1", "--since", "1h", "--json")
    entries = [json.loads(line) for line in one.output.splitlines()]
    assert [(e["kind"], e["source_id"], e["outcome"]) for e in entries] == [("invoice", "RO-1", "delivered")]
    assert "No delivery attempts match." in run(hub, "logs", "--plugin", "narrow").output
    assert run(hub, "logs", "--since", "soon").exit_code == 2
    assert "expected KIND:ID" in run(hub, "logs", "--record", "RO-1").output


def test_preview_writes_files_and_sends_nothing(hub: Hub, shop: Shop, fake_target: FakeBooks,
                                               tmp_path: Path) -> None:
    hub.ingest(shop.id, [customer("C-1"), invoice("RO-1")])
    out = tmp_path / "preview"
    result = run(hub, "preview", "--plugin", "fake", "--shop", shop.id, "--record", "invoice:RO-1",
                 "--out", str(out))
    assert result.exit_code == 0, result.output
    assert (out / "invoice-RO-1.txt").read_text() == "create RO-1"
    assert "nothing was sent" in result.output
    everything = run(hub, "preview", "--plugin", "fake", "--shop", shop.id, "--out", str(out))
    assert everything.exit_code == 0
    assert (out / "customer-C-1.txt").exists()
    assert fake_target.objects == {}
    assert hub.log_entries(plugin="fake") == []
    missing = run(hub, "preview", "--plugin", "fake", "--shop", shop.id, "--record", "invoice:RO-9")
    assert missing.exit_code == 2 and "no invoice 'RO-9'" in missing.output


def test_connect_with_bad_settings_names_the_field(hub: Hub, shop: Shop) -> None:
    result = run(hub, "connect", "fake", "--shop", shop.id, "--set", "company=X")
    assert result.exit_code == 2
    assert "company:" in result.output and "Length must be between 2 and 8" in result.output
    unknown = run(hub, "connect", "fake", "--shop", shop.id, "--set", "colour=red")
    assert unknown.exit_code == 2 and "colour:" in unknown.output
    malformed = run(hub, "connect", "fake", "--shop", shop.id, "--set", "company")
    assert malformed.exit_code == 2 and "KEY=VALUE" in malformed.output
    assert hub.connections(shop.id) == [] or all(c.status != "active" for c in hub.connections(shop.id))


def test_connect_and_sync_one_shop(hub: Hub, shop: Shop, fake_target: FakeBooks) -> None:
    result = run(hub, "connect", "fake", "--shop", shop.id, "--set", "company=BOOKS",
                 "--start-mode", "history")
    assert result.exit_code == 0, result.output
    assert "Connected shop shop-1 to Fake Books" in result.output
    [connection] = hub.connections(shop.id)
    assert (connection.settings["company"], connection.start_mode) == ("BOOKS", "history")
    hub.ingest(shop.id, [customer("C-1")])
    assert "Delivered 1" in run(hub, "sync", "--shop", shop.id, "--plugin", "fake").output
    assert len(fake_target.objects) == 1


@pytest.fixture
def oauth_hub(hub_config: Any, clock: Any) -> Iterator[Hub]:
    host = build_plugin_manager(load_entrypoints=False, extra_plugins=[("oauth", FakePlugin([OAuthBooks()]))])
    instance = Hub(hub_config, host=host, clock=clock)
    instance.create_shop(Shop(id="s1", name="Shop"))
    yield instance
    instance.close()


def test_connect_oauth_target_through_the_loopback_redirect(
    oauth_hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    begin = oauth_hub.begin_authorization

    def begin_and_answer(connection_id: int, redirect_uri: str) -> str:
        url = begin(connection_id, redirect_uri)
        state = url.split("state=")[1]
        assert redirect_uri.startswith("http://127.0.0.1:")
        threading.Thread(target=urllib.request.urlopen,
                         args=(f"{redirect_uri}?code=secret-code&state={state}",)).start()
        return url

    monkeypatch.setattr(oauth_hub, "begin_authorization", begin_and_answer)
    result = run(oauth_hub, "connect", "oauth", "--shop", "s1", "--timeout", "10")
    assert result.exit_code == 0, result.output
    assert "https://auth.example/authorize" in result.output
    assert "secret-code" not in result.output
    [connection] = oauth_hub.connections("s1")
    assert connection.status == "active"
    ctx = oauth_hub.services.connection(connection.id)
    assert ctx is not None and ctx.secrets.get("tokens") == {"access_token": "secret-code"}


def test_shop_create_show_set_and_token(hub: Hub) -> None:
    created = run(hub, "shop", "create", "s9", "--name", "Nine Auto", "--tax-rate", "0.07",
                  "--taxable", "parts,labor", "--location", "L1=Main")
    assert created.exit_code == 0, created.output
    shown = json.loads(run(hub, "shop", "show", "s9").output)
    assert shown["tax"] == {"rate": "0.07", "taxable": ["labor", "parts"]}
    assert shown["locations"] == [{"id": "L1", "name": "Main"}]
    assert run(hub, "shop", "set", "s9", "--feature", "qbo=on").exit_code == 0
    assert hub.features("s9")["qbo"] is True
    token = run(hub, "shop", "token", "s9").output.strip()
    assert hub.shop_for_token(token) == "s9"
    bad = run(hub, "shop", "create", "s10", "--name", "Ten", "--taxable", "beer")
    assert bad.exit_code == 2 and "tax.taxable[0]" in bad.output
    assert run(hub, "shop", "set", "s9", "--feature", "qbo=maybe").exit_code == 2


class CommandsPlugin:
    """A plugin adding one good command, one clashing with a core command, and junk."""

    @hookimpl
    def ledgerhub_cli_commands(self) -> list[Any]:
        @click.command("hello")
        def hello() -> None:
            click.echo("hello from a plugin")

        @click.command("sync")
        def fake_sync() -> None:
            click.echo("hijacked")

        return [hello, fake_sync, "not a command"]


class BrokenCommandsPlugin:
    @hookimpl
    def ledgerhub_cli_commands(self) -> list[Any]:
        raise RuntimeError("boom")


def test_plugin_commands_are_added_and_bad_ones_reported() -> None:
    host = build_plugin_manager(load_entrypoints=False, extra_plugins=[
        ("cmds", CommandsPlugin()), ("broken", BrokenCommandsPlugin())])
    cli = build_cli(CliState(host=host))
    assert "hello" in cli.commands
    assert cli.commands["sync"].help and "Deliver everything" in cli.commands["sync"].help
    assert CliRunner().invoke(cli, ["hello"]).output == "hello from a plugin\n"
    assert "command name 'sync' is already taken" in (host.plugins["cmds"].error or "")
    assert "not a click command" in (host.plugins["cmds"].error or "")
    assert "boom" in (host.plugins["broken"].error or "")


def test_root_context_has_lazy_services(hub: Hub) -> None:
    seen: list[Any] = []

    @click.command("probe")
    def probe() -> None:
        from hub.plugin.cli import current_services

        seen.append(current_services())

    state = CliState(hub=hub)
    cli = build_cli(state)
    cli.add_command(probe)
    assert CliRunner().invoke(cli, ["probe"]).exit_code == 0
    assert seen == [hub.services]
    lazy = CliState(host=hub.host)
    assert "hub" not in lazy.__dict__


def test_worker_once_delivers(hub: Hub, shop: Shop, fake_target: FakeBooks) -> None:
    hub.connect(shop.id, "fake", {})
    hub.ingest(shop.id, [customer("C-1"), invoice("RO-1")])
    result = run(hub, "worker", "--once")
    assert result.exit_code == 0 and "Delivered 2 records." in result.output
    assert len(fake_target.objects) == 2


def test_worker_thread_keeps_delivering_until_stopped(hub: Hub, shop: Shop, fake_target: FakeBooks) -> None:
    from hub.cli.worker import start_worker_thread

    hub.connect(shop.id, "fake", {})
    thread, stop = start_worker_thread(hub, interval=0.01)
    try:
        hub.ingest(shop.id, [customer("C-1")])
        for _ in range(500):
            if fake_target.objects:
                break
            threading.Event().wait(0.01)
        assert len(fake_target.objects) == 1
    finally:
        stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive()


def test_init_reports_instance_and_targets(hub: Hub) -> None:
    result = run(hub, "init")
    assert result.exit_code == 0
    assert str(hub.config.instance_path) in result.output
    assert "fake, ledger, narrow, pull" in result.output


def test_import_stores_in_chunks(hub: Hub, shop: Shop, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from hub.domain.generator import generate_history

    records = list(generate_history(4, shop, 30))
    file = tmp_path / "history.jsonl"
    file.write_text(jsonl(*records))
    sizes: list[int] = []
    ingest = hub.ingest

    def counting_ingest(shop_id: str, batch: Any, **options: Any) -> Any:
        sizes.append(len(batch))
        return ingest(shop_id, batch, **options)

    monkeypatch.setattr(hub, "ingest", counting_ingest)
    result = run(hub, "import", str(file), "--shop", shop.id, "--chunk", "16")
    assert result.exit_code == 0, result.output
    assert sum(sizes) == len(records) and max(sizes) == 16 and len(sizes) == -(-len(records) // 16)
    assert f"{len(records)} created" in result.output


def test_serve_answers_and_a_busy_port_is_a_clear_error(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    import waitress.server

    from hub.cli import cmd_ops

    servers: list[Any] = []
    started = threading.Event()
    real_create = waitress.server.create_server

    def capture(*args: Any, **kwargs: Any) -> Any:
        servers.append(real_create(*args, **kwargs))
        started.set()
        return servers[-1]

    monkeypatch.setattr(waitress.server, "create_server", capture)
    thread = threading.Thread(target=cmd_ops.serve_app, args=(hub, "127.0.0.1", 0),
                              kwargs={"worker": False, "interval": 1.0}, daemon=True)
    thread.start()
    try:
        assert started.wait(30)
        port = servers[0].effective_port
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json") as response:
            assert json.loads(response.read())["info"]["title"] == "LedgerHub ingest API"
    finally:
        servers[0].close()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        result = run(hub, "serve", "--port", str(taken), "--no-worker")
    assert result.exit_code == 1 and f"cannot listen on 127.0.0.1:{taken}" in result.output


def test_connect_reports_a_failing_plugin_without_a_traceback(oauth_hub: Hub,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from hub.errors import RetryableError

    target = oauth_hub.targets["oauth"]

    def unreachable(*_: Any) -> str:
        raise RetryableError("could not reach the sign-in service")

    monkeypatch.setattr(target, "authorization_url", unreachable)
    result = run(oauth_hub, "connect", "oauth", "--shop", "s1", "--timeout", "1")
    assert result.exit_code == 1
    assert "could not connect to OAuth Books: could not reach the sign-in service" in result.output
    monkeypatch.setattr(target, "authorization_url", lambda *_: 1 / 0)
    result = run(oauth_hub, "connect", "oauth", "--shop", "s1", "--timeout", "1")
    assert result.exit_code == 1 and "ZeroDivisionError" in result.output and "Traceback" not in result.output
