"""Benchmark the CSV export: 1,000,000 rows, next to the stdlib ``csv.writer`` writing the same rows.

Run: ``.venv/bin/python bench/csv_export.py [--rows N] [--out DIR]``

Both contenders run in their own subprocess, one after the other, so each gets a clean peak-RSS
reading (``resource.getrusage``). The records come from :func:`hub.domain.generator.generate_history`:
a pool of realistic shop history is generated first (outside the timing) and cycled with rising
version numbers until the rows add up to the target, so both write exactly the same rows.

* ``ledgerhub csv_export`` — :func:`ledgerhub_csv_export.export.export_records`: formula
  neutralisation, amounts, version column, per-file totals, committed chunks with fsync and a
  manifest, the run summary.
* ``stdlib csv.writer`` — the same cells (built by the same layout functions), handed straight
  to ``csv.writer`` over files opened with ``newline=""``: no manifest, no fsync, no totals.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

POOL_REPAIR_ORDERS = 6_000
SEED = 20260126


def _pool() -> list[tuple[object, int]]:
    """Generated records, each with the number of rows it makes."""
    from ledgerhub_csv_export.cells import DateCells
    from ledgerhub_csv_export.layout import KINDS

    from hub.domain.generator import generate_history
    from hub.domain.records import Shop

    dates = DateCells("%Y-%m-%d")
    pool = []
    for record in generate_history(SEED, Shop(id="bench", name="Bench Auto"), POOL_REPAIR_ORDERS):
        rows = sum(len(group) for group in KINDS[record.kind].rows(record, 1, dates))
        pool.append((record, rows))
    return pool


def _stream(pool: list[tuple[object, int]], rows: int) -> Iterator[tuple[object, int]]:
    """(record, version) pairs cycling through *pool* until *rows* rows are reached."""
    written, version = 0, 0
    while True:
        version += 1
        for record, n in pool:
            if written >= rows:
                return
            yield record, version
            written += n


def _ledgerhub(records: Iterator[tuple[object, int]], out: Path) -> int:
    from ledgerhub_csv_export.export import export_records
    from ledgerhub_csv_export.settings import CsvFormat

    report = export_records(records, out, CsvFormat(), "bench", datetime.now(UTC))  # type: ignore[arg-type]
    return report.total_rows


def _stdlib(records: Iterator[tuple[object, int]], out: Path) -> int:
    import csv

    from ledgerhub_csv_export.cells import DateCells
    from ledgerhub_csv_export.layout import FILES, KINDS

    out.mkdir(parents=True)
    handles = {name: open(out / name, "w", newline="", encoding="utf-8") for name in FILES}  # noqa: SIM115
    writers = {name: csv.writer(fh) for name, fh in handles.items()}
    for name, layout in FILES.items():
        writers[name].writerow(layout.columns)
    dates = DateCells("%Y-%m-%d")
    total = 0
    for record, version in records:
        layout = KINDS[record.kind]  # type: ignore[attr-defined]
        for file, rows in zip(layout.files, layout.rows(record, version, dates), strict=True):
            writers[file.filename].writerows(rows)
            total += len(rows)
    for fh in handles.values():
        fh.close()
    return total


def _worker(name: str, rows: int, out: Path) -> None:
    pool = _pool()
    pool_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    run = {"ledgerhub": _ledgerhub, "stdlib": _stdlib}[name]
    started, cpu_started = time.perf_counter(), time.process_time()
    written = run(_stream(pool, rows), out)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rows": written, "seconds": seconds, "cpu": cpu, "peak_kb": peak, "pool_kb": pool_rss}))


def main() -> None:
    """Run both contenders and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, help="keep the files here (default: a temporary folder)")
    parser.add_argument("--worker", choices=["ledgerhub", "stdlib"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args.worker, args.rows, args.out)
        return
    with tempfile.TemporaryDirectory(prefix="csv-bench-") as tmp:
        base = args.out or Path(tmp)
        results = {}
        for name in ("ledgerhub", "stdlib"):
            done = subprocess.run(
                [sys.executable, __file__, "--worker", name, "--rows", str(args.rows), "--out",
                 str(base / name)], check=True, capture_output=True, text=True,
            )
            results[name] = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"{'writer':<22} {'rows':>10} {'wall s':>7} {'rows/s':>9} {'CPU s':>7} {'rows/CPU s':>10} "
          f"{'peak RSS MB':>11} {'pool MB':>8}")
    labels = {"ledgerhub": "ledgerhub csv_export", "stdlib": "stdlib csv.writer"}
    for name, r in results.items():
        print(f"{labels[name]:<22} {r['rows']:>10,} {r['seconds']:>7.2f} {r['rows'] / r['seconds']:>9,.0f} "
              f"{r['cpu']:>7.2f} {r['rows'] / r['cpu']:>10,.0f} {r['peak_kb'] / 1024:>11.1f} "
              f"{r['pool_kb'] / 1024:>8.1f}")
    ours, theirs = results["ledgerhub"], results["stdlib"]
    # CPU time is the steadier measure on a shared machine; wall time includes the fsyncs.
    cpu_ratio = theirs["cpu"] / ours["cpu"]
    wall_ratio = theirs["seconds"] / ours["seconds"]
    peak_mb = ours["peak_kb"] / 1024
    print(f"speed: {cpu_ratio:.2f}x the stdlib writer by CPU time, {wall_ratio:.2f}x by wall time "
          f"(target >= 0.50: {'met' if min(cpu_ratio, wall_ratio) >= 0.5 else 'NOT met'}); "
          f"peak memory {peak_mb:.0f} MB (target < 200 MB: {'met' if peak_mb < 200 else 'NOT met'})")

if __name__ == "__main__":
    main()
