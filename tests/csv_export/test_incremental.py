"""Each sync writes only new record versions; redelivering a version never adds a row."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from ledgerhub_csv_export.layout import FILES
from ledgerhub_csv_export.target import CsvExportTarget

from hub import Action, InvoiceStatus, NeedsAttentionError


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in FILES if (folder / name).exists()}


def test_redelivery_writes_nothing(ctx, out_dir: Path, kit) -> None:
    records = kit.sample_records()
    target = CsvExportTarget()
    target.deliver_many(ctx, kit.make_deliveries(records))
    before = _snapshot(out_dir)
    ctx.clock += timedelta(minutes=1)
    outcomes = target.deliver_many(ctx, kit.make_deliveries(records))
    assert all("already in" in o.detail and "nothing written" in o.detail for o in outcomes)
    assert _snapshot(out_dir) == before
    assert len(kit.summaries(out_dir)) == 1  # a run that wrote nothing has no summary


def test_redelivery_after_restart_writes_nothing(ctx, out_dir: Path, kit) -> None:
    records = kit.sample_records()
    CsvExportTarget().deliver_many(ctx, kit.make_deliveries(records))
    before = _snapshot(out_dir)
    fresh = CsvExportTarget()  # a new worker process: only the manifest on disk knows
    for delivery in kit.make_deliveries(records, first_id=100):
        fresh.deliver(ctx, delivery)
    assert _snapshot(out_dir) == before


def test_same_version_twice_in_one_batch_is_one_row(ctx, out_dir: Path, kit) -> None:
    customer = kit.sample_records()[0]
    CsvExportTarget().deliver_many(ctx, kit.make_deliveries([customer, customer]))
    assert len(kit.read_rows(out_dir / "customer.csv")) == 1


def test_new_version_adds_rows_with_its_version(ctx, out_dir: Path, kit) -> None:
    records = kit.sample_records()
    invoice = next(r for r in records if r.id == "RO-1")
    target = CsvExportTarget()
    target.deliver_many(ctx, kit.make_deliveries(records))
    changed = replace(invoice, repair_order_number="RO 1 (corrected)")
    target.deliver(ctx, kit.make_deliveries([changed], version=2, action=Action.UPDATE)[0])
    rebuilt = kit.rebuild(out_dir)
    assert rebuilt[("invoice", "RO-1", 1)] == invoice
    assert rebuilt[("invoice", "RO-1", 2)] == changed
    rows = [r for r in kit.read_rows(out_dir / "invoice.csv") if r["id"] == "RO-1"]
    assert [r["version"] for r in rows] == ["1", "2"]
    lines = [r for r in kit.read_rows(out_dir / "invoice_lines.csv") if r["invoice_id"] == "RO-1"]
    assert [r["invoice_version"] for r in lines] == ["1"] * 6 + ["2"] * 6


def test_voided_invoice_is_a_new_version_row(ctx, out_dir: Path, kit) -> None:
    invoice = next(r for r in kit.sample_records() if r.id == "RO-2")
    target = CsvExportTarget()
    target.deliver(ctx, kit.make_deliveries([invoice])[0])
    voided = replace(invoice, status=InvoiceStatus.VOIDED)
    result = target.deliver(ctx, kit.make_deliveries([voided], version=2, action=Action.VOID)[0])
    assert result.detail == "wrote 1 row to invoice.csv, 1 row to invoice_lines.csv"
    rows = kit.read_rows(out_dir / "invoice.csv")
    assert [(r["version"], r["status"]) for r in rows] == [("1", "closed"), ("2", "voided")]


def test_wrong_kind_needs_attention(ctx, kit) -> None:
    from hub import Delivery, EntityKind

    customer = kit.sample_records()[0]
    delivery = Delivery(id=1, connection_id=1, kind=EntityKind.VENDOR, record=customer, version=1,
                        action=Action.CREATE, idempotency_key="k")
    [outcome] = CsvExportTarget().deliver_many(ctx, [delivery])
    assert isinstance(outcome, NeedsAttentionError)


def test_two_workers_sharing_a_folder_never_duplicate(ctx, out_dir: Path, kit) -> None:
    records = kit.sample_records()
    first, second = CsvExportTarget(), CsvExportTarget()  # each caches its own view of the folder
    first.deliver_many(ctx, kit.make_deliveries(records[:6]))
    second.deliver_many(ctx, kit.make_deliveries(records))
    outcomes = first.deliver_many(ctx, kit.make_deliveries(records[6:]))
    assert all("nothing written" in o.detail for o in outcomes)
    assert kit.rebuild(out_dir) == {(r.kind.value, r.id, 1): r for r in records}


def test_deleted_folder_is_recreated(ctx, out_dir: Path, kit) -> None:
    import shutil

    records = kit.sample_records()
    target = CsvExportTarget()
    target.deliver_many(ctx, kit.make_deliveries(records[:3]))
    shutil.rmtree(out_dir)
    target.deliver_many(ctx, kit.make_deliveries(records[3:]))
    assert kit.rebuild(out_dir) == {(r.kind.value, r.id, 1): r for r in records[3:]}


def test_unreadable_run_state_starts_a_new_run(ctx, out_dir: Path, kit) -> None:
    ctx.state.set("run", "not even a mapping")
    CsvExportTarget().begin_batch(ctx)
    ctx.state.set("run", {"id": "x", "folder": str(out_dir), "ended_at": "not a time"})
    target = CsvExportTarget()
    target.begin_batch(ctx)
    target.deliver_many(ctx, kit.make_deliveries(kit.sample_records()[:2]))
    target.end_batch(ctx)
    assert len(kit.summaries(out_dir)) == 1
    assert ctx.state.get("run")["ended_at"] == ctx.clock.isoformat()

