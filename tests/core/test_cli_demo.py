"""``ledgerhub demo --once`` with fake targets: connects every offer (OAuth too), syncs,
reports per target, exits 0 only when all was delivered, and can run again."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from click.testing import CliRunner

from hub.cli import build_cli, cmd_ops
from hub.cli.state import CliState
from hub.demo_types import DemoConnection
from hub.plugin import hookimpl
from hub.plugin.manager import build_plugin_manager
from tests.fakes.targets import FakeBooks, FakePlugin, OAuthBooks


class DemoOffers:
    """Offers a demo connection to ``fake`` and to ``oauth`` (approving its consent itself)."""

    def __init__(self) -> None:
        self.torn_down: list[str] = []

    @hookimpl
    def ledgerhub_demo_connection(self, shop: Any, workdir: Path) -> DemoConnection:
        def approve(url: str) -> Mapping[str, str]:
            state = parse_qs(urlparse(url).query)["state"][0]
            return {"code": "demo-code", "state": state}

        return DemoConnection(target_name="oauth", authorize=approve,
                              teardown=lambda: self.torn_down.append("oauth"))


class FakeDemo:
    @hookimpl
    def ledgerhub_demo_connection(self, workdir: Path) -> DemoConnection:
        assert workdir.is_dir()
        return DemoConnection(target_name="fake", settings={"company": "DEMO"})


def demo_cli(fake: FakeBooks, offers: DemoOffers) -> Any:
    host = build_plugin_manager(load_entrypoints=False, extra_plugins=[
        ("targets", FakePlugin([fake, OAuthBooks()])), ("oauth-demo", offers), ("fake-demo", FakeDemo())])
    return build_cli(CliState(host=host))


def test_demo_once_delivers_everything_and_can_run_again(tmp_path: Path) -> None:
    fake, offers = FakeBooks(), DemoOffers()
    folder = tmp_path / "demo"
    args = ["demo", "--once", "--dir", str(folder), "--repair-orders", "8", "--seed", "3"]
    result = CliRunner().invoke(demo_cli(fake, offers), args)
    assert result.exit_code == 0, result.output
    assert "connected: fake, oauth" in result.output or "connected: oauth, fake" in result.output
    lines = {line.split()[0]: line for line in result.output.splitlines()
             if line.startswith(("fake", "oauth"))}
    assert "failed 0, need attention 0, pending 0" in lines["fake"]
    delivered = int(lines["fake"].split("delivered ")[1].split(",")[0])
    assert delivered == len(fake.objects) > 8
    assert offers.torn_down == ["oauth"]
    assert (folder / "instance" / "demo.sqlite3").exists()

    again = CliRunner().invoke(demo_cli(FakeBooks(), DemoOffers()), [*args[:-4], "--repair-orders", "2"])
    assert again.exit_code == 0, again.output


def test_demo_once_fails_when_a_target_needs_attention(tmp_path: Path) -> None:
    fake = FakeBooks()
    original = fake.deliver

    def refuse_payments(ctx: Any, delivery: Any) -> Any:
        from hub import NeedsAttentionError

        if delivery.kind.value == "payment":
            raise NeedsAttentionError("payments are closed for the demo")
        return original(ctx, delivery)

    fake.deliver = refuse_payments  # type: ignore[method-assign]
    result = CliRunner().invoke(demo_cli(fake, DemoOffers()),
                                ["demo", "--once", "--dir", str(tmp_path / "d"), "--repair-orders", "6"])
    assert result.exit_code == 1
    fake_line = next(line for line in result.output.splitlines() if line.startswith("fake"))
    assert "need attention 0" not in fake_line


def test_demo_refuses_to_wipe_a_folder_it_did_not_make(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    result = CliRunner().invoke(demo_cli(FakeBooks(), DemoOffers()),
                                ["demo", "--once", "--dir", str(tmp_path)])
    assert result.exit_code != 0 and "not a LedgerHub demo folder" in result.output
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_demo_serves_at_once_and_syncs_in_the_background(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeBooks()
    served: list[tuple[str, int, bool]] = []

    def fake_serve(hub: Any, host: str, port: int, *, worker: bool, interval: float) -> None:
        served.append((host, port, worker))
        for _ in range(1000):  # the UI is "up" while the background sync delivers
            if len(fake.objects) >= 10:
                return
            threading.Event().wait(0.01)

    monkeypatch.setattr(cmd_ops, "serve_app", fake_serve)
    args = ["demo", "--dir", str(tmp_path / "d"), "--repair-orders", "4", "--port", "5999"]
    result = CliRunner().invoke(demo_cli(fake, DemoOffers()), args)
    assert result.exit_code == 0, result.output
    assert served == [("127.0.0.1", 5999, False)]
    assert "Sign in as owner@demo.example with password" in result.output
    assert len(fake.objects) >= 10
