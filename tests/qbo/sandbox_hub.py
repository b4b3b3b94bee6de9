"""Helpers of the end-to-end tests: a hub with only the QBO plugin, connected to a QBO sandbox
through the real OAuth flow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ledgerhub_qbo
import requests
from ledgerhub_qbo.demo import follow_authorization
from ledgerhub_qbo_sandbox import SandboxServer

from hub.config import HubConfig
from hub.domain.records import Shop
from hub.plugin.manager import build_plugin_manager
from hub.sync.runtime import Hub

TIME_SCALE = 100.0
"""Sandbox seconds per real second (and the plugin's limiter matches it)."""
REDIRECT_URI = "http://127.0.0.1/callback"


def make_hub(config: HubConfig, clock: Any) -> Hub:
    """A hub whose only plugin is ledgerhub_qbo."""
    host = build_plugin_manager(load_entrypoints=False, extra_plugins=[("qbo", ledgerhub_qbo)])
    return Hub(config, host=host, clock=clock)


@dataclass
class Connected:
    """A connection made through the hub, and the sandbox company behind it."""

    hub: Hub
    sandbox: SandboxServer
    shop: Shop
    connection_id: int
    realm: str

    def objects(self, entity: str) -> list[dict[str, Any]]:
        return self.sandbox.objects(self.realm, entity)

    def sync(self, clock: Any = None, rounds: int = 1) -> None:
        """Sync until idle; with *clock*, move it an hour between rounds so retries come due."""
        for _ in range(rounds):
            self.hub.sync(self.connection_id)
            if clock is not None:
                clock.advance(hours=1)

    def history(self, kind: str, source_id: str) -> Any:
        return self.hub.delivery_history(self.shop.id, kind, source_id)[-1]

    def api(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        """Act in QBO as a bookkeeper would."""
        return bookkeeper(self.sandbox, self.realm, method, path, body)


def bookkeeper(
    sandbox: SandboxServer, realm: str, method: str, path: str, body: Any = None
) -> dict[str, Any]:
    """One request to the sandbox company, as someone working in QuickBooks directly."""
    token = sandbox.issue_tokens(realm)["access_token"]
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    response = requests.request(method, f"{sandbox.base_url}/v3/company/{realm}/{path}", json=body,
                                params={"minorversion": "75"}, headers=headers, timeout=10)
    response.raise_for_status()
    return response.json()


def settings_for(sandbox: SandboxServer) -> dict[str, str]:
    """Connection settings pointing at *sandbox*: only the two URLs (and the app) differ."""
    return {"api_base_url": sandbox.base_url, "discovery_url": sandbox.discovery_url,
            "client_id": sandbox.client_credentials.client_id,
            "client_secret": sandbox.client_credentials.client_secret}


def connect(hub: Hub, sandbox: SandboxServer, shop: Shop, start_mode: str = "forward") -> Connected:
    """Connect *shop* to *sandbox* with the OAuth flow the web app runs."""
    connection_id = hub.connect(shop.id, "qbo", settings_for(sandbox), start_mode)
    url = hub.begin_authorization(connection_id, REDIRECT_URI)
    params = follow_authorization(url)
    hub.complete_authorization(connection_id, params)
    return Connected(hub, sandbox, shop, connection_id, params["realmId"])
