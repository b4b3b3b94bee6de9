"""Crash safety: rows written without their manifest line, torn rows, torn manifest lines, and a
writer process killed with SIGKILL — redelivery afterwards never produces a second row."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import pytest
from ledgerhub_csv_export.folder import MANIFEST, STATE_DIR
from ledgerhub_csv_export.layout import FILES
from ledgerhub_csv_export.target import CsvExportTarget

from hub import Customer, FatalConnectionError, Payment, PaymentMethod


def _manifest(folder: Path) -> Path:
    return folder / STATE_DIR / MANIFEST


def test_rows_without_manifest_line_are_dropped_then_redelivered_once(ctx, out_dir: Path, kit) -> None:
    records = kit.sample_records()
    first, second = records[:5], records[5:]
    CsvExportTarget().deliver_many(ctx, kit.make_deliveries(first))
    committed = _manifest(out_dir).stat().st_size
    CsvExportTarget().deliver_many(ctx, kit.make_deliveries(second))
    # The crash: rows of the second batch are on disk, its manifest line never made it.
    with open(_manifest(out_dir), "r+b") as fh:
        fh.truncate(committed)
    assert len(kit.read_rows(out_dir / "invoice.csv")) == 2
    CsvExportTarget().deliver_many(ctx, kit.make_deliveries(second))  # the engine redelivers
    assert kit.rebuild(out_dir) == {(r.kind.value, r.id, 1): r for r in records}


def test_torn_row_and_torn_manifest_line_are_repaired(ctx, out_dir: Path, kit) -> None:
    records = kit.sample_records()
    CsvExportTarget().deliver_many(ctx, kit.make_deliveries(records[:5]))
    with open(out_dir / "customer.csv", "ab") as fh:
        fh.write(b'C-9,1,"half a ro')
    with open(out_dir / "invoice.csv", "ab") as fh:
        fh.write(b"RO-9,1,9")
    with open(_manifest(out_dir), "ab") as fh:
        fh.write(b'{"run":"x","keys":[["invoice","RO-9",1]],"ends":{"invo')
    CsvExportTarget().deliver_many(ctx, kit.make_deliveries(records))
    assert kit.rebuild(out_dir) == {(r.kind.value, r.id, 1): r for r in records}
    lines = _manifest(out_dir).read_bytes().splitlines()
    assert all(json.loads(line)["run"] != "x" for line in lines)


def test_summary_of_a_crashed_run_is_recovered(ctx, out_dir: Path, kit) -> None:
    target = CsvExportTarget()
    target.begin_batch(ctx)
    target.deliver_many(ctx, kit.make_deliveries(kit.sample_records()))
    # The worker dies before end_batch: no summary yet. The next worker to open the folder writes it.
    assert kit.summaries(out_dir) == []
    CsvExportTarget().deliver_many(ctx, kit.make_deliveries(kit.sample_records()))
    [summary] = kit.summaries(out_dir)
    assert summary["invoice.csv"]["rows"] == "2" and summary["invoice.csv"]["total"] == "449.09"


def test_file_edited_shorter_stops_the_connection(ctx, out_dir: Path, kit) -> None:
    records = kit.sample_records()
    CsvExportTarget().deliver_many(ctx, kit.make_deliveries(records[:2]))
    path = out_dir / "customer.csv"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(FatalConnectionError, match="shorter than LedgerHub wrote it"):
        CsvExportTarget().deliver_many(ctx, kit.make_deliveries(records[2:]))


# -- real crashes: a writer process killed with SIGKILL --------------------------------------

CHILD = textwrap.dedent(
    """
    import json, os, sys, time
    from dataclasses import dataclass, field
    from datetime import UTC, date, datetime
    from decimal import Decimal
    import logging

    from hub import Action, Customer, Delivery, Payment, PaymentMethod, Shop
    from ledgerhub_csv_export import folder as folder_module
    from ledgerhub_csv_export.target import CsvExportTarget

    out, mode, marker = sys.argv[1], sys.argv[2], sys.argv[3]

    class Ctx:
        connection_id = 1
        target_name = "csv_export"
        shop = Shop(id="shop-1", name="Crash Auto")
        settings = {"output_folder": out}
        logger = logging.getLogger("child")
        def now(self):
            return datetime.now(UTC)

    if mode == "pause-before-commit":
        original = folder_module.ExportFolder._append_manifest
        def paused(self, line, durable=True):
            open(marker, "w").close()   # rows are written and fsynced; tell the parent to kill us
            time.sleep(60)
            original(self, line, durable)
        folder_module.ExportFolder._append_manifest = paused

    def records(batch):
        for i in range(batch * 50, batch * 50 + 50):
            yield Customer(id=f"C-{i}", first_name="=cmd" if i % 7 == 0 else f"Name {i}",
                           last_name="multi\\nline, \\"quoted\\"")
            yield Payment(id=f"P-{i}", invoice_id="RO-1", amount=Decimal(i) / 4 - 10,
                          method=PaymentMethod.CARD, received_on=date(2026, 1, 1))

    target = CsvExportTarget()
    ctx = Ctx()
    for batch in range(10_000):
        deliveries = [Delivery(id=n, connection_id=1, kind=r.kind, record=r, version=1,
                               action=Action.CREATE, idempotency_key=f"{r.kind}:{r.id}")
                      for n, r in enumerate(records(batch))]
        target.deliver_many(ctx, deliveries)
        if mode == "pause-before-commit" or batch == 300:
            break
    """
)


def _records_of_batches(batches: range) -> list:
    from datetime import date
    from decimal import Decimal

    out = []
    for batch in batches:
        for i in range(batch * 50, batch * 50 + 50):
            out.append(Customer(id=f"C-{i}", first_name="=cmd" if i % 7 == 0 else f"Name {i}",
                                last_name='multi\nline, "quoted"'))
            out.append(Payment(id=f"P-{i}", invoice_id="RO-1", amount=Decimal(i) / 4 - 10,
                               method=PaymentMethod.CARD, received_on=date(2026, 1, 1)))
    return out


def _spawn(tmp_path: Path, out_dir: Path, mode: str) -> tuple[subprocess.Popen, Path]:
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    marker = tmp_path / f"marker-{time.monotonic_ns()}"
    proc = subprocess.Popen([sys.executable, str(script), str(out_dir), mode, str(marker)],
                            stderr=subprocess.PIPE)
    return proc, marker


def _wait_for(condition, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None:
            pytest.fail(f"child exited early: {proc.stderr.read().decode()}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("child never reached the point to kill it")
        time.sleep(0.01)


def _assert_each_version_once(out_dir: Path, kit, records: list) -> None:
    rebuilt = kit.rebuild(out_dir)  # raises on any duplicate (kind, id, version)
    assert rebuilt == {(r.kind.value, r.id, 1): r for r in records}
    for name in FILES:
        keys = Counter((row.get("id"), row.get("version")) for row in kit.read_rows(out_dir / name))
        assert all(n == 1 for n in keys.values()), name


def test_sigkill_after_rows_before_commit(tmp_path: Path, out_dir: Path, ctx, kit) -> None:
    proc, marker = _spawn(tmp_path, out_dir, "pause-before-commit")
    _wait_for(marker.exists, proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    written = kit.read_rows(out_dir / "payment.csv")
    assert len(written) == 50  # the rows are on disk, uncommitted
    records = _records_of_batches(range(1))
    CsvExportTarget().deliver_many(ctx, kit.make_deliveries(records))
    _assert_each_version_once(out_dir, kit, records)


def test_sigkill_at_random_moments_mid_write(tmp_path: Path, out_dir: Path, ctx, kit) -> None:
    for kill_after in (0.05, 0.2, 0.35):
        proc, _ = _spawn(tmp_path, out_dir, "loop")
        manifest = _manifest(out_dir)
        _wait_for(lambda m=manifest: m.exists() and m.stat().st_size > 0, proc)
        time.sleep(kill_after)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait() == -signal.SIGKILL, "the child finished before it could be killed"
        proc.stderr.close()
    records = _records_of_batches(range(301))
    CsvExportTarget().deliver_many(ctx, kit.make_deliveries(records))
    _assert_each_version_once(out_dir, kit, records)


def test_damaged_manifest_line_in_the_middle_stops_rather_than_cutting(ctx, out_dir: Path, kit) -> None:
    records = kit.sample_records()
    CsvExportTarget().deliver_many(ctx, kit.make_deliveries(records[:3]))
    CsvExportTarget().deliver_many(ctx, kit.make_deliveries(records[3:6]))
    manifest = _manifest(out_dir)
    first, second = manifest.read_bytes().splitlines(keepends=True)
    manifest.write_bytes(b"{not json}\n" + second)
    before = (out_dir / "customer.csv").read_bytes()
    with pytest.raises(FatalConnectionError, match="is damaged at byte 0"):
        CsvExportTarget().deliver_many(ctx, kit.make_deliveries(records[6:]))
    assert (out_dir / "customer.csv").read_bytes() == before  # committed rows are never cut


def test_damaged_folder_description_stops_the_connection(ctx, out_dir: Path, kit) -> None:
    CsvExportTarget().deliver_many(ctx, kit.make_deliveries(kit.sample_records()[:1]))
    (out_dir / STATE_DIR / "folder.json").write_text("{")
    with pytest.raises(FatalConnectionError, match="folder.json is damaged"):
        CsvExportTarget().deliver_many(ctx, kit.make_deliveries(kit.sample_records()[1:2]))
