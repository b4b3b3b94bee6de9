"""``ledgerhub qbo-sandbox``: run the sandbox in the foreground."""

from __future__ import annotations

import signal
import time
from decimal import Decimal

import click

from ledgerhub_qbo_sandbox.server import DEFAULT_REDIRECT_URIS, SandboxServer

#: Where ``ledgerhub connect`` receives the OAuth answer by default (its --callback-port 8976).
CONNECT_REDIRECT_URI = "http://127.0.0.1:8976/callback"


def registered_redirect_uris(extra: tuple[str, ...] | list[str] = ()) -> tuple[str, ...]:
    """The redirect URIs the command registers: the defaults, ``ledgerhub connect``'s, then *extra*."""
    return tuple(dict.fromkeys((*DEFAULT_REDIRECT_URIS, CONNECT_REDIRECT_URI, *extra)))


@click.command("qbo-sandbox")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8765,
    show_default=True,
    help="Loopback port to listen on (0 picks a free one).",
)
@click.option(
    "--time-scale",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="Sandbox seconds per real second: token lifetimes and throttle windows shrink by it.",
)
@click.option("--auto-approve", is_flag=True, help="Approve the consent page at once.")
@click.option(
    "--country",
    type=click.Choice(["US", "CA"], case_sensitive=False),
    default="US",
    show_default=True,
    help="Country of the default company.",
)
@click.option(
    "--tax-rate",
    type=Decimal,
    default=Decimal("0.0825"),
    show_default=True,
    help="US sales-tax rate of the default company.",
)
@click.option(
    "--redirect-uri",
    "redirect_uris",
    multiple=True,
    help=f"Another redirect URI to register for the app (repeatable); {CONNECT_REDIRECT_URI} "
    "(ledgerhub connect's default) and http://127.0.0.1/callback are always registered.",
)
@click.option(
    "--fault",
    "faults",
    multiple=True,
    metavar="SETTING=VALUE",
    help="Fault injection, e.g. error_500=0.05, error_503=0.02, slow=0.1, slow_seconds=5, "
    "drop_after_commit=0.01, unauthorized=0.01, throttle_format=xml, seed=7 (repeatable).",
)
def qbo_sandbox(
    port: int,
    time_scale: float,
    auto_approve: bool,
    country: str,
    tax_rate: Decimal,
    redirect_uris: tuple[str, ...],
    faults: tuple[str, ...],
) -> None:
    """Run a local QuickBooks Online sandbox (OAuth 2 and the v3 API) until interrupted."""
    server = SandboxServer(
        port=port,
        time_scale=time_scale,
        auto_approve=auto_approve,
        country=country.upper(),
        tax_rate=tax_rate,
        redirect_uris=registered_redirect_uris(redirect_uris),
    )
    settings = dict(fault.partition("=")[::2] for fault in faults)
    try:
        server.faults.update(settings)
    except ValueError as problem:
        raise click.BadParameter(str(problem), param_hint="--fault") from None
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        server.start()
        _announce(server, time_scale)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        click.echo("stopped")
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.stop()


def _announce(server: SandboxServer, time_scale: float) -> None:
    credentials = server.client_credentials
    realm = server.state.realm(server.default_realm_id)
    click.echo(f"QBO sandbox on {server.base_url}  (time scale {time_scale:g})")
    click.echo(f"  discovery:     {server.discovery_url}")
    click.echo(f"  API base:      {server.base_url}/v3")
    click.echo(f"  client id:     {credentials.client_id}")
    click.echo(f"  client secret: {credentials.client_secret}")
    click.echo(f"  redirect URIs: {', '.join(credentials.redirect_uris)}")
    click.echo(f"  realm:         {realm.realm_id} ({realm.country})")
    click.echo(f"  admin:         {server.base_url}/admin/realms, {server.base_url}/admin/faults")
    click.echo(f"  faults:        {server.faults.as_dict()}")


def _interrupt(_signum: int, _frame: object) -> None:
    # SIGTERM ends the command the same way Ctrl-C does.
    raise KeyboardInterrupt
