"""Exporting a whole period into a new folder, streaming (memory stays flat)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from hub.domain.records import Record
from ledgerhub_csv_export.folder import ExportFolder
from ledgerhub_csv_export.settings import CsvFormat
from ledgerhub_csv_export.summary import RunTotals
from ledgerhub_csv_export.writer import ExportWriter

#: Rows buffered between commits: large enough for few fsyncs, small enough for flat memory.
CHUNK_ROWS = 50_000


@dataclass(frozen=True, slots=True)
class ExportReport:
    """What a period export wrote: the summary file and the per-file counts and totals."""

    folder: Path
    summary: Path | None
    rows: dict[str, int]
    totals: dict[str, Decimal]

    @property
    def total_rows(self) -> int:
        """Rows over every file."""
        return sum(self.rows.values())


def export_records(
    records: Iterable[tuple[Record, int]],
    out: Path,
    fmt: CsvFormat,
    shop_id: str,
    now: datetime,
    *,
    chunk_rows: int = CHUNK_ROWS,
) -> ExportReport:
    """Write *records* (``(record, version)`` pairs, each at most once) into the new folder *out*.

    The folder must not exist or be empty (:class:`~ledgerhub_csv_export.folder.FolderConflictError`
    otherwise). Rows are committed every *chunk_rows* rows, so an interrupted export leaves
    whole rows only; versions are not de-duplicated in memory, which keeps memory flat.
    """
    folder = ExportFolder.open(out, fmt, shop_id, track_keys=False, require_empty=True)
    with folder.locked():
        run_id = folder.start_run(now)
        writer = ExportWriter(folder, run_id)
        for record, version in records:
            writer.add(record, version)
            if writer.pending_rows >= chunk_rows:
                # Chunks are committed (whole rows only, even if the process dies) but fsynced
                # once at the end: a period export interrupted by power loss is simply rerun.
                writer.commit(durable=False)
        writer.commit()
        summary = folder.finish_run(run_id)
        totals = folder.runs.get(run_id, RunTotals())
    return ExportReport(folder=out, summary=summary, rows=dict(totals.rows), totals=dict(totals.totals))
