"""LedgerHub target for QuickBooks Desktop through the Web Connector (Accounting Link).

The Web Connector (or Accounting Link's own Windows client speaking the same protocol) polls
``/qbwc``; the plugin hands it qbXML 13.0 built from the hub's deliveries and records what
QuickBooks answered. See ``docs/accounting_link.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from hub.plugin import hookimpl

if TYPE_CHECKING:
    import click
    from flask import Blueprint

    from hub.demo_types import DemoConnection
    from hub.domain.records import Shop
    from hub.plugin.target import ConnectionContext, Delivery, HubServices, PreviewDocument, Target

TARGET_NAME = "accounting_link"


@hookimpl
def ledgerhub_targets() -> list[Target]:
    """The Accounting Link target."""
    from ledgerhub_accounting_link.target import AccountingLinkTarget

    return [AccountingLinkTarget()]


@hookimpl
def ledgerhub_blueprints(services: HubServices) -> list[Blueprint]:
    """The Web Connector endpoint at ``/qbwc`` and the ``.qwc`` download."""
    from ledgerhub_accounting_link.blueprint import create_blueprint, create_pages_blueprint

    return [create_blueprint(services), create_pages_blueprint(services)]


@hookimpl
def ledgerhub_preview(
    target_name: str, context: ConnectionContext, delivery: Delivery
) -> PreviewDocument | None:
    """The qbXML document a delivery turns into."""
    if target_name != TARGET_NAME:
        return None
    from ledgerhub_accounting_link.preview import preview_document

    return preview_document(context, delivery)


@hookimpl
def ledgerhub_cli_commands() -> list[click.Command]:
    """``ledgerhub accounting-link …``: the ``.qwc`` file, a schema check, a local run."""
    from ledgerhub_accounting_link.cli import accounting_link_group

    return [accounting_link_group]


@hookimpl
def ledgerhub_configure(config: dict[str, Any]) -> None:
    """Read the schema folder and public URL from the hub's configuration."""
    from ledgerhub_accounting_link import config as plugin_config

    plugin_config.configure(config)


@hookimpl
def ledgerhub_demo_connection(shop: Shop, workdir: Path, services: HubServices) -> DemoConnection | None:
    """A connection the demo completes with a simulated Web Connector and QuickBooks."""
    from ledgerhub_accounting_link.demo import demo_connection

    return demo_connection(shop, workdir, services)
