"""Benchmark the CSV export: 1,000,000 rows, next to the stdlib ``csv.writer`` writing the same rows.

Run: ``.venv/bin/python bench/csv_export.py [--rows N] [--repeat N] [--out DIR]``

Both contenders run in their own subprocess, alternating (best of ``--repeat``), so each gets a
clean peak-RSS reading (``resource.getrusage``). Wall time and CPU time are both shown: on a
shared machine CPU time is the steadier measure. The records come from
:func:`hub.domain.generator.generate_history`: a pool of realistic shop history is generated
first (outside the timing) and cycled with rising version numbers until the rows add up to the
target, so both write exactly the same rows.

* ``ledgerhub csv_export`` — :func:`ledgerhub_csv_export.export.export_records`: formula
  neutralisation, amounts, version column, per-file totals, chunks committed to a
  manifest and fsynced once at the end, the run summary.
* ``stdlib csv.writer`` — the same cells (built by the same layout functions), handed straight
  to ``csv.writer`` over files opened with ``newline=""``: no manifest, no fsync, no totals.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
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


def _timed_fsync() -> dict[str, float]:
    """Count the time spent in ``os.fsync`` (the exporter's durability cost)."""
    import os

    spent = {"fsync": 0.0}
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        started = time.perf_counter()
        real_fsync(fd)
        spent["fsync"] += time.perf_counter() - started

    os.fsync = fsync
    return spent


def _worker(name: str, rows: int, out: Path) -> None:
    pool = _pool()
    pool_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    run = {"ledgerhub": _ledgerhub, "stdlib": _stdlib}[name]
    spent = _timed_fsync()
    started, cpu_started = time.perf_counter(), time.process_time()
    written = run(_stream(pool, rows), out)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rows": written, "seconds": seconds, "cpu": cpu, "fsync": spent["fsync"],
                      "peak_kb": peak, "pool_kb": pool_rss}))


def _run(name: str, rows: int, out: Path) -> dict[str, float]:
    command = [sys.executable, __file__, "--worker", name, "--rows", str(rows), "--out", str(out)]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    """Run both contenders (alternating, best of ``--repeat``) and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1, help="runs per contender; the best is shown")
    parser.add_argument("--out", type=Path, help="keep the files here (default: a temporary folder)")
    parser.add_argument("--worker", choices=["ledgerhub", "stdlib"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args.worker, args.rows, args.out)
        return
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="csv-bench-") as tmp:
        base = args.out or Path(tmp)
        for attempt in range(args.repeat):
            for name in ("ledgerhub", "stdlib"):
                out = base / f"{name}-{attempt}"
                r = _run(name, args.rows, out)
                shutil.rmtree(out)
                best = results.get(name)
                results[name] = {key: min(best[key], r[key]) if best else r[key] for key in r}
    print(f"{'writer':<22} {'rows':>10} {'wall s':>7} {'rows/s':>9} {'CPU s':>7} {'rows/CPU s':>10} "
          f"{'fsync s':>7} {'peak RSS MB':>11} {'pool MB':>8}")
    labels = {"ledgerhub": "ledgerhub csv_export", "stdlib": "stdlib csv.writer"}
    for name, r in results.items():
        print(f"{labels[name]:<22} {r['rows']:>10,.0f} {r['seconds']:>7.2f} "
              f"{r['rows'] / r['seconds']:>9,.0f} {r['cpu']:>7.2f} {r['rows'] / r['cpu']:>10,.0f} "
              f"{r['fsync']:>7.2f} {r['peak_kb'] / 1024:>11.1f} {r['pool_kb'] / 1024:>8.1f}")
    ours, theirs = results["ledgerhub"], results["stdlib"]
    cpu_ratio = theirs["cpu"] / ours["cpu"]
    wall_ratio = theirs["seconds"] / ours["seconds"]
    # The stdlib writer never fsyncs; the exporter fsyncs once at the end (see fsync s).
    wall_ratio_no_fsync = theirs["seconds"] / (ours["seconds"] - ours["fsync"])
    peak_mb = ours["peak_kb"] / 1024
    print(f"speed vs the stdlib writer: {cpu_ratio:.2f}x by CPU time, {wall_ratio:.2f}x by wall time, "
          f"{wall_ratio_no_fsync:.2f}x by wall time without the final fsync (target >= 0.50)")
    print(f"peak memory: {peak_mb:.0f} MB (target < 200 MB: {'met' if peak_mb < 200 else 'NOT met'})")

if __name__ == "__main__":
    main()
