"""``ledgerhub accounting-link …`` commands."""

from __future__ import annotations

from pathlib import Path

import click

from hub.plugin.cli import current_services
from hub.plugin.target import ConnectionContext
from ledgerhub_accounting_link import config
from ledgerhub_accounting_link.qbxml import schema
from ledgerhub_accounting_link.qwc import qwc_document, qwc_filename
from ledgerhub_accounting_link.service import TARGET_NAME, username_for


@click.group("accounting-link")
def accounting_link_group() -> None:
    """Accounting Link (QuickBooks Desktop through the Web Connector)."""


@accounting_link_group.command("qwc")
@click.option("--connection", "connection_id", type=int, required=True, help="Connection id.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Folder to write the .qwc file into.")
@click.option("--url", "base_url", default="", help="Public URL of the hub (default: configured one).")
def qwc_command(connection_id: int, out_dir: Path, base_url: str) -> None:
    """Print the Web Connector user name and write the connection's .qwc file."""
    ctx = current_services().connection(connection_id)
    if ctx is None or ctx.target_name != TARGET_NAME:
        raise click.ClickException(f"connection {connection_id} is not an Accounting Link connection")
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / qwc_filename(ctx)
    path.write_text(qwc_document(ctx, base_url or config.public_url(default="http://127.0.0.1:5000")))
    click.echo(f"Web Connector user name: {username_for(connection_id)}")
    click.echo("Password: the API key Accounting Link issued")
    click.echo(f"Wrote {path}")


@accounting_link_group.command("simulate")
@click.option("--connection", "connection_id", type=int, required=True, help="Connection id.")
@click.option("--key", "api_key", required=True, help="The connection's API key (the QBWC password).")
@click.option("--books", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="JSON file keeping the fake company file between runs (default: in memory).")
def simulate_command(connection_id: int, api_key: str, books: Path | None) -> None:
    """Run one simulated Web Connector session against a fake QuickBooks (no Windows needed)."""
    from ledgerhub_accounting_link.fake_quickbooks import FakeQuickBooks
    from ledgerhub_accounting_link.service import WebConnectorService
    from ledgerhub_accounting_link.simulator import run_web_connector

    services = current_services()
    ctx = services.connection(connection_id)
    if ctx is None or ctx.target_name != TARGET_NAME:
        raise click.ClickException(f"connection {connection_id} is not an Accounting Link connection")
    company = FakeQuickBooks.load(books, sales_tax_rate=ctx.shop.tax.rate) if books else \
        FakeQuickBooks(sales_tax_rate=ctx.shop.tax.rate)
    run = run_web_connector(WebConnectorService(services), company, username_for(connection_id), api_key)
    if books:
        company.save(books)
    if run.auth == "nvu":
        raise click.ClickException("the Web Connector login was refused (wrong key or connection)")
    click.echo(f"Login: {run.auth or 'work to do'}; documents exchanged: {run.documents}; "
               f"done: {run.percents[-1] if run.percents else 100} %")
    for kind in ("Customer", "Vendor", "ItemInventory", "Invoice", "ReceivePayment", "Bill", "VendorCredit"):
        click.echo(f"  {kind:<15} {len(company.of_kind(kind))}")
    if run.last_error:
        click.echo(f"Last error: {run.last_error}")


@accounting_link_group.command("check")
@click.argument("documents", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def check_command(documents: tuple[Path, ...]) -> None:
    """Check qbXML request files against the 13.0 schema and the US QuickBooks Desktop rules."""
    click.echo(f"Schema folder: {config.schema_dir()}")
    failed = False
    for path in documents:
        problems = schema.problems(path.read_text())
        failed = failed or bool(problems)
        click.echo(f"{path}: {'ok' if not problems else ''}")
        for problem in problems:
            click.echo(f"  {problem}")
    if failed:
        raise SystemExit(1)


def announce_connection(ctx: ConnectionContext) -> None:
    """Under ``ledgerhub connect accounting_link …``: print the Web Connector user name and write
    the ``.qwc`` file into the current folder. Does nothing outside that command (the web UI
    offers the file as a download instead)."""
    click_ctx = click.get_current_context(silent=True)
    if click_ctx is None or click_ctx.command.name != "connect":
        return
    click.echo(f"Web Connector user name: {username_for(ctx.connection_id)} "
               "(password: the API key Accounting Link issued)")
    path = Path.cwd() / qwc_filename(ctx)
    try:
        path.write_text(qwc_document(ctx, config.public_url(default="http://127.0.0.1:5000")))
    except OSError as exc:  # the connection itself is fine; only the file could not be written
        click.echo(f"Could not write {path} ({exc.strerror}); run 'ledgerhub accounting-link qwc "
                   f"--connection {ctx.connection_id} --out FOLDER'.", err=True)
        return
    click.echo(f"Wrote {path}: add it in the QuickBooks Web Connector (Add an application).")
