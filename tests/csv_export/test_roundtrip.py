"""Reading the files back with the stdlib csv module gives exactly the delivered records, and each
run summary equals the sums of its rows."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from ledgerhub_csv_export.layout import FILES
from ledgerhub_csv_export.target import CsvExportTarget

from hub import DeliveryResult, EntityKind


def _expected(records, version=1):
    return {(r.kind.value, r.id, version): r for r in records}


def test_every_kind_round_trips_exactly(ctx, out_dir: Path, kit) -> None:
    records = kit.sample_records()
    assert {r.kind for r in records} == set(EntityKind)
    target = CsvExportTarget()
    target.connect(ctx)
    results = target.deliver_many(ctx, kit.make_deliveries(records))
    assert all(isinstance(r, DeliveryResult) for r in results), results
    assert kit.rebuild(out_dir) == _expected(records)


def test_result_names_file_and_rows(ctx, kit) -> None:
    invoice = next(r for r in kit.sample_records() if r.id == "RO-1")
    result = CsvExportTarget().deliver(ctx, kit.make_deliveries([invoice])[0])
    assert result.target_id == "invoice.csv:RO-1"
    assert result.data == {"file": "invoice.csv", "version": 1}
    assert result.detail == "wrote 1 row to invoice.csv, 6 rows to invoice_lines.csv"


@pytest.mark.parametrize(
    ("delimiter", "encoding", "date_format"),
    [(";", "utf-8-sig", "%d.%m.%Y"), ("\t", "utf-8", "%m/%d/%Y"), ("|", "utf-8-sig", "%d/%m/%Y")],
)
def test_formats_round_trip(out_dir: Path, kit, delimiter: str, encoding: str, date_format: str) -> None:
    ctx = kit.FakeContext(settings={"output_folder": str(out_dir), "delimiter": delimiter,
                                    "encoding": encoding, "date_format": date_format})
    records = kit.sample_records()
    CsvExportTarget().deliver_many(ctx, kit.make_deliveries(records))
    assert kit.rebuild(out_dir, encoding, delimiter, date_format) == _expected(records)
    bom = b"\xef\xbb\xbf"
    for name in FILES:
        starts_with_bom = (out_dir / name).read_bytes().startswith(bom)
        assert starts_with_bom is (encoding == "utf-8-sig"), name
    invoice = kit.read_rows(out_dir / "invoice.csv", encoding, delimiter)[0]
    assert invoice["invoice_date"] == {"%d.%m.%Y": "02.01.2026", "%m/%d/%Y": "01/02/2026",
                                       "%d/%m/%Y": "02/01/2026"}[date_format]
    [summary] = kit.summaries(out_dir, encoding, delimiter)
    assert summary["invoice.csv"]["total"] == "449.09"


def test_amounts_are_plain_two_place_decimals(ctx, out_dir: Path, kit) -> None:
    CsvExportTarget().deliver_many(ctx, kit.make_deliveries(kit.sample_records()))
    invoice = kit.read_rows(out_dir / "invoice.csv")[0]
    assert (invoice["total"], invoice["tax"], invoice["labor_discount"]) == ("424.09", "13.59", "10.00")
    lines = kit.read_rows(out_dir / "invoice_lines.csv")
    assert [line["amount"] for line in lines if line["invoice_id"] == "RO-1"] == [
        "180.00", "90.50", "80.00", "75.00", "5.00", "-12.50"]
    item = kit.read_rows(out_dir / "inventory_item.csv")[1]
    # A unit cost with fractions of a cent keeps them rather than being rounded away.
    assert (item["cost"], item["price"], item["quantity_on_hand"]) == ("0.125", "0.50", "-3")


def test_summary_equals_sums_of_rows_and_of_records(ctx, out_dir: Path, kit) -> None:
    records = kit.sample_records()
    CsvExportTarget().deliver_many(ctx, kit.make_deliveries(records))
    [summary] = kit.summaries(out_dir)
    assert list(summary) == list(FILES)
    for name, layout in FILES.items():
        rows = kit.read_rows(out_dir / name)
        assert int(summary[name]["rows"]) == len(rows), name
        if layout.amount_column:
            assert summary[name]["total_column"] == layout.amount_column
            total = sum((Decimal(r[layout.amount_column]) for r in rows), Decimal("0"))
            assert Decimal(summary[name]["total"]) == total, name
        else:
            assert summary[name]["total"] == ""
    by_kind = {k: [r for r in records if r.kind is k] for k in EntityKind}
    assert Decimal(summary["invoice.csv"]["total"]) == sum(r.total for r in by_kind[EntityKind.INVOICE])
    assert Decimal(summary["payment.csv"]["total"]) == sum(r.amount for r in by_kind[EntityKind.PAYMENT])
    assert Decimal(summary["invoice_lines.csv"]["total"]) == sum(
        line.amount for inv in by_kind[EntityKind.INVOICE]
        for line in (*inv.labor, *inv.parts, *inv.sublets, *inv.fees))
    assert summary["parts_return.csv"]["total"] == "20.10"


def test_one_summary_per_run(ctx, out_dir: Path, kit) -> None:
    records = kit.sample_records()
    target = CsvExportTarget()
    target.begin_batch(ctx)
    for delivery in kit.make_deliveries(records[:6]):
        target.deliver(ctx, delivery)
    target.end_batch(ctx)
    ctx.clock += timedelta(minutes=1)
    target.begin_batch(ctx)
    target.deliver_many(ctx, kit.make_deliveries(records[6:]))
    target.end_batch(ctx)
    ctx.clock += timedelta(minutes=1)
    target.begin_batch(ctx)  # a batch that writes nothing leaves no summary
    target.end_batch(ctx)
    first, second = kit.summaries(out_dir)
    assert int(first["customer.csv"]["rows"]) == 2 and int(first["invoice.csv"]["rows"]) == 0
    assert int(second["customer.csv"]["rows"]) == 0 and int(second["invoice.csv"]["rows"]) == 2
    assert kit.rebuild(out_dir) == _expected(records)
    assert len(list((out_dir / "runs").iterdir())) == 2


def test_runs_at_the_same_instant_get_distinct_summaries(ctx, out_dir: Path, kit) -> None:
    records = kit.sample_records()
    target = CsvExportTarget()
    target.deliver_many(ctx, kit.make_deliveries(records[:2]))
    target.deliver_many(ctx, kit.make_deliveries(records[2:4]))
    names = sorted(p.name for p in (out_dir / "runs").iterdir())
    assert names == ["20260115T120000.000000Z-2-summary.csv", "20260115T120000.000000Z-summary.csv"]


def test_batches_in_quick_succession_form_one_run(ctx, out_dir: Path, kit) -> None:
    records = kit.sample_records()
    target = CsvExportTarget()
    for chunk in (records[:4], records[4:9], records[9:]):
        target.begin_batch(ctx)
        target.deliver_many(ctx, kit.make_deliveries(chunk))
        target.end_batch(ctx)
        ctx.clock += timedelta(seconds=5)
    [summary] = kit.summaries(out_dir)
    for name in FILES:
        assert int(summary[name]["rows"]) == len(kit.read_rows(out_dir / name)), name
    assert summary["invoice.csv"]["total"] == "449.09"
