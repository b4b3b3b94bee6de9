"""Reading records from JSON Lines and CSV files, one line at a time, with line numbers.

JSON Lines: one JSON object per line, with a ``"kind"`` key unless ``--kind`` is given. CSV:
one kind per file (``--kind``, or the file name ``invoice.csv``), a header row of field names;
nested fields are dotted (``address.city``, ``vehicle.vin``) and list fields (``labor``,
``parts``, ``lines``…) hold a JSON array in the cell. Empty cells are left out (the default
applies). Blank lines and lines starting with ``#`` (JSON Lines) are skipped.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from hub.domain.kinds import EntityKind
from hub.domain.records import Record
from hub.domain.schemas import load_record, parse_kind
from hub.errors import RecordValidationError

FORMATS = ("jsonl", "csv")


@dataclass(frozen=True, slots=True)
class LineResult:
    """One line of the file: a record, or the reason it is not one."""

    line: int
    offset: int
    """Bytes read so far (drives the progress bar)."""
    record: Record | None = None
    error: RecordValidationError | None = None

    def describe_error(self) -> list[str]:
        """``line 7: invoice 'RO-7': labor[2].hours: must not be negative (got -1)`` lines."""
        if self.error is None:
            return []
        exc = self.error
        label = f"{exc.kind} {exc.record_id!r}" if exc.record_id else exc.kind
        return [
            f"line {self.line}: {label}: {field}: {message}"
            for field, messages in exc.errors.items()
            for message in messages
        ]


def guess_format(path: Path) -> str:
    """``csv`` for ``*.csv``, otherwise ``jsonl``."""
    return "csv" if path.suffix.lower() == ".csv" else "jsonl"


def kind_from_name(path: Path) -> EntityKind | None:
    """The kind a CSV file is named after (``invoice.csv``, ``parts_purchase-2024.csv``)."""
    stem = path.stem.lower().split("-")[0].split(".")[0]
    try:
        return parse_kind(stem)
    except ValueError:
        return None


def read_records(handle: IO[bytes], fmt: str, kind: EntityKind | None) -> Iterator[LineResult]:
    """Yield every data line of *handle* as a :class:`LineResult`, keeping memory flat."""
    if fmt == "csv":
        if kind is None:
            raise ValueError("a CSV file holds one kind of record: pass --kind (or name the file <kind>.csv)")
        yield from _read_csv(handle, kind)
    else:
        yield from _read_jsonl(handle, kind)


def _load(kind: EntityKind | str, data: Any, line: int, offset: int) -> LineResult:
    try:
        return LineResult(line, offset, record=load_record(kind, data))
    except RecordValidationError as exc:
        return LineResult(line, offset, error=exc)


def _bad_line(kind: str, line: int, offset: int, message: str) -> LineResult:
    return LineResult(line, offset, error=RecordValidationError(kind, None, {"_line": [message]}))


def _read_jsonl(handle: IO[bytes], kind: EntityKind | None) -> Iterator[LineResult]:
    offset = 0
    for number, raw in enumerate(handle, start=1):
        offset += len(raw)
        text = raw.strip()
        if not text or text.startswith(b"#"):
            continue
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            yield _bad_line(kind.value if kind else "record", number, offset, f"is not valid JSON ({exc})")
            continue
        if not isinstance(data, dict):
            yield _bad_line(kind.value if kind else "record", number, offset, "must be a JSON object")
            continue
        line_kind = data.pop("kind", None)
        if kind is not None and line_kind not in (None, kind.value):
            yield _bad_line(kind.value, number, offset, f"has kind {line_kind!r} but --kind is {kind.value}")
            continue
        chosen = kind or line_kind
        if chosen is None:
            yield _bad_line("record", number, offset, 'needs a "kind" key (or pass --kind)')
            continue
        yield _load(chosen if isinstance(chosen, str) else str(chosen), data, number, offset)


class _CountingReader(io.RawIOBase):
    """Counts the bytes the CSV reader has consumed, for the progress bar."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.count = 0

    def readable(self) -> bool:
        """Always: this is a reader."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Fill *buffer* from the file, counting the bytes."""
        data = self.handle.read(len(buffer))
        buffer[: len(data)] = data
        self.count += len(data)
        return len(data)


def _read_csv(handle: IO[bytes], kind: EntityKind) -> Iterator[LineResult]:
    counter = _CountingReader(handle)
    text = io.TextIOWrapper(io.BufferedReader(counter), encoding="utf-8-sig", newline="")
    reader = csv.DictReader(text)
    for row in reader:
        number = reader.line_num
        try:
            data = unflatten(row)
        except ValueError as exc:
            yield _bad_line(kind.value, number, counter.count, str(exc))
            continue
        yield _load(kind, data, number, counter.count)


def unflatten(row: dict[str | None, Any]) -> dict[str, Any]:
    """``{"address.city": "X", "labor": "[...]"}`` → ``{"address": {"city": "X"}, "labor": [...]}``."""
    data: dict[str, Any] = {}
    for key, value in row.items():
        if key is None:
            raise ValueError("has more cells than the header has columns")
        if value is None or value == "":
            continue
        if value[:1] in "[{":
            # List and object cells are JSON; text that merely starts with "[" stays text
            # (and a broken list is then reported by the schema as "must be a list").
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                pass
        target = data
        *parents, leaf = key.strip().split(".")
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = value
    return data
