"""The demo connection (not offered yet: the demo has no Web Connector to poll the hub)."""

from __future__ import annotations

from pathlib import Path

from hub.demo_types import DemoConnection
from hub.domain.records import Shop


def demo_connection(shop: Shop, workdir: Path) -> DemoConnection | None:
    """``None``: Accounting Link needs a Web Connector, which the demo does not run."""
    return None
