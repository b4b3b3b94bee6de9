"""Turning record versions into rows in an :class:`ExportFolder`, in committed chunks."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal

from hub.domain.money import ZERO
from hub.domain.records import Record
from ledgerhub_csv_export.cells import DateCells
from ledgerhub_csv_export.folder import ExportFolder, Key
from ledgerhub_csv_export.layout import KINDS, FileLayout, Row


class UnwritableValueError(ValueError):
    """A record holds a value that cannot be written as UTF-8 (a lone surrogate)."""

    def __init__(self, kind: str, record_id: str, column: str) -> None:
        super().__init__(
            f"{kind} {record_id!r}: field {column!r} holds a character that cannot be written as "
            "UTF-8 (an unpaired surrogate); correct it in the shop system and send the record again"
        )


@dataclass(frozen=True, slots=True)
class Written:
    """What one record version produced: rows per file (empty when it was already there)."""

    rows: dict[str, int]

    @property
    def duplicate(self) -> bool:
        """True when the version was already in the folder and nothing was written."""
        return not self.rows


class _Buffer:
    __slots__ = ("text", "writer")

    def __init__(self, delimiter: str) -> None:
        self.text = io.StringIO()
        self.writer = csv.writer(self.text, delimiter=delimiter, lineterminator="\r\n")


class ExportWriter:
    """Writes record versions into *folder* under the run *run_id*.

    Rows are buffered per file until :meth:`commit`, which appends them, fsyncs and records the
    versions in the manifest. A version already in the folder (or already added) is skipped.
    Use it inside ``with folder.locked():``.
    """

    def __init__(self, folder: ExportFolder, run_id: str) -> None:
        self.folder = folder
        self.run_id = run_id
        self._dates = DateCells(folder.fmt.date_format)
        self._buffers: dict[str, _Buffer] = {}
        self._keys: list[Key] = []
        self._pending: set[Key] = set()
        self._rows: dict[str, int] = {}
        self._totals: dict[str, Decimal] = {}
        self.pending_rows = 0

    def add(self, record: Record, version: int) -> Written:
        """Buffer the rows of one record version; skip it if the folder already has it."""
        kind = record.kind.value
        key: Key = (kind, record.id, version)
        if key in self.folder.keys or key in self._pending:
            return Written({})
        layout = KINDS[record.kind]
        groups = layout.rows(record, version, self._dates)
        for file, rows in zip(layout.files, groups, strict=True):
            for row in rows:
                joined = "".join(row)
                if not joined.isascii():
                    _check_encodable(kind, record.id, file, row)
        written: dict[str, int] = {}
        counts, totals = self._rows, self._totals
        for file, rows in zip(layout.files, groups, strict=True):
            if not rows:
                continue
            name = file.filename
            buf = self._buffers.get(name)
            if buf is None:
                buf = self._buffers[name] = _Buffer(self.folder.fmt.delimiter)
            buf.writer.writerows(rows)
            n = len(rows)
            written[name] = n
            counts[name] = counts.get(name, 0) + n
            index = file.amount_index
            if index is not None:
                # Sum the cells as written, so the summary equals the sum of the file's rows.
                total = totals.get(name, ZERO)
                for row in rows:
                    total += Decimal(row[index])
                totals[name] = total
            self.pending_rows += n
        self._keys.append(key)
        if self.folder.track_keys:
            self._pending.add(key)
        return Written(written)

    def commit(self, *, durable: bool = True) -> None:
        """Write and commit everything buffered (see :meth:`ExportFolder.commit`); with
        nothing pending, a durable commit still fsyncs what earlier ones left undurable."""
        if not self._keys:
            if durable:
                self.folder.sync()
            return
        for name, buf in self._buffers.items():
            self.folder.append(name, buf.text.getvalue())
        self.folder.commit(self.run_id, self._keys, self._rows, self._totals, durable=durable)
        self._buffers, self._keys, self._pending = {}, [], set()
        self._rows, self._totals, self.pending_rows = {}, {}, 0


def _check_encodable(kind: str, record_id: str, file: FileLayout, row: Row) -> None:
    """Raise :class:`UnwritableValueError` naming the first cell of *row* UTF-8 cannot hold."""
    for column, cell in zip(file.columns, row, strict=True):
        try:
            cell.encode("utf-8")
        except UnicodeEncodeError:
            raise UnwritableValueError(kind, record_id, column) from None
