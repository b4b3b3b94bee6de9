"""``ledgerhub export csv``: a whole period, streamed from HubServices.iter_records."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

from click.testing import CliRunner
from ledgerhub_csv_export.cli import export_group
from ledgerhub_csv_export.export import export_records
from ledgerhub_csv_export.settings import CsvFormat

from hub import DEPENDENCY_ORDER, Payment, PaymentMethod, Record


@dataclass
class FakeServices:
    """Just iter_records, recording how it was called."""

    records: list[tuple[Record, int]]
    calls: list[dict] = field(default_factory=list)

    def iter_records(self, shop_id, kinds, since=None, until=None) -> Iterator[tuple[Record, int]]:
        self.calls.append({"shop_id": shop_id, "kinds": tuple(kinds), "since": since, "until": until})
        yield from self.records


def _invoke(services: FakeServices, *args: str):
    return CliRunner().invoke(export_group, list(args), obj=SimpleNamespace(services=services))


def test_exports_the_period_into_a_new_folder(tmp_path: Path, kit) -> None:
    records = kit.sample_records()
    services = FakeServices([(r, 2) for r in records])
    out = tmp_path / "january"
    result = _invoke(services, "csv", "--shop", "shop-1", "--since", "2026-01-01", "--until", "2026-01-31",
                     "--out", str(out), "--delimiter", "semicolon", "--encoding", "utf-8-sig")
    assert result.exit_code == 0, result.output
    assert services.calls == [{"shop_id": "shop-1", "kinds": DEPENDENCY_ORDER,
                               "since": datetime(2026, 1, 1, tzinfo=UTC),
                               "until": datetime(2026, 2, 1, tzinfo=UTC)}]
    assert kit.rebuild(out, "utf-8-sig", ";") == {(r.kind.value, r.id, 2): r for r in records}
    [summary] = kit.summaries(out, "utf-8-sig", ";")
    assert summary["invoice.csv"]["total"] == "449.09"
    assert "invoice.csv" in result.output and "449.09" in result.output
    assert "rows written to" in result.output


def test_refuses_a_folder_that_is_not_empty(tmp_path: Path, kit) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    result = _invoke(FakeServices([]), "csv", "--shop", "s", "--since", "2026-01-01", "--until", "2026-01-31",
                     "--out", str(tmp_path))
    assert result.exit_code == 2
    assert "--out" in result.output and "is not empty" in result.output


def test_until_before_since_is_a_usage_error(tmp_path: Path) -> None:
    result = _invoke(FakeServices([]), "csv", "--shop", "s", "--since", "2026-02-01", "--until", "2026-01-01",
                     "--out", str(tmp_path / "x"))
    assert result.exit_code == 2 and "--until" in result.output


def test_bad_date_names_the_option(tmp_path: Path) -> None:
    result = _invoke(FakeServices([]), "csv", "--shop", "s", "--since", "01/02/2026", "--until", "2026-01-01",
                     "--out", str(tmp_path / "x"))
    assert result.exit_code == 2 and "--since" in result.output


def _payments(n: int) -> Iterator[tuple[Record, int]]:
    for i in range(n):
        yield Payment(id=f"P-{i}", invoice_id=f"RO-{i}", amount=Decimal(i % 1000) / 4,
                      method=PaymentMethod.CARD, reference=f"ref {i}", received_on=date(2026, 1, 1)), 1


def _peak_bytes(tmp_path: Path, n: int) -> int:
    tracemalloc.start()
    try:
        report = export_records(_payments(n), tmp_path / f"out-{n}", CsvFormat(), "shop-1",
                                datetime(2026, 1, 1, tzinfo=UTC), chunk_rows=250)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.rows["payment.csv"] == n
    return peak


def test_memory_stays_flat_however_many_rows(tmp_path: Path) -> None:
    small, large = _peak_bytes(tmp_path, 1_000), _peak_bytes(tmp_path, 8_000)
    # Eight times the rows: the peak is the one buffered chunk either way, not eight times larger.
    assert large < small * 1.5, (small, large)
    assert large < 5_000_000


def test_export_totals_equal_the_rows(tmp_path: Path, kit) -> None:
    report = export_records(_payments(2_500), tmp_path / "out", CsvFormat(), "shop-1",
                            datetime(2026, 1, 1, tzinfo=UTC), chunk_rows=1_000)
    rows = kit.read_rows(tmp_path / "out" / "payment.csv")
    assert len(rows) == 2_500
    assert report.totals["payment.csv"] == sum(Decimal(r["amount"]) for r in rows)
    manifest = (tmp_path / "out" / ".ledgerhub" / "manifest.jsonl").read_text().splitlines()
    assert len(manifest) == 3  # committed in chunks: a crash loses at most the last chunk


def test_empty_period_says_so(tmp_path: Path) -> None:
    result = _invoke(FakeServices([]), "csv", "--shop", "nope", "--since", "2026-01-01", "--until",
                     "2026-01-31", "--out", str(tmp_path / "x"))
    assert result.exit_code == 0
    assert "no records of shop 'nope' were received between 2026-01-01 and 2026-01-31" in result.output


def test_unwritable_value_fails_naming_the_record(tmp_path: Path, kit) -> None:
    from dataclasses import replace

    good, bad = kit.sample_records()[:2]
    bad = replace(bad, email="\udcff")
    result = _invoke(FakeServices([(good, 1), (bad, 1)]), "csv", "--shop", "s", "--since", "2026-01-01",
                     "--until", "2026-01-31", "--out", str(tmp_path / "x"))
    assert result.exit_code == 1
    assert "customer '=C2': field 'email'" in result.output
