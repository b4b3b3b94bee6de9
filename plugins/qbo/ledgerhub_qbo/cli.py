"""``ledgerhub qbo-accounts``: the income accounts a connection's items can post to."""

from __future__ import annotations

import click

from hub.errors import DeliveryError
from hub.plugin.cli import current_services
from ledgerhub_qbo import items
from ledgerhub_qbo.faults import QboFault, to_delivery_error
from ledgerhub_qbo.limiter import default_limiter
from ledgerhub_qbo.session import QboSession


@click.command("qbo-accounts")
@click.argument("connection_id", type=int)
def qbo_accounts(connection_id: int) -> None:
    """List the QuickBooks income accounts of CONNECTION_ID and the account each item uses.

    Map an item to another account with the connection's ``income_accounts`` setting
    (item name → account Id); an unmapped item keeps the account it has in QuickBooks, and
    items the hub creates get the default shown here.
    """
    ctx = current_services().connection(connection_id)
    if ctx is None or ctx.target_name != "qbo":
        raise click.UsageError(f"no active QuickBooks Online connection {connection_id}")
    try:
        session = QboSession.open(ctx, default_limiter())
        accounts = session.call(lambda: items.income_accounts(session.api))
    except QboFault as fault:
        raise click.ClickException(to_delivery_error(fault, "Listing accounts").message) from fault
    except DeliveryError as exc:
        raise click.ClickException(exc.message) from exc
    default = ctx.state.get(items.DEFAULT_ACCOUNT_KEY) or items.default_income_account(accounts)
    names = {a["Id"]: a["Name"] for a in accounts}
    click.echo("Income accounts:")
    for account in accounts:
        mark = "  (default)" if account["Id"] == default else ""
        click.echo(f"  {account['Id']:>6}  {account['Name']}{mark}")
    mapping = session.settings.income_accounts
    click.echo("Items:")
    known = ctx.state.get(items.ITEMS_KEY) or {}
    for name in items.ITEM_NAMES:
        # An item found in the shop's books keeps its own account until the shop maps it.
        current = (known.get(name) or {}).get("account")
        chosen = mapping.get(name) or current or default or ""
        source = "mapped" if name in mapping else ("in QuickBooks" if current else "default")
        click.echo(f"  {name:<16} → {names.get(chosen, chosen)} [{chosen}] ({source})")
