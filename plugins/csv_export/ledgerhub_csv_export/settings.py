"""Connection settings of the CSV export target, and the file format they select."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates

from hub.errors import ConfigurationError

#: Delimiters a spreadsheet recognises without asking, with what the shop owner reads.
DELIMITERS: dict[str, str] = {
    ",": "Comma (,)",
    ";": "Semicolon (;) — Excel in most of Europe",
    "\t": "Tab",
    "|": "Pipe (|)",
}
#: Encodings offered; "utf-8-sig" writes a byte-order mark so Excel detects UTF-8.
ENCODINGS: dict[str, str] = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with BOM (for Excel)",
}
ISO_DATE = "%Y-%m-%d"
#: Date formats offered; each is unambiguous for the locale that uses it and never looks like
#: a formula to a spreadsheet.
DATE_FORMATS: dict[str, str] = {
    ISO_DATE: "2026-01-31 (ISO 8601)",
    "%m/%d/%Y": "01/31/2026 (US)",
    "%d/%m/%Y": "31/01/2026 (UK)",
    "%d.%m.%Y": "31.01.2026 (DE)",
}


#: Environment variable (or configuration key ``csv_root``) naming the one folder every output
#: folder must lie in. Unset: any absolute path the hub's process may write to.
CSV_ROOT_ENV = "LEDGERHUB_CSV_ROOT"
_configured: dict[str, str] = {}


def configure(config: Mapping[str, Any]) -> None:
    """Keep the ``csv_root`` key of the hub's configuration (the environment variable wins)."""
    root = config.get("csv_root")
    if root:
        _configured["csv_root"] = str(root)
    else:
        _configured.pop("csv_root", None)


def csv_root() -> Path | None:
    """The folder output folders must lie in (symlinks resolved), or ``None`` when unrestricted."""
    root = os.environ.get(CSV_ROOT_ENV, "").strip() or _configured.get("csv_root", "")
    return Path(os.path.realpath(root)) if root else None


def outside_root(folder: str | Path) -> str | None:
    """Why *folder* may not be used under :func:`csv_root` (``None`` when it may).

    Both are resolved first — symlinks and ``..`` — so neither a link inside the root nor a
    ``/root/../etc`` path leads out of it.
    """
    root = csv_root()
    if root is None:
        return None
    resolved = Path(os.path.realpath(folder))
    if resolved == root or resolved.is_relative_to(root):
        return None
    return f"must lie inside {root} ({CSV_ROOT_ENV}); {folder} resolves to {resolved}"


class CsvExportSettingsSchema(Schema):
    """What a shop configures for one CSV export connection."""

    output_folder = fields.String(
        required=True,
        metadata={"label": "Output folder",
                  "description": "Absolute path of the folder the CSV files are written to; "
                                 "use one folder per shop.",
                  "placeholder": "/srv/ledgerhub/exports/my-shop"},
    )
    delimiter = fields.String(
        load_default=",",
        validate=validate.OneOf(list(DELIMITERS), labels=list(DELIMITERS.values()),
                                error="must be one of: comma, semicolon, tab, pipe"),
        metadata={"label": "Delimiter"},
    )
    encoding = fields.String(
        load_default="utf-8",
        validate=validate.OneOf(list(ENCODINGS), labels=list(ENCODINGS.values()),
                                error="must be utf-8 or utf-8-sig (UTF-8 with BOM)"),
        metadata={"label": "Encoding", "description": "Pick “with BOM” if you open the files in Excel."},
    )
    date_format = fields.String(
        load_default=ISO_DATE,
        validate=validate.OneOf(list(DATE_FORMATS), labels=list(DATE_FORMATS.values()),
                                error="must be one of: " + ", ".join(DATE_FORMATS)),
        metadata={"label": "Date format"},
    )

    @validates("output_folder")
    def _output_folder(self, value: str, **_: Any) -> None:
        if not value.strip():
            raise ValidationError("must not be empty")
        if "\x00" in value:
            raise ValidationError("must not contain a NUL character")
        if not Path(value).is_absolute():
            raise ValidationError("must be an absolute path, e.g. /srv/ledgerhub/exports/my-shop")
        problem = outside_root(value)
        if problem:
            raise ValidationError(problem)


@dataclass(frozen=True, slots=True)
class CsvFormat:
    """How cells and files are written: delimiter, encoding and date format."""

    delimiter: str = ","
    encoding: str = "utf-8"
    date_format: str = ISO_DATE

    @property
    def bom(self) -> bytes:
        """The bytes a new file starts with (a UTF-8 byte-order mark, or nothing)."""
        return b"\xef\xbb\xbf" if self.encoding == "utf-8-sig" else b""


@dataclass(frozen=True, slots=True)
class CsvExportSettings:
    """Validated settings of one connection."""

    output_folder: Path
    format: CsvFormat

    @classmethod
    def load(cls, raw: Mapping[str, Any]) -> CsvExportSettings:
        """Validate *raw* settings; raise :class:`ConfigurationError` naming each bad field."""
        try:
            data = CsvExportSettingsSchema().load(dict(raw))
        except ValidationError as exc:
            errors = {str(k): [str(m) for m in (v if isinstance(v, list) else [v])]
                      for k, v in dict(exc.messages).items()}
            details = "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items())
            raise ConfigurationError(f"CSV export settings are invalid: {details}", errors) from exc
        return cls(
            output_folder=Path(data["output_folder"]),
            format=CsvFormat(data["delimiter"], data["encoding"], data["date_format"]),
        )
