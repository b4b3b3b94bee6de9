"""Plugins from the command line: list them, ``connect`` a shop, ``preview`` what would be sent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from hub.cli.cmd_ops import parse_record_ref
from hub.cli.loopback import DEFAULT_CALLBACK_PORT, LoopbackRedirect
from hub.cli.state import fail, state
from hub.domain.schemas import parse_kind
from hub.errors import ConfigurationError, HubError
from hub.plugin.manager import BLOCKED_MESSAGE


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="A JSON list of objects instead of a table.")
def plugins_command(as_json: bool) -> None:
    """List installed plugins: version, entities, countries and load errors."""
    infos = state().plugin_infos()
    rows = [row for name in sorted(infos) for row in infos[name].as_dicts()]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("No plugins installed.")
        return
    for row in rows:
        countries = ", ".join(row["countries"]) if row["countries"] is not None else "all countries"
        entities = ", ".join(row["entities"]) or "-"
        click.echo(f"{row['name']:<16} {row['version'] or '-':<8} {row['title']}")
        if row["error"] == BLOCKED_MESSAGE:
            click.secho(f"{'':<16} {BLOCKED_MESSAGE} (not loaded)", fg="yellow")
            continue
        if row["entities"]:
            click.echo(f"{'':<16} entities: {entities}; countries: {countries}")
        else:
            click.echo(f"{'':<16} (no accounting targets)")
        if row["error"]:
            click.secho(f"{'':<16} ERROR: {row['error']}", fg="red")


def parse_settings(pairs: tuple[str, ...]) -> dict[str, str]:
    """``("company=Books", "path=/tmp")`` → ``{"company": "Books", "path": "/tmp"}``."""
    settings: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--set")
        settings[key.strip()] = value
    return settings


def _report_configuration_error(exc: ConfigurationError) -> None:
    click.secho(f"Error: {exc}", fg="red", err=True)
    for field, messages in exc.errors.items():
        for message in messages:
            if message != str(exc):  # a refusal whose only detail is itself: say it once
                click.echo(f"  {field}: {message}", err=True)
    raise SystemExit(2)


@click.command("connect")
@click.argument("plugin")
@click.option("--shop", "shop_id", required=True)
@click.option("--set", "pairs", multiple=True, metavar="KEY=VALUE", help="A connection setting; repeat.")
@click.option(
    "--start-mode",
    type=click.Choice(["forward", "history"]),
    default="forward",
    show_default=True,
    help="forward: only records from now on; history: also everything stored so far.",
)
@click.option("--timeout", default=600.0, show_default=True, help="Seconds to wait for the browser step.")
@click.option(
    "--callback-port",
    type=click.IntRange(0, 65535),
    default=DEFAULT_CALLBACK_PORT,
    show_default=True,
    help="Loopback port of the OAuth redirect http://127.0.0.1:PORT/callback; that URI must be "
    "registered with the target's app (e.g. the Intuit app's redirect URIs).",
)
def connect_command(
    plugin: str, shop_id: str, pairs: tuple[str, ...], start_mode: str, timeout: float,
    callback_port: int,
) -> None:
    """Connect shop --shop to target PLUGIN without the UI.

    Targets that need a browser step (OAuth) print a URL to open; the answer comes back to a
    temporary server on http://127.0.0.1:8976/callback (see --callback-port) and the connection
    completes by itself.
    """
    hub = state().hub
    target = hub.targets.get(plugin)
    if target is None:
        fail(f"no target named {plugin!r}; installed: {', '.join(sorted(hub.targets)) or 'none'}", 2)
    settings = parse_settings(pairs)
    try:
        connection_id = hub.connect(shop_id, plugin, settings, start_mode)
        if target.needs_authorization:
            with _listen(callback_port) as loopback:
                click.echo(f"Redirect URI: {loopback.redirect_uri} (it must be registered with the "
                           f"{target.title} app)")
                url = hub.begin_authorization(connection_id, loopback.redirect_uri)
                click.echo(f"Open this URL in a browser to let LedgerHub use {target.title}:\n\n  {url}\n")
                click.echo(f"Waiting for the answer on {loopback.redirect_uri} …")
                params = loopback.wait(timeout)
            if params is None:
                fail(f"no answer within {timeout:.0f} s; run the command again", 1)
            hub.complete_authorization(connection_id, params)
    except ConfigurationError as exc:
        _report_configuration_error(exc)
    except (KeyError, LookupError):
        fail(f"no shop {shop_id!r}", 2)
    except HubError as exc:  # e.g. the sign-in service is unreachable: say so, try again later
        fail(f"could not connect to {target.title}: {exc}", 1)
    except Exception as exc:  # noqa: BLE001 - a plugin's bug is reported, not a traceback
        fail(f"the {plugin} plugin failed while connecting: {exc!r}", 1)
    click.echo(
        f"Connected shop {shop_id} to {target.title} (connection {connection_id}, {start_mode}): "
        f"{hub.connection_status(connection_id)}"
    )


def _listen(port: int) -> LoopbackRedirect:
    try:
        return LoopbackRedirect(port)
    except OSError as exc:
        fail(f"cannot listen on 127.0.0.1:{port} for the OAuth redirect ({exc.strerror}); "
             "free it or pass --callback-port with another registered port", 1)


@click.command("preview")
@click.option("--plugin", "target_name", required=True, help="The target to preview.")
@click.option("--shop", "shop_id", required=True)
@click.option(
    "--record",
    help="One record, KIND:ID (its current version). Default: the pending deliveries of the shop's "
    "connection, or, when not connected, the latest records connecting would send.",
)
@click.option("--limit", type=click.IntRange(1), help="At most this many documents.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write each document to this folder instead of printing it.",
)
def preview_command(
    target_name: str, shop_id: str, record: str | None, limit: int | None, out_dir: Path | None
) -> None:
    """Show exactly what a target would be sent, without sending or changing anything."""
    hub = state().hub
    if target_name not in hub.targets:
        fail(f"no target named {target_name!r}; installed: {', '.join(sorted(hub.targets)) or 'none'}", 2)
    chosen: Any = None
    if record:
        kind, record_id = parse_record_ref(record)
        stored = hub.get_record(shop_id, parse_kind(kind), record_id)
        if stored is None:
            fail(f"shop {shop_id} has no {kind} {record_id!r}", 2)
        chosen = stored.record
    try:
        documents = hub.preview(shop_id, target_name, chosen, limit)
    except ConfigurationError as exc:
        _report_configuration_error(exc)
    except (KeyError, LookupError):
        fail(f"no shop {shop_id!r}", 2)
    if not documents:
        click.echo(f"{target_name} would be sent nothing for shop {shop_id}.")
        return
    if out_dir is None:
        for doc in documents:
            click.echo(f"--- {doc.filename} ({doc.content_type})")
            click.echo(doc.body)
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    for doc in documents:
        path = out_dir / Path(doc.filename).name  # a plugin's file name never escapes --out
        path.write_text(doc.body, encoding="utf-8")
        click.echo(str(path))
    click.echo(f"Wrote {len(documents)} preview files to {out_dir}; nothing was sent.")
