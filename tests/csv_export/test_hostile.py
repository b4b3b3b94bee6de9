"""Formula neutralisation, and content that breaks naive CSV code."""

from __future__ import annotations

import csv
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledgerhub_csv_export.cells import money, text, untext
from ledgerhub_csv_export.layout import FILES
from ledgerhub_csv_export.target import CsvExportTarget

from hub import Customer, DeliveryResult, NeedsAttentionError

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@pytest.mark.parametrize("value", ["=1+2", "+1", "-1+1", "@A1", "\tx", "\rx", "'x", "''"])
def test_text_cells_that_could_run_get_one_apostrophe(value: str) -> None:
    assert text(value) == "'" + value
    assert untext(text(value)) == value


@pytest.mark.parametrize("value", ["", "plain", "a=b", " =1", "1-2", "日本"])
def test_harmless_text_is_untouched(value: str) -> None:
    assert text(value) == value


@pytest.mark.parametrize(("amount", "cell"), [("-12.50", "-12.50"), ("0", "0.00"), ("-0.1", "-0.10"),
                                               ("1E+3", "1000.00"), ("12.345", "12.345")])
def test_amounts_are_never_prefixed(amount: str, cell: str) -> None:
    assert money(Decimal(amount)) == cell


def test_no_cell_in_any_file_can_run_as_a_formula(ctx, out_dir: Path, kit) -> None:
    CsvExportTarget().deliver_many(ctx, kit.make_deliveries(kit.sample_records()))
    checked = numbers = 0
    for name in FILES:
        with open(out_dir / name, newline="", encoding="utf-8") as fh:
            for row in csv.reader(fh):
                for cell in row:
                    checked += 1
                    if cell[:1] in TRIGGERS:
                        # Only a number may start with "-" (a discount, a credit): it stays a number.
                        assert cell[0] == "-", (name, cell)
                        try:
                            Decimal(cell)
                        except InvalidOperation:
                            pytest.fail(f"{name}: {cell!r} would run as a formula")
                        numbers += 1
    assert checked > 200 and numbers >= 2


def test_negative_amount_is_written_unquoted(ctx, out_dir: Path, kit) -> None:
    CsvExportTarget().deliver_many(ctx, kit.make_deliveries(kit.sample_records()))
    raw = (out_dir / "invoice_lines.csv").read_bytes().decode("utf-8")
    assert ",-12.50\r\n" in raw
    assert "'-Loyalty credit" in raw


def test_hostile_text_survives_every_field(ctx, out_dir: Path, kit) -> None:
    records = [Customer(id=f"C{i}{value}", first_name=value, last_name=value[::-1], company_name=value * 2,
                        email=value, phone=value) for i, value in enumerate(kit.HOSTILE)]
    CsvExportTarget().deliver_many(ctx, kit.make_deliveries(records))
    assert kit.rebuild(out_dir) == {("customer", r.id, 1): r for r in records}


def test_unwritable_character_needs_attention_and_the_rest_goes(ctx, out_dir: Path, kit) -> None:
    good, bad = kit.sample_records()[:2]
    bad = replace(bad, last_name="broken \ud800 surrogate")
    outcomes = CsvExportTarget().deliver_many(ctx, kit.make_deliveries([good, bad]))
    assert isinstance(outcomes[0], DeliveryResult)
    assert isinstance(outcomes[1], NeedsAttentionError)
    assert "field 'last_name'" in outcomes[1].message and "=C2" in outcomes[1].message
    assert list(kit.rebuild(out_dir)) == [("customer", good.id, 1)]


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(_TEXT, min_size=1, max_size=5), delimiter=st.sampled_from([",", ";", "\t", "|"]))
def test_any_unicode_text_round_trips(tmp_path_factory, kit, names: list[str], delimiter: str) -> None:
    out = tmp_path_factory.mktemp("prop") / "export"
    ctx = kit.FakeContext(settings={"output_folder": str(out), "delimiter": delimiter})
    records = [Customer(id=f"{i}{name}", first_name=name, company_name=name[::-1], email=name)
               for i, name in enumerate(names)]
    CsvExportTarget().deliver_many(ctx, kit.make_deliveries(records))
    assert kit.rebuild(out, delimiter=delimiter) == {("customer", r.id, 1): r for r in records}
    for row in kit.read_rows(out / "customer.csv", delimiter=delimiter):
        assert all(cell[:1] not in TRIGGERS for cell in row.values())
