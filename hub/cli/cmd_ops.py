"""Running the hub: ``init``, ``serve``, ``worker``, ``sync`` and reading ``logs``."""

from __future__ import annotations

import json
import logging
import re
import threading
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import click

from hub.cli.state import fail, state
from hub.cli.worker import (
    celery_environment,
    celery_worker_command,
    exec_celery,
    run_worker,
    start_worker_thread,
)
from hub.domain.schemas import parse_kind

if TYPE_CHECKING:
    from hub.sync.runtime import Hub

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(value: str) -> timedelta:
    """``90s``, ``15m``, ``1h``, ``2d``, ``1w`` → a timedelta; ``BadParameter`` otherwise."""
    match = _DURATION.match(value)
    if not match:
        raise click.BadParameter(f"expected a duration such as 30m, 1h or 2d, got {value!r}")
    return timedelta(**{_UNITS[match[2]]: float(match[1])})


def parse_record_ref(value: str) -> tuple[str, str]:
    """``invoice:RO-7`` → ``("invoice", "RO-7")``; ``BadParameter`` naming the known kinds."""
    kind, sep, record_id = value.partition(":")
    if not sep or not record_id:
        raise click.BadParameter(f"expected KIND:ID such as invoice:RO-7, got {value!r}")
    try:
        return parse_kind(kind).value, record_id
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command("init")
def init_command() -> None:
    """Create the instance folder and the database (or bring it to the newest schema)."""
    hub = state().hub
    click.echo(f"Instance folder: {hub.config.instance_path}")
    click.echo(f"Database:        {_redacted(hub.config.database_url)}")
    click.echo(f"Targets:         {', '.join(sorted(hub.targets)) or 'none installed'}")
    click.echo("Next: ledgerhub shop create SHOP_ID --name NAME, then ledgerhub shop token SHOP_ID.")


def _redacted(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--worker/--no-worker",
    default=True,
    show_default=True,
    help="Also run the in-process sync worker thread.",
)
@click.option("--interval", default=5.0, show_default=True, help="Seconds between idle worker passes.")
def serve_command(host: str, port: int, worker: bool, interval: float) -> None:
    """Serve the API and settings UI with waitress (and sync in the background)."""
    serve_app(state().hub, host, port, worker=worker, interval=interval)


def serve_app(hub: Hub, host: str, port: int, *, worker: bool, interval: float) -> None:
    """Serve *hub*'s web app until Ctrl-C, with an optional worker thread."""
    from waitress.server import create_server

    from hub.web import create_app

    try:
        server = create_server(create_app(hub), host=host, port=port, threads=8)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port} ({exc.strerror}); pick another --port", 1)
    stop: threading.Event | None = None
    if worker:
        _, stop = start_worker_thread(hub, interval)
    click.echo(
        f"Serving on http://{host}:{server.effective_port}/ (API at /api/v1, OpenAPI at "
        "/api/v1/openapi.json). Press Ctrl-C to stop."
    )
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        if stop is not None:
            stop.set()


@click.command("worker")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between idle passes.")
@click.option("--once", is_flag=True, help="One pass until nothing is due, then exit.")
@click.option(
    "--celery", is_flag=True, help="Run a Celery worker (BROKER_URL) instead of the in-process loop."
)
@click.option("--beat", is_flag=True, help="With --celery: embed the scheduler (run exactly one).")
@click.option("--concurrency", type=click.IntRange(1), help="With --celery: pool processes.")
def worker_command(interval: float, once: bool, celery: bool, beat: bool, concurrency: int | None) -> None:
    """Run the sync worker in the foreground (Ctrl-C stops): the in-process loop, or with
    ``--celery`` the Celery worker of a vendor deployment."""
    if (beat or concurrency is not None) and not celery:
        fail("--beat and --concurrency need --celery", 2)
    if celery:
        if once:
            fail("--once runs the in-process loop; it does not combine with --celery", 2)
        argv = celery_worker_command(beat=beat, concurrency=concurrency)
        exec_celery(argv, celery_environment(state().instance))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    stop = threading.Event()
    try:
        delivered = run_worker(state().hub, stop, interval, once=once)
    except KeyboardInterrupt:
        stop.set()
        return
    click.echo(f"Delivered {delivered} records.")


@click.command("sync")
@click.option("--shop", "shop_id", help="Only this shop's connections.")
@click.option("--plugin", "target_name", help="Only connections to this target.")
def sync_command(shop_id: str | None, target_name: str | None) -> None:
    """Deliver everything that is due now, then print what happened."""
    hub = state().hub
    if shop_id is None and target_name is None:
        ids: list[int | None] = [None]
    else:
        if shop_id is None:
            fail("--plugin needs --shop", 2)
        ids = [
            c.id
            for c in hub.connections(shop_id)
            if c.status == "active" and (target_name is None or c.target_name == target_name)
        ]
        if not ids:
            fail(f"shop {shop_id} has no active connection{' to ' + target_name if target_name else ''}", 1)
    delivered = retried = attention = 0
    disconnected: list[int] = []
    for connection_id in ids:
        report = hub.sync(connection_id)
        delivered += report.delivered
        retried += report.retried
        attention += report.needs_attention
        disconnected += report.disconnected
    click.echo(f"Delivered {delivered}, will retry {retried}, need attention {attention}.")
    for connection_id in disconnected:
        click.echo(f"Connection {connection_id}: {hub.connection_status(connection_id)}")


@click.command("logs")
@click.option("--plugin", help="Only this target's attempts.")
@click.option("--shop", "shop_id", help="Only this shop.")
@click.option("--record", "record", help="Only one record: KIND:ID, e.g. invoice:RO-7.")
@click.option("--since", help="Only attempts in the last 30m, 1h, 2d…")
@click.option("--status", help="Only this outcome (delivered, retry, needs_attention…).")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def logs_command(
    plugin: str | None,
    shop_id: str | None,
    record: str | None,
    since: str | None,
    status: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Show delivery attempts, newest first."""
    ref = parse_record_ref(record) if record else None
    hub = state().hub
    after: datetime | None = hub.now() - parse_duration(since) if since else None
    entries = hub.log_entries(
        plugin=plugin, shop_id=shop_id, record=ref, since=after, status=status, limit=limit
    )
    if plugin and plugin not in hub.targets and not entries:
        installed = ", ".join(sorted(hub.targets)) or "none"
        fail(f"no target named {plugin!r}; installed: {installed}", 2)
    if as_json:
        for entry in entries:
            click.echo(json.dumps({f: getattr(entry, f) for f in entry.__dataclass_fields__}, default=str))
        return
    if not entries:
        click.echo("No delivery attempts match.")
        return
    for e in entries:
        target = f" → {e.target_id}" if e.target_id else ""
        error = f"  {e.error}" if e.error else ""
        click.echo(
            f"{e.at:%Y-%m-%d %H:%M:%S} {e.plugin:<12} {e.shop_id:<10} {e.kind}:{e.source_id} "
            f"v{e.version} {e.action:<6} {e.outcome} (attempt {e.attempt}, {e.duration_ms} ms)"
            f"{target}{error}"
        )
