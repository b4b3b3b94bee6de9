"""LedgerHub target plugin: every kind of record as CSV files for a bookkeeper.

This module holds only the hook implementations; the work is done in the modules they import.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from hub.plugin import hookimpl
from ledgerhub_csv_export.cli import export_group
from ledgerhub_csv_export.demo import demo_connection
from ledgerhub_csv_export.preview import preview
from ledgerhub_csv_export.settings import configure
from ledgerhub_csv_export.target import CsvExportTarget

if TYPE_CHECKING:
    import click
    from flask import Blueprint

    from hub.demo_types import DemoConnection
    from hub.domain.records import Shop
    from hub.plugin.target import ConnectionContext, Delivery, HubServices, PreviewDocument, Target


@hookimpl
def ledgerhub_targets() -> list[Target]:
    """The ``csv_export`` target."""
    return [CsvExportTarget()]


@hookimpl
def ledgerhub_blueprints(services: HubServices) -> list[Blueprint]:
    """"Export now" and "Download as ZIP" under ``/plugins/csv_export`` (the target's ``ui_actions``)."""
    from ledgerhub_csv_export.blueprint import create_blueprint

    return [create_blueprint(services)]


@hookimpl
def ledgerhub_configure(config: dict[str, Any]) -> None:
    """Read ``csv_root`` (the folder every output folder must lie in; ``LEDGERHUB_CSV_ROOT`` wins)."""
    configure(config)


@hookimpl
def ledgerhub_preview(
    target_name: str, context: ConnectionContext, delivery: Delivery
) -> PreviewDocument | None:
    """The CSV rows a delivery would produce, for the ``csv_export`` target only."""
    if target_name != CsvExportTarget.name:
        return None
    return preview(context, delivery)


@hookimpl
def ledgerhub_cli_commands() -> list[click.Command]:
    """``ledgerhub export csv``."""
    return [export_group]


@hookimpl
def ledgerhub_demo_connection(shop: Shop, workdir: Path) -> DemoConnection | None:
    """A CSV export connection writing into the demo's work directory."""
    return demo_connection(shop, workdir)
