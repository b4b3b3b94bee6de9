"""LedgerHub target: QuickBooks Online (one-way; customers, invoices, payments).

Talks to QBO through python-quickbooks and intuit-oauth. The API base URL and the OAuth
discovery URL are settings, so production, Intuit's sandbox and the local QBO sandbox
(``ledgerhub_qbo_sandbox``) run the same code. See docs/qbo.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from hub.demo_types import DemoConnection
from hub.domain.records import Shop
from hub.plugin import hookimpl
from hub.plugin.target import ConnectionContext, Delivery, PreviewDocument, Target
from ledgerhub_qbo import cli, demo, preview
from ledgerhub_qbo.session import APP_CREDENTIALS
from ledgerhub_qbo.target import QboTarget


@hookimpl
def ledgerhub_targets() -> list[Target]:
    """The QuickBooks Online target."""
    return [QboTarget()]


@hookimpl
def ledgerhub_preview(
    target_name: str, context: ConnectionContext, delivery: Delivery
) -> PreviewDocument | None:
    """The JSON request a delivery turns into, without sending it."""
    if target_name != QboTarget.name:
        return None
    return preview.render(context, delivery)


@hookimpl
def ledgerhub_demo_connection(shop: Shop, workdir: Path) -> DemoConnection | None:
    """A connection to a local QBO sandbox that approves access by itself."""
    return demo.demo_connection(shop, workdir)


@hookimpl
def ledgerhub_cli_commands() -> list[click.Command]:
    """``ledgerhub qbo-accounts CONNECTION_ID``: income accounts and the item mapping."""
    return [cli.qbo_accounts]


@hookimpl
def ledgerhub_configure(config: dict[str, Any]) -> None:
    """Take the operator's Intuit app credentials (``qbo_client_id``, ``qbo_client_secret``)."""
    for key in ("client_id", "client_secret"):
        value = config.get(f"qbo_{key}")
        if value:
            APP_CREDENTIALS[key] = str(value)
