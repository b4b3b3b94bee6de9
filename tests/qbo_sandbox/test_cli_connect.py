"""``ledgerhub connect qbo`` against the standalone sandbox's default registrations: the CLI's
fixed loopback redirect URI is registered, so the OAuth round trip completes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import ledgerhub_qbo
import pytest
import requests
from click.testing import CliRunner
from ledgerhub_qbo_sandbox import SandboxServer
from ledgerhub_qbo_sandbox.cli import CONNECT_REDIRECT_URI, qbo_sandbox, registered_redirect_uris

from hub.cli import build_cli
from hub.cli.loopback import DEFAULT_CALLBACK_PORT, loopback_redirect_uri
from hub.cli.state import CliState
from hub.domain.records import Shop
from hub.plugin.manager import build_plugin_manager
from hub.sync.runtime import Hub


@pytest.fixture
def qbo_hub(hub_config: Any, clock: Any) -> Iterator[Hub]:
    host = build_plugin_manager(load_entrypoints=False, extra_plugins=[("qbo", ledgerhub_qbo)])
    hub = Hub(hub_config, host=host, clock=clock)
    hub.create_shop(Shop(id="s1", name="Shop", country="US", region="TX"))
    yield hub
    hub.close()


def test_the_sandbox_registers_connects_default_redirect_uri() -> None:
    assert CONNECT_REDIRECT_URI == loopback_redirect_uri(DEFAULT_CALLBACK_PORT)
    uris = registered_redirect_uris(("https://hub.example/qbo/callback",))
    assert uris[-1] == "https://hub.example/qbo/callback"
    assert {"http://127.0.0.1/callback", CONNECT_REDIRECT_URI} <= set(uris)
    assert "127.0.0.1:8976/callback" in CliRunner().invoke(qbo_sandbox, ["--help"]).output


def test_connect_qbo_against_the_standalone_sandbox(qbo_hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    with SandboxServer(port=0, auto_approve=True, redirect_uris=registered_redirect_uris()) as sandbox:
        begin = qbo_hub.begin_authorization
        answered: list[int] = []

        def begin_and_open(connection_id: int, redirect_uri: str) -> str:
            url = begin(connection_id, redirect_uri)

            def open_in_browser() -> None:  # the consent page approves and redirects to the CLI
                answered.append(requests.get(url, timeout=10).status_code)

            threading.Thread(target=open_in_browser).start()
            return url

        monkeypatch.setattr(qbo_hub, "begin_authorization", begin_and_open)
        credentials = sandbox.client_credentials
        result = CliRunner().invoke(build_cli(CliState(hub=qbo_hub)), [
            "connect", "qbo", "--shop", "s1", "--timeout", "20",
            "--set", f"api_base_url={sandbox.base_url}", "--set", f"discovery_url={sandbox.discovery_url}",
            "--set", f"client_id={credentials.client_id}",
            "--set", f"client_secret={credentials.client_secret}",
        ], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"Redirect URI: {CONNECT_REDIRECT_URI}" in result.output
    assert answered == [200]
    [connection] = qbo_hub.connections("s1")
    assert connection.status == "active"


def test_a_busy_callback_port_is_a_clear_error(qbo_hub: Hub) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(build_cli(CliState(hub=qbo_hub)), [
            "connect", "qbo", "--shop", "s1", "--callback-port", str(port),
            "--set", "api_base_url=http://127.0.0.1:9", "--set", "discovery_url=http://127.0.0.1:9/d",
            "--set", "client_id=x", "--set", "client_secret=y",
        ])
    assert result.exit_code == 1, result.output
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
