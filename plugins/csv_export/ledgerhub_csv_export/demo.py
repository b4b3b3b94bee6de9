"""The demo's CSV export connection: files in a folder of the demo's work directory."""

from __future__ import annotations

from pathlib import Path

from hub.demo_types import DemoConnection
from hub.domain.records import Shop


def demo_connection(shop: Shop, workdir: Path) -> DemoConnection:
    """A connection writing into ``<workdir>/csv_export/<shop id>``."""
    folder = workdir / "csv_export" / shop.id
    return DemoConnection(
        target_name="csv_export",
        settings={"output_folder": str(folder.resolve()), "delimiter": ",", "encoding": "utf-8-sig",
                  "date_format": "%Y-%m-%d"},
    )
