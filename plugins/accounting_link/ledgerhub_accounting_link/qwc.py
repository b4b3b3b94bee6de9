"""The ``.qwc`` file a shop adds to the QuickBooks Web Connector ("Add an application").

The password (the API key) is typed into the Web Connector and never written to the file.
OwnerID and FileID are derived from the connection, so downloading the file twice gives the same
file and the Web Connector does not see a second application.
"""

from __future__ import annotations

import uuid

from lxml import etree

from hub.plugin.target import ConnectionContext
from ledgerhub_accounting_link.service import username_for

_NAMESPACE = uuid.UUID("5b0d7f5e-3c1e-4a53-9a57-6c1f3b1d2a10")
RUN_EVERY_MINUTES = 15


def qwc_document(ctx: ConnectionContext, base_url: str) -> str:
    """The ``.qwc`` XML for *ctx*, pointing the Web Connector at ``<base_url>/qbwc``."""
    root = etree.Element("QBWCXML")
    values = [
        ("AppName", f"LedgerHub - {ctx.shop.name}"[:31]),
        ("AppID", ""),
        ("AppURL", f"{base_url.rstrip('/')}/qbwc"),
        ("AppDescription", f"Repair orders, payments, inventory and bills of {ctx.shop.name} "
                           "from LedgerHub"),
        ("AppSupport", f"{base_url.rstrip('/')}/"),
        ("UserName", username_for(ctx.connection_id)),
        ("OwnerID", f"{{{uuid.uuid5(_NAMESPACE, f'owner:{ctx.connection_id}')}}}"),
        ("FileID", f"{{{uuid.uuid5(_NAMESPACE, f'file:{ctx.shop.id}:{ctx.connection_id}')}}}"),
        ("QBType", "QBFS"),
        ("Style", "Document"),
    ]
    for tag, value in values:
        etree.SubElement(root, tag).text = value
    scheduler = etree.SubElement(root, "Scheduler")
    etree.SubElement(scheduler, "RunEveryNMinutes").text = str(RUN_EVERY_MINUTES)
    etree.SubElement(root, "IsReadOnly").text = "false"
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True).decode()


def qwc_filename(ctx: ConnectionContext) -> str:
    """``ledgerhub-<connection id>.qwc``."""
    return f"{username_for(ctx.connection_id)}.qwc"
