"""The demo's QuickBooks: a local QBO sandbox that approves the consent screen by itself.

Importing the sandbox package here is allowed (it is not a target); it is imported only when
the demo asks, so the plugin works without it installed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import requests

from hub.demo_types import DemoConnection
from hub.domain.records import Shop
from ledgerhub_qbo.limiter import TIME_SCALE_ENV

AUTHORIZE_TIMEOUT = 10.0


def demo_connection(shop: Shop, workdir: Path) -> DemoConnection | None:
    """Start a sandbox company for *shop* and return settings pointing at it; ``None`` where
    QuickBooks Online is not offered (Canada) or the sandbox is not installed."""
    if shop.country.upper() in ("CA", "CAN"):
        return None
    try:
        from ledgerhub_qbo_sandbox import SandboxServer
    except ImportError:
        return None
    time_scale = float(os.environ.get(TIME_SCALE_ENV, "1") or 1)
    sandbox = SandboxServer(port=0, time_scale=time_scale, auto_approve=True, tax_rate=shop.tax.rate).start()
    credentials = sandbox.client_credentials
    settings = {
        "api_base_url": sandbox.base_url,
        "discovery_url": sandbox.discovery_url,
        "client_id": credentials.client_id,
        "client_secret": credentials.client_secret,
    }

    def authorize(url: str) -> Mapping[str, str]:
        redirect_uri = parse_qs(urlparse(url).query).get("redirect_uri", [""])[0]
        if redirect_uri:
            sandbox.add_redirect_uri(redirect_uri)
        return follow_authorization(url)

    return DemoConnection(target_name="qbo", settings=settings, authorize=authorize, teardown=sandbox.stop)


def follow_authorization(url: str) -> dict[str, str]:
    """Open the consent URL of an auto-approving sandbox and return the callback's parameters."""
    response = requests.get(url, allow_redirects=False, timeout=AUTHORIZE_TIMEOUT)
    location = response.headers.get("Location", "")
    if response.status_code not in (301, 302, 303, 307) or not location:
        raise RuntimeError(f"the QBO sandbox did not approve the connection (HTTP {response.status_code})")
    return {key: values[0] for key, values in parse_qs(urlparse(location).query).items()}
