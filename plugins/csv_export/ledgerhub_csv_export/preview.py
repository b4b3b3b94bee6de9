"""What the CSV export would write for one delivery, as text."""

from __future__ import annotations

import logging
import re

from hub.plugin.target import ConnectionContext, Delivery, PreviewDocument
from ledgerhub_csv_export.cells import DateCells
from ledgerhub_csv_export.layout import KINDS
from ledgerhub_csv_export.settings import CsvExportSettingsSchema, CsvFormat
from ledgerhub_csv_export.summary import csv_line

log = logging.getLogger("ledgerhub.plugin.csv_export")
_SAFE = re.compile(r"[^A-Za-z0-9._-]")


def _format(ctx: ConnectionContext) -> CsvFormat:
    """The connection's format, or the defaults for a preview-only context without settings."""
    raw = {k: v for k, v in dict(ctx.settings or {}).items() if k != "output_folder"}
    errors = CsvExportSettingsSchema(partial=("output_folder",)).validate(raw)
    if errors:
        log.info("preview uses the default CSV format: %s", errors)
        return CsvFormat()
    data = CsvExportSettingsSchema(partial=("output_folder",)).load(raw)
    return CsvFormat(data["delimiter"], data["encoding"], data["date_format"])


def preview(ctx: ConnectionContext, delivery: Delivery) -> PreviewDocument:
    """The header and rows each file would get, one ``# <file>`` section per file."""
    fmt = _format(ctx)
    layout = KINDS[delivery.record.kind]
    groups = layout.rows(delivery.record, delivery.version, DateCells(fmt.date_format))
    sections = []
    for file, rows in zip(layout.files, groups, strict=True):
        body = csv_line(file.columns, fmt) + "".join(csv_line(row, fmt) for row in rows)
        sections.append(f"# {file.filename}\r\n{body}")
    record = delivery.record
    return PreviewDocument(
        filename=f"{record.kind.value}-{_SAFE.sub('_', record.id)}-v{delivery.version}.txt",
        content_type="text/plain; charset=utf-8",
        body="\r\n".join(sections),
    )
