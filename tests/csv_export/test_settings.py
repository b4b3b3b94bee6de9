"""Settings validation and the folder checks made when connecting."""

from __future__ import annotations

from pathlib import Path

import pytest
from ledgerhub_csv_export.settings import CsvExportSettings, CsvExportSettingsSchema, CsvFormat
from ledgerhub_csv_export.target import CsvExportTarget

from hub import ConfigurationError, FatalConnectionError, Shop


def test_defaults(tmp_path: Path) -> None:
    settings = CsvExportSettings.load({"output_folder": str(tmp_path)})
    assert settings.output_folder == tmp_path
    assert settings.format == CsvFormat(",", "utf-8", "%Y-%m-%d")


@pytest.mark.parametrize(
    ("raw", "field", "words"),
    [
        ({}, "output_folder", "Missing data"),
        ({"output_folder": "exports/shop"}, "output_folder", "absolute path"),
        ({"output_folder": "  "}, "output_folder", "must not be empty"),
        ({"output_folder": "/x", "delimiter": "x"}, "delimiter", "comma, semicolon, tab, pipe"),
        ({"output_folder": "/x", "encoding": "latin-1"}, "encoding", "utf-8-sig"),
        ({"output_folder": "/x", "date_format": "%s"}, "date_format", "%Y-%m-%d"),
    ],
)
def test_invalid_settings_name_the_field_and_rule(raw: dict, field: str, words: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        CsvExportSettings.load(raw)
    assert list(caught.value.errors) == [field]
    assert words in " ".join(caught.value.errors[field])
    assert field in str(caught.value)


def test_schema_offers_choices_for_the_form() -> None:
    fields = CsvExportSettingsSchema().fields
    assert fields["output_folder"].required
    labels = dict(zip(fields["encoding"].validators[0].choices, fields["encoding"].validators[0].labels,
                      strict=True))
    assert labels["utf-8-sig"] == "UTF-8 with BOM (for Excel)"


def test_connect_creates_the_folder(ctx, out_dir: Path) -> None:
    CsvExportTarget().connect(ctx)
    assert (out_dir / ".ledgerhub" / "folder.json").exists()


def test_folder_of_another_shop_is_refused(ctx, out_dir: Path, kit) -> None:
    CsvExportTarget().connect(ctx)
    other = kit.FakeContext(settings=ctx.settings, shop=Shop(id="shop-2", name="Other"), connection_id=2)
    with pytest.raises(ConfigurationError) as caught:
        CsvExportTarget().connect(other)
    assert "shop-1" in caught.value.errors["output_folder"][0]
    with pytest.raises(FatalConnectionError, match="one folder per shop"):
        CsvExportTarget().deliver_many(other, kit.make_deliveries(kit.sample_records()[:1]))


def test_changing_the_format_of_a_started_folder_is_refused(ctx, out_dir: Path, kit) -> None:
    CsvExportTarget().deliver_many(ctx, kit.make_deliveries(kit.sample_records()[:1]))
    semicolons = kit.FakeContext(settings={**ctx.settings, "delimiter": ";"})
    with pytest.raises(ConfigurationError) as caught:
        CsvExportTarget().connect(semicolons)
    assert "was started with delimiter ','" in caught.value.errors["delimiter"][0]


def test_folder_with_foreign_csv_files_is_refused_and_left_alone(ctx, out_dir: Path) -> None:
    out_dir.mkdir()
    (out_dir / "invoice.csv").write_text("the bookkeeper's own file\n")
    with pytest.raises(ConfigurationError, match="not written by LedgerHub"):
        CsvExportTarget().connect(ctx)
    assert (out_dir / "invoice.csv").read_text() == "the bookkeeper's own file\n"


def test_unwritable_folder_is_a_configuration_error(tmp_path: Path, kit) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    ctx = kit.FakeContext(settings={"output_folder": str(blocker / "export")})
    with pytest.raises(ConfigurationError) as caught:
        CsvExportTarget().connect(ctx)
    assert "cannot create or write" in caught.value.errors["output_folder"][0]


def test_invalid_settings_at_delivery_stop_the_connection(kit) -> None:
    ctx = kit.FakeContext(settings={"output_folder": "relative"})
    with pytest.raises(FatalConnectionError, match="absolute path"):
        CsvExportTarget().deliver_many(ctx, kit.make_deliveries(kit.sample_records()[:1]))
