"""docs/csv_export.md documents every file and column, in the order they are written."""

from __future__ import annotations

import re
from pathlib import Path

from ledgerhub_csv_export.layout import FILES
from ledgerhub_csv_export.settings import CsvExportSettingsSchema

DOC = Path(__file__).resolve().parents[2] / "docs" / "csv_export.md"


def _documented_files() -> dict[str, list[str]]:
    files: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        heading = re.fullmatch(r"### `(\w+\.csv)`", line)
        if heading:
            current = files[heading.group(1)] = []
        elif line.startswith("## "):
            current = None
        elif current is not None:
            cell = re.match(r"\| `(\w+)` \|", line)
            if cell:
                current.append(cell.group(1))
    return files


def test_every_file_and_column_is_documented_in_order() -> None:
    documented = _documented_files()
    assert list(documented) == list(FILES)
    for name, layout in FILES.items():
        assert documented[name] == list(layout.columns), name


def test_every_setting_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for name in CsvExportSettingsSchema().fields:
        assert f"| `{name}` |" in text
