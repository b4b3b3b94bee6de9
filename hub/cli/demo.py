"""``ledgerhub demo``: a demo shop, its history, every target that can run locally, synced.

Each run starts from a fresh demo folder (``./demo-output`` by default, wiped first), so a
re-run never trips over the previous run's shop. The database is a SQLite file in that folder
whatever ``DATABASE_URL`` says, so the demo never touches a real hub's data.
"""

from __future__ import annotations

import secrets
import shutil
import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import click

from hub.cli.state import CliState, state
from hub.demo_types import DemoConnection
from hub.domain.generator import generate_history
from hub.domain.records import Location, Record, Shop, TaxCategory, TaxSettings

if TYPE_CHECKING:
    from hub.sync.runtime import Hub

DEMO_SHOP = Shop(
    id="demo",
    name="Main Street Auto (demo)",
    country="US",
    region="TX",
    timezone="America/Chicago",
    locations=(Location(id="main", name="Main Street"), Location(id="north", name="North Side")),
    tax=TaxSettings(
        rate=Decimal("0.0825"), taxable=frozenset({TaxCategory.PARTS, TaxCategory.SHOP_SUPPLIES})
    ),
)
DEMO_USER = "owner@demo.example"
INGEST_CHUNK = 500
#: How long --once waits for pull targets (fetched by a remote client) to drain.
PULL_WAIT_SECONDS = 60.0


@dataclass
class DemoResult:
    """What one target got in the demo."""

    target: str
    connection_id: int | None
    delivered: int = 0
    failed: int = 0
    needs_attention: int = 0
    pending: int = 0
    status: str = ""
    error: str = ""

    @property
    def complete(self) -> bool:
        """Everything was delivered and nothing failed."""
        return (
            not self.error
            and self.connection_id is not None
            and self.delivered > 0
            and not (self.failed or self.needs_attention or self.pending)
        )


def _fresh_folder(folder: Path) -> Path:
    folder = folder.resolve()
    if folder.exists():
        if not (folder / ".ledgerhub-demo").exists() and any(folder.iterdir()):
            raise click.ClickException(
                f"{folder} exists and is not a LedgerHub demo folder; pick another --dir"
            )
        shutil.rmtree(folder)
    (folder / "work").mkdir(parents=True)
    (folder / ".ledgerhub-demo").write_text("made by ledgerhub demo; deleted by the next run\n")
    return folder


def _demo_hub(cli: CliState, folder: Path) -> Hub:
    from hub.sync.runtime import Hub

    config = cli.config(
        instance_path=folder / "instance", database_url=f"sqlite:///{folder / 'instance' / 'demo.sqlite3'}"
    )
    return Hub(config, host=cli.host)


def _connect(hub: Hub, offer: DemoConnection) -> int:
    # The demo shop already has its history when it connects, as a real shop would: the
    # "all existing data" start mode backfills it (QBO then uses its batch API).
    connection_id = hub.connect(DEMO_SHOP.id, offer.target_name, dict(offer.settings), "history")
    target = hub.targets[offer.target_name]
    if target.needs_authorization:
        if offer.authorize is None:
            raise RuntimeError(f"{offer.target_name} needs authorization but its demo offers no authorizer")
        url = hub.begin_authorization(connection_id, f"{hub.config.public_url}/demo/callback")
        hub.complete_authorization(connection_id, offer.authorize(url))
    if offer.start_client is not None:
        offer.start_client(connection_id)
    return connection_id


def _ingest(hub: Hub, records: int, seed: int) -> int:
    count = 0
    batch: list[Record] = []
    for record in generate_history(seed, DEMO_SHOP, records):
        batch.append(record)
        if len(batch) >= INGEST_CHUNK:
            hub.ingest(DEMO_SHOP.id, batch)
            count += len(batch)
            batch = []
    if batch:
        hub.ingest(DEMO_SHOP.id, batch)
        count += len(batch)
    return count


def _tally(hub: Hub, result: DemoResult) -> None:
    if result.connection_id is None:
        return
    counts = hub.delivery_counts(result.connection_id)
    result.delivered = counts.get("delivered", 0)
    result.needs_attention = counts.get("needs_attention", 0)
    result.failed = counts.get("skipped", 0)
    # Counts the history a backfill has still to queue too: right after a "history" connect
    # nothing is queued yet, and "0 queued" must not read as "all delivered".
    ctx = hub.services.connection(result.connection_id)
    queued = counts.get("pending", 0) + counts.get("claimed", 0) + counts.get("waiting", 0)
    result.pending = hub.services.pending_count(ctx) if ctx is not None else queued
    result.status = hub.connection_status(result.connection_id)


def _history_through(hub: Hub, result: DemoResult) -> bool:
    """True when the history backfill is through (records needing attention count: the
    result reports them)."""
    assert result.connection_id is not None
    done, total = hub.backfill_progress(result.connection_id)
    return done + result.needs_attention >= total


def _wait_for_pull(hub: Hub, results: list[DemoResult], deadline: float) -> None:
    """Pull targets are fetched by their own client; give it time to drain: done when nothing
    waits to go, the history backfill included (its records not yet queued count as pending)."""
    pull = [r for r in results if r.connection_id is not None and hub.pull_mode(r.connection_id)]
    while pull and time.monotonic() < deadline:
        for result in pull:
            _tally(hub, result)
        if not any(r.pending or not _history_through(hub, r) for r in pull):
            return
        time.sleep(0.5)


@click.command("demo")
@click.option(
    "--dir",
    "folder",
    default="demo-output",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The demo's folder (wiped first).",
)
@click.option("--repair-orders", default=300, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option("--seed", default=2026, show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--once", is_flag=True, help="Do not serve: exit 0 when everything was delivered, 1 otherwise.")
def demo_command(folder: Path, repair_orders: int, seed: int, port: int, once: bool) -> None:
    """Run the whole job on a demo shop: history in, every local target connected and synced."""
    cli = state()
    folder = _fresh_folder(folder)
    hub = _demo_hub(cli, folder)
    hub.create_shop(DEMO_SHOP)
    password = secrets.token_urlsafe(9)
    hub.create_user(DEMO_SHOP.id, DEMO_USER, password)
    offers = hub.host.call_each(
        "ledgerhub_demo_connection", shop=DEMO_SHOP, workdir=folder / "work", services=hub.services
    )
    results: list[DemoResult] = []
    teardowns = [
        offer.teardown
        for _, offer in offers
        if isinstance(offer, DemoConnection) and offer.teardown is not None
    ]
    try:
        started = time.monotonic()
        stored = _ingest(hub, repair_orders, seed)
        click.echo(
            f"Stored {stored} records ({repair_orders} repair orders) in {time.monotonic() - started:.1f} s"
        )
        for plugin_name, offer in offers:
            if not isinstance(offer, DemoConnection) or offer.target_name not in hub.targets:
                hub.host.record_error(plugin_name, f"ledgerhub_demo_connection returned {offer!r}")
                continue
            try:
                results.append(DemoResult(offer.target_name, _connect(hub, offer)))
            except Exception as exc:  # noqa: BLE001 - one target failing must not stop the demo
                results.append(DemoResult(offer.target_name, None, error=str(exc)))
        click.echo(
            f"Demo shop {DEMO_SHOP.id!r} in {folder}; connected: "
            f"{', '.join(r.target for r in results if r.connection_id) or 'nothing'}"
        )
        if once:
            complete = _sync_and_report(hub, results, pull_wait=PULL_WAIT_SECONDS)
            raise SystemExit(0 if complete else 1)
        _serve_while_syncing(hub, results, port, password)
    finally:
        for teardown in teardowns:
            try:
                teardown()
            except Exception as exc:  # noqa: BLE001
                click.echo(f"teardown failed: {exc!r}", err=True)
        hub.close()


def _sync_and_report(hub: Hub, results: list[DemoResult], pull_wait: float) -> bool:
    """Sync until idle, count per target, print; True when every target got everything."""
    started = time.monotonic()
    hub.sync()
    _wait_for_pull(hub, results, time.monotonic() + pull_wait)
    for result in results:
        if result.connection_id is not None:
            _tally(hub, result)
    click.echo(f"Synced in {time.monotonic() - started:.1f} s")
    _print_results(results)
    return bool(results) and all(r.complete for r in results)


def _serve_while_syncing(hub: Hub, results: list[DemoResult], port: int, password: str) -> None:
    """Serve the UI at once; sync in the background (report when idle, then keep working)."""
    from hub.cli.cmd_ops import serve_app
    from hub.cli.worker import run_worker

    stop = threading.Event()

    def sync_then_work() -> None:
        _sync_and_report(hub, results, pull_wait=PULL_WAIT_SECONDS)
        run_worker(hub, stop, interval=2.0)

    worker = threading.Thread(target=sync_then_work, name="ledgerhub-demo-sync", daemon=True)
    worker.start()
    click.echo(
        f"Syncing in the background; the settings UI is up meanwhile. "
        f"Sign in as {DEMO_USER} with password {password}"
    )
    try:
        serve_app(hub, "127.0.0.1", port, worker=False, interval=2.0)
    finally:
        stop.set()
        worker.join(timeout=10)


def _print_results(results: list[DemoResult]) -> None:
    if not results:
        click.echo("No installed target can run locally; nothing was delivered.")
        return
    for r in results:
        if r.error:
            click.secho(f"{r.target:<16} could not connect: {r.error}", fg="red")
            continue
        colour = "green" if r.complete else "yellow"
        click.secho(
            f"{r.target:<16} delivered {r.delivered}, failed {r.failed}, "
            f"need attention {r.needs_attention}, pending {r.pending} — {r.status}",
            fg=colour,
        )
