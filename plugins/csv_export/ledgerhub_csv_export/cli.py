"""``ledgerhub export csv``: a whole period of one shop into a new folder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from hub.domain.kinds import DEPENDENCY_ORDER
from hub.plugin.cli import current_services
from ledgerhub_csv_export.export import export_records
from ledgerhub_csv_export.folder import FolderConflictError
from ledgerhub_csv_export.layout import FILES
from ledgerhub_csv_export.settings import DATE_FORMATS, ENCODINGS, ISO_DATE, CsvFormat
from ledgerhub_csv_export.writer import UnwritableValueError

DELIMITER_NAMES = {"comma": ",", "semicolon": ";", "tab": "\t", "pipe": "|"}
_DAY = click.DateTime(formats=["%Y-%m-%d"])


@click.group("export")
def export_group() -> None:
    """Export a shop's records to files."""


@export_group.command("csv")
@click.option("--shop", "shop_id", required=True, help="The shop's id.")
@click.option("--since", type=_DAY, required=True, help="First day of the period (YYYY-MM-DD, UTC).")
@click.option("--until", type=_DAY, required=True,
              help="Last day of the period, included (YYYY-MM-DD, UTC).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="A new or empty folder for the files.")
@click.option("--delimiter", type=click.Choice(list(DELIMITER_NAMES)), default="comma", show_default=True)
@click.option("--encoding", type=click.Choice(list(ENCODINGS)), default="utf-8", show_default=True,
              help="utf-8-sig writes a byte-order mark for Excel.")
@click.option("--date-format", type=click.Choice(list(DATE_FORMATS)), default=ISO_DATE, show_default=True)
def export_csv(shop_id: str, since: datetime, until: datetime, out: Path, delimiter: str,
               encoding: str, date_format: str) -> None:
    """Write the latest version of each record the hub received for a shop in a period as CSV.

    Each record appears once, at its latest version received from --since 00:00 UTC up to and
    including --until. Rows are streamed, so memory stays flat however large the period.
    """
    start = since.replace(tzinfo=UTC)
    end = until.replace(tzinfo=UTC) + timedelta(days=1)
    if end <= start:
        raise click.BadParameter("must not be before --since", param_hint="--until")
    fmt = CsvFormat(DELIMITER_NAMES[delimiter], encoding, date_format)
    records = current_services().iter_records(shop_id, DEPENDENCY_ORDER, since=start, until=end)
    try:
        report = export_records(records, out, fmt, shop_id, datetime.now(UTC))
    except FolderConflictError as exc:
        raise click.BadParameter(exc.message, param_hint="--out") from exc
    except UnwritableValueError as exc:
        raise click.ClickException(f"{exc}; {out} holds the rows written before it") from exc
    except OSError as exc:
        raise click.ClickException(f"cannot write to {out}: {exc.strerror or exc}") from exc
    width = max(len(name) for name in FILES)
    click.echo(f"{'file':<{width}}  {'rows':>10}  {'total':>16}")
    for name, layout in FILES.items():
        total = f"{report.totals.get(name, 0):.2f}" if layout.amount_column else ""
        click.echo(f"{name:<{width}}  {report.rows.get(name, 0):>10}  {total:>16}")
    click.echo(f"{report.total_rows} rows written to {out}")
    if not report.total_rows:
        click.echo(f"no records of shop {shop_id!r} were received between {start:%Y-%m-%d} and "
                   f"{until:%Y-%m-%d} (UTC); check the shop id and the dates")
    if report.summary is not None:
        click.echo(f"summary: {report.summary}")
