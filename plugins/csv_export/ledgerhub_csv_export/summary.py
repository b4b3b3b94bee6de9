"""Run summaries: rows and amount totals per file, and the CSV they are written as."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from ledgerhub_csv_export.layout import FILES
from ledgerhub_csv_export.settings import CsvFormat

SUMMARY_COLUMNS = ("file", "rows", "total", "total_column")


@dataclass
class RunTotals:
    """Rows and amount totals per file of one run (summed over its commits)."""

    rows: dict[str, int] = field(default_factory=dict)
    totals: dict[str, Decimal] = field(default_factory=dict)

    def add(self, rows: dict[str, int], totals: dict[str, Decimal]) -> None:
        """Add one commit's counts."""
        for name, n in rows.items():
            self.rows[name] = self.rows.get(name, 0) + n
        for name, amount in totals.items():
            self.totals[name] = self.totals.get(name, Decimal("0.00")) + amount


def csv_line(values: Iterable[str], fmt: CsvFormat) -> str:
    """One CSV record (with its line end) in the folder's dialect."""
    buf = io.StringIO()
    csv.writer(buf, delimiter=fmt.delimiter, lineterminator="\r\n").writerow(list(values))
    return buf.getvalue()


def summary_bytes(totals: RunTotals, fmt: CsvFormat) -> bytes:
    """The summary file of a run: one row per CSV file, in layout order, with its row count and
    the total of its amount column (empty for files without one)."""
    text = csv_line(SUMMARY_COLUMNS, fmt)
    for name, layout in FILES.items():
        amount = f"{totals.totals.get(name, Decimal('0.00')):.2f}" if layout.amount_column else ""
        text += csv_line((name, str(totals.rows.get(name, 0)), amount, layout.amount_column or ""), fmt)
    return fmt.bom + text.encode("utf-8")
