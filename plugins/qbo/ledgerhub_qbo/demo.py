"""The demo's QuickBooks: a local QBO sandbox that approves the consent screen by itself."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from hub.demo_types import DemoConnection
from hub.domain.records import Shop


def demo_connection(shop: Shop, workdir: Path) -> DemoConnection | None:
    """Start a sandbox server and return settings pointing at it (``None`` for Canada)."""
    if shop.country.upper() in ("CA", "CAN"):
        return None
    return None


def follow_authorization(url: str) -> Mapping[str, str]:
    """Placeholder until the sandbox lands."""
    raise NotImplementedError(url)
