"""``ledgerhub import`` and ``ledgerhub shop``: getting shops and records into the hub."""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING

import click

from hub.cli.records_file import FORMATS, LineResult, guess_format, kind_from_name, read_records
from hub.cli.state import fail, state
from hub.domain.countries import country_problem
from hub.domain.kinds import EntityKind
from hub.domain.records import Location, Record, Shop, TaxCategory, TaxSettings
from hub.domain.schemas import dump_shop, load_shop, parse_kind
from hub.errors import ConfigurationError, RecordValidationError

if TYPE_CHECKING:
    from hub.sync.runtime import Hub

MAX_SHOWN_ERRORS = 50


def _kind_option(value: str | None) -> EntityKind | None:
    if value is None:
        return None
    try:
        return parse_kind(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--shop", "shop_id", required=True, help="The shop the records belong to.")
@click.option(
    "--format", "fmt", type=click.Choice(FORMATS), help="Default: from the file name (.csv, else jsonl)."
)
@click.option("--kind", help="The kind of every record (CSV: required unless the file is named <kind>.csv).")
@click.option(
    "--chunk",
    default=500,
    show_default=True,
    type=click.IntRange(1, 10_000),
    help="Records stored per transaction.",
)
def import_command(file: Path, shop_id: str, fmt: str | None, kind: str | None, chunk: int) -> None:
    """Import records from a JSON Lines or CSV FILE.

    The whole file is checked first: if any line is invalid, every problem is listed with its
    line number and nothing is stored. Then records are stored in chunks; re-running the same
    file is safe (unchanged records stay as they are).
    """
    fmt = fmt or guess_format(file)
    chosen = _kind_option(kind) or (kind_from_name(file) if fmt == "csv" else None)
    if fmt == "csv" and chosen is None:
        fail("a CSV file holds one kind of record: pass --kind (or name the file <kind>.csv)", 2)
    hub = state().hub
    try:
        hub.get_shop(shop_id)
    except (KeyError, LookupError):
        fail(f"no shop {shop_id!r}; create it with 'ledgerhub shop create'", 2)
    size = file.stat().st_size
    problems, lines = _check(file, fmt, chosen, size)
    if problems:
        for message in problems[:MAX_SHOWN_ERRORS]:
            click.echo(message, err=True)
        if len(problems) > MAX_SHOWN_ERRORS:
            click.echo(f"… and {len(problems) - MAX_SHOWN_ERRORS} more", err=True)
        fail(f"{file.name}: {len(problems)} problems; nothing was imported")
    counts = _store(hub, shop_id, file, fmt, chosen, size, chunk)
    click.echo(
        f"Imported {lines} records from {file.name} into shop {shop_id}: "
        f"{counts['created']} created, {counts['updated']} updated, {counts['unchanged']} unchanged."
    )


def _check(file: Path, fmt: str, kind: EntityKind | None, size: int) -> tuple[list[str], int]:
    problems: list[str] = []
    lines = 0
    bar_stream = _bar_stream()
    with file.open("rb") as handle, click.progressbar(length=size, label="Checking ", file=bar_stream) as bar:
        done = 0
        for result in read_records(handle, fmt, kind):
            lines += 1
            problems.extend(result.describe_error())
            bar.update(result.offset - done)
            done = result.offset
        bar.update(size - done)
    return problems, lines


def _store(
    hub: Hub, shop_id: str, file: Path, fmt: str, kind: EntityKind | None, size: int, chunk: int
) -> Counter[str]:
    counts: Counter[str] = Counter()
    batch: list[LineResult] = []
    bar_stream = _bar_stream()
    with file.open("rb") as handle, click.progressbar(length=size, label="Importing", file=bar_stream) as bar:
        done = 0
        for result in read_records(handle, fmt, kind):
            batch.append(result)
            if len(batch) >= chunk:
                _ingest(hub, shop_id, batch, counts)
                bar.update(result.offset - done)
                done = result.offset
                batch = []
        if batch:
            _ingest(hub, shop_id, batch, counts)
        bar.update(size - done)
    return counts


def _ingest(hub: Hub, shop_id: str, batch: list[LineResult], counts: Counter[str]) -> None:
    records: list[Record] = [r.record for r in batch if r.record is not None]
    try:
        outcomes = hub.ingest(shop_id, records, validated=True)  # read_records used load_record
    except RecordValidationError as exc:
        line = next(
            (
                r.line
                for r in batch
                if r.record is not None and r.record.id == exc.record_id and r.record.kind.value == exc.kind
            ),
            batch[0].line,
        )
        for message in LineResult(line, 0, error=exc).describe_error():
            click.echo(message, err=True)
        stored = sum(counts.values())
        fail(
            f"stopped at line {line}; the {stored} records before line {batch[0].line} were stored. "
            "Fix the line and run the import again (stored records will show as unchanged)."
        )
    counts.update(o.status for o in outcomes)


def _bar_stream() -> object:
    return click.get_text_stream("stderr")


# --- shops -------------------------------------------------------------------------------


@click.group("shop")
def shop_group() -> None:
    """Create, show and change shops; issue API tokens."""


def _parse_location(value: str) -> Location:
    location_id, sep, name = value.partition("=")
    if not sep or not location_id or not name:
        raise click.BadParameter(f"expected ID=NAME, got {value!r}")
    return Location(id=location_id, name=name)


def _country(value: str) -> str:
    problem = country_problem(value.strip())
    if problem:
        raise click.BadParameter(problem)
    return value.strip().upper()


@shop_group.command("create")
@click.argument("shop_id")
@click.option("--name", required=True)
@click.option("--country", default="US", show_default=True, callback=lambda _c, _p, v: _country(v),
              help="ISO 3166 two-letter code: US or CA (the countries targets serve).")
@click.option("--region", default="")
@click.option("--timezone", default="America/New_York", show_default=True)
@click.option("--tax-rate", default="0", show_default=True, help="A fraction: 0.0825 is 8.25 %.")
@click.option(
    "--taxable",
    default="parts",
    show_default=True,
    help=f"Comma-separated taxable categories: {', '.join(c.value for c in TaxCategory)}.",
)
@click.option("--location", "locations", multiple=True, help="ID=NAME; repeat for several.")
def shop_create(
    shop_id: str,
    name: str,
    country: str,
    region: str,
    timezone: str,
    tax_rate: str,
    taxable: str,
    locations: tuple[str, ...],
) -> None:
    """Create shop SHOP_ID."""
    data = {
        "id": shop_id,
        "name": name,
        "country": country,
        "region": region,
        "timezone": timezone,
        "locations": [{"id": loc.id, "name": loc.name} for loc in map(_parse_location, locations)],
        "tax": {"rate": tax_rate, "taxable": [t.strip() for t in taxable.split(",") if t.strip()]},
    }
    try:
        shop = load_shop(data)
        state().hub.create_shop(shop)
    except RecordValidationError as exc:
        fail(str(exc), 2)
    except ConfigurationError as exc:
        fail(str(exc), 2)
    click.echo(f"Created shop {shop_id} ({name}).")


@shop_group.command("show")
@click.argument("shop_id")
def shop_show(shop_id: str) -> None:
    """Print shop SHOP_ID, its features and connections as JSON."""
    hub = state().hub
    try:
        shop = hub.get_shop(shop_id)
    except (KeyError, LookupError):
        fail(f"no shop {shop_id!r}", 2)
    connections = [
        {
            "id": c.id,
            "target": c.target_name,
            "status": c.status,
            "start_mode": c.start_mode,
            "status_line": hub.connection_status(c.id),
        }
        for c in hub.connections(shop_id)
    ]
    click.echo(
        json.dumps(
            {**dump_shop(shop), "features": hub.features(shop_id), "connections": connections},
            indent=2,
            default=str,
        )
    )


def _parse_feature(value: str) -> tuple[str, bool]:
    name, sep, switch = value.partition("=")
    if not sep or switch.lower() not in ("on", "off", "true", "false", "1", "0"):
        raise click.BadParameter(f"expected NAME=on or NAME=off, got {value!r}")
    return name, switch.lower() in ("on", "true", "1")


@shop_group.command("set")
@click.argument("shop_id")
@click.option("--feature", "features", multiple=True, help="NAME=on|off, e.g. qbo=on; repeat for several.")
@click.option("--name", help="A new shop name.")
@click.option("--tax-rate", help="A new tax rate (fraction).")
def shop_set(shop_id: str, features: tuple[str, ...], name: str | None, tax_rate: str | None) -> None:
    """Change shop SHOP_ID: feature switches (subscriptions), name, tax rate."""
    hub = state().hub
    try:
        shop = hub.get_shop(shop_id)
    except (KeyError, LookupError):
        fail(f"no shop {shop_id!r}", 2)
    switches = [_parse_feature(f) for f in features]
    if name or tax_rate:
        try:
            rate = Decimal(tax_rate) if tax_rate else shop.tax.rate
        except InvalidOperation:
            raise click.BadParameter(f"not a number: {tax_rate!r}", param_hint="--tax-rate") from None
        data = dump_shop(
            Shop(
                id=shop.id,
                name=name or shop.name,
                country=shop.country,
                region=shop.region,
                timezone=shop.timezone,
                locations=shop.locations,
                tax=TaxSettings(rate=rate, taxable=shop.tax.taxable),
            )
        )
        try:
            hub.update_shop(load_shop(data))
        except RecordValidationError as exc:
            fail(str(exc), 2)
    for feature, on in switches:
        hub.set_feature(shop_id, feature, on)
        click.echo(f"{shop_id}: {feature} {'on' if on else 'off'}")
    if name or tax_rate:
        click.echo(f"{shop_id}: profile updated")


@shop_group.command("token")
@click.argument("shop_id")
def shop_token(shop_id: str) -> None:
    """Issue a new API token for SHOP_ID (shown once; only its hash is stored)."""
    hub = state().hub
    try:
        hub.get_shop(shop_id)
    except (KeyError, LookupError):
        fail(f"no shop {shop_id!r}", 2)
    click.echo(hub.issue_api_token(shop_id))
