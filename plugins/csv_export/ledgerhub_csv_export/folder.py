"""An export folder on disk: the CSV files, their commit log (the manifest), a lock, and the
run summaries.

Crash safety. Rows are appended to the CSV files and fsynced first; then one line is appended to
``.ledgerhub/manifest.jsonl`` naming the record versions written, every touched file's new
committed length and the run's counts, and fsynced. That line *is* the commit. Whoever takes the
folder's lock next replays new manifest lines, drops a torn last line, and cuts every CSV file
back to its committed length — so rows from a writer that died before its manifest line (or a
half-written row) disappear, and the redelivery that follows writes them exactly once.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

from ledgerhub_csv_export.layout import FILES
from ledgerhub_csv_export.settings import CsvFormat
from ledgerhub_csv_export.summary import RunTotals, csv_line, summary_bytes

log = logging.getLogger("ledgerhub.plugin.csv_export")

STATE_DIR = ".ledgerhub"
MANIFEST = "manifest.jsonl"
META = "folder.json"
LOCK = "lock"
RUNS_DIR = "runs"
FOLDER_FORMAT = "ledgerhub-csv-export/1"

#: (kind, record id, version): one record version, written at most once per folder.
Key = tuple[str, str, int]


class FolderConflictError(Exception):
    """The folder cannot be used as asked. ``setting`` names what to change (``output_folder``,
    ``delimiter``, ...) and the message says why, for the shop owner."""

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(message)
        self.setting = setting
        self.message = message


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


class ExportFolder:
    """One output folder. Use :meth:`open`, then do all reading and writing inside
    :meth:`locked`; several processes may share a folder safely."""

    def __init__(self, path: Path, fmt: CsvFormat, shop_id: str, *, track_keys: bool) -> None:
        self.path = path
        self.fmt = fmt
        self.shop_id = shop_id
        self.track_keys = track_keys
        self.keys: set[Key] = set()
        self.ends: dict[str, int] = {}
        self.runs: dict[str, RunTotals] = {}
        self.active_runs: set[str] = set()
        self._manifest_pos = 0
        self._handles: dict[str, BinaryIO] = {}
        self._sizes: dict[str, int] = {}
        self._created_files = False
        self._thread_lock = threading.Lock()
        self._lock_depth = 0

    @property
    def state_dir(self) -> Path:
        """The hidden folder holding the manifest, the lock and the folder description."""
        return self.path / STATE_DIR

    @property
    def runs_dir(self) -> Path:
        """Where the per-run summaries go."""
        return self.path / RUNS_DIR

    @classmethod
    def open(cls, path: Path, fmt: CsvFormat, shop_id: str, *, track_keys: bool = True,
             require_empty: bool = False) -> ExportFolder:
        """Open (creating if needed) the export folder at *path* for *shop_id*.

        Raises :class:`FolderConflictError` when the folder belongs to another shop, was
        started with another delimiter, encoding or date format, holds CSV files LedgerHub did
        not write, or (with *require_empty*) is not empty. ``OSError`` when it cannot be created.
        """
        if require_empty and path.exists() and any(path.iterdir()):
            raise FolderConflictError("output_folder", f"{path} is not empty; choose a new folder")
        (path / STATE_DIR).mkdir(parents=True, exist_ok=True)
        folder = cls(path, fmt, shop_id, track_keys=track_keys)
        with folder.locked():
            pass
        return folder

    def _check_meta(self) -> None:
        meta_path = self.state_dir / META
        wanted = {"format": FOLDER_FORMAT, "shop_id": self.shop_id, "delimiter": self.fmt.delimiter,
                  "encoding": self.fmt.encoding, "date_format": self.fmt.date_format}
        if not meta_path.exists():
            foreign = [name for name in FILES if (self.path / name).exists() and name not in self.ends]
            if foreign:
                raise FolderConflictError(
                    "output_folder",
                    f"{self.path} already holds {', '.join(foreign)} not written by LedgerHub; "
                    "choose an empty folder",
                )
            _write_atomically(meta_path, json.dumps(wanted, indent=2).encode())
            return
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise FolderConflictError(
                "output_folder",
                f"{meta_path} is damaged ({exc}); move the folder aside and choose a new one",
            ) from exc
        if meta.get("shop_id") != self.shop_id:
            raise FolderConflictError(
                "output_folder",
                f"{self.path} holds the export of shop {meta.get('shop_id')!r}; use one folder per shop",
            )
        for setting in ("delimiter", "encoding", "date_format"):
            if meta.get(setting) != wanted[setting]:
                raise FolderConflictError(
                    setting,
                    f"{self.path} was started with {setting} {meta.get(setting)!r}; keep that "
                    f"{setting} or choose a new folder, so every row of a file has the same format",
                )

    @contextlib.contextmanager
    def locked(self) -> Iterator[ExportFolder]:
        """Hold the folder's lock: bring the in-memory view up to date with the manifest and
        repair anything a crashed writer left. Uncommitted rows are discarded on the way out."""
        with self._thread_lock:
            # Recreated if someone deleted the folder: the export starts over from then on.
            self.state_dir.mkdir(parents=True, exist_ok=True)
            with open(self.state_dir / LOCK, "a+b") as lock_fh:
                fcntl.flock(lock_fh, fcntl.LOCK_EX)
                self._lock_depth = 1
                try:
                    self._check_meta()
                    self._reconcile()
                    yield self
                finally:
                    self._lock_depth = 0
                    self._discard_uncommitted()
                    fcntl.flock(lock_fh, fcntl.LOCK_UN)

    # -- recovery -------------------------------------------------------------------------

    def _reconcile(self) -> None:
        manifest = self.state_dir / MANIFEST
        size = manifest.stat().st_size if manifest.exists() else 0
        if size < self._manifest_pos:
            log.warning("manifest of %s shrank; reloading it", self.path)
            self.keys, self.ends, self.runs, self._manifest_pos = set(), {}, {}, 0
        touched_runs: set[str] = set()
        if size > self._manifest_pos:
            touched_runs = self._replay(manifest)
        for name in FILES:
            self._cut_to_committed(name)
        for run_id in touched_runs - self.active_runs:
            if not self.summary_path(run_id).exists():
                self.write_summary(run_id)

    def _replay(self, manifest: Path) -> set[str]:
        touched: set[str] = set()
        with open(manifest, "r+b") as fh:
            fh.seek(self._manifest_pos)
            for line in fh:
                if not line.endswith(b"\n"):
                    # Only the last line can lack its end: a writer died while appending it.
                    log.warning("dropping a torn manifest line in %s (a writer crashed)", self.path)
                    fh.truncate(self._manifest_pos)
                    fh.flush()
                    os.fsync(fh.fileno())
                    break
                try:
                    entry = json.loads(line)
                    self._apply(entry)
                except (ValueError, KeyError, TypeError, ArithmeticError) as exc:
                    raise FolderConflictError(
                        "output_folder",
                        f"{manifest} is damaged at byte {self._manifest_pos} ({exc!r}), so LedgerHub "
                        "cannot tell which rows it wrote; move the folder aside and choose a new one",
                    ) from exc
                touched.add(entry["run"])
                self._manifest_pos += len(line)
        return touched

    def _apply(self, entry: dict) -> None:
        # Read everything first, so a damaged entry changes nothing.
        run = str(entry["run"])
        keys = [(sys.intern(str(k)), str(i), int(v)) for k, i, v in entry["keys"]] if self.track_keys else []
        ends = {str(name): int(end) for name, end in entry["ends"].items()}
        rows = {str(name): int(n) for name, n in entry["rows"].items()}
        totals = {str(name): Decimal(amount) for name, amount in entry["totals"].items()}
        self.keys.update(keys)
        self.ends.update(ends)
        self.runs.setdefault(run, RunTotals()).add(rows, totals)

    def _cut_to_committed(self, name: str) -> None:
        path = self.path / name
        committed = self.ends.get(name, 0)
        size = path.stat().st_size if path.exists() else 0
        if size > committed:
            log.warning("cutting %s back from %d to %d bytes (rows a crashed writer never committed)",
                        path, size, committed)
            with open(path, "r+b") as fh:
                fh.truncate(committed)
                fh.flush()
                os.fsync(fh.fileno())
        elif size < committed:
            raise FolderConflictError(
                "output_folder",
                f"{path} is shorter than LedgerHub wrote it ({size} < {committed} bytes): it was edited "
                "or replaced. Copy the files before editing them; to start over, choose a new folder",
            )

    # -- writing --------------------------------------------------------------------------

    def _require_lock(self) -> None:
        if not self._lock_depth:
            raise RuntimeError("ExportFolder: write only inside `with folder.locked():`")

    def append(self, name: str, data: str) -> None:
        """Append encoded CSV text to file *name* (uncommitted until :meth:`commit`)."""
        self._require_lock()
        fh = self._handles.get(name)
        if fh is None:
            path = self.path / name
            self._created_files = self._created_files or not path.exists()
            fh = self._handles[name] = open(path, "ab")
            self._sizes[name] = os.fstat(fh.fileno()).st_size
            if self._sizes[name] == 0:
                head = self.fmt.bom + csv_line(FILES[name].columns, self.fmt).encode("utf-8")
                fh.write(head)
                self._sizes[name] += len(head)
        encoded = data.encode("utf-8")
        fh.write(encoded)
        self._sizes[name] += len(encoded)

    def commit(self, run_id: str, keys: list[Key], rows: dict[str, int], totals: dict[str, Decimal],
               *, durable: bool = True) -> None:
        """Record the appended rows in the manifest, after making them durable (fsync).

        ``durable=False`` skips the fsyncs: still safe against a crashed *process* (the page
        cache survives it), not against power loss until a later durable commit.
        """
        self._require_lock()
        for fh in self._handles.values():
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        if self._created_files and durable:
            _fsync_dir(self.path)
            self._created_files = False
        ends = {name: self._sizes[name] for name in self._handles}
        entry = {"run": run_id, "keys": keys, "ends": ends, "rows": rows,
                 "totals": {name: str(amount) for name, amount in totals.items()}}
        self._append_manifest(json.dumps(entry, separators=(",", ":")).encode("ascii") + b"\n", durable)
        self._apply(entry)

    def sync(self) -> None:
        """fsync every open file, the manifest and the folder (after non-durable commits)."""
        self._require_lock()
        for fh in self._handles.values():
            fh.flush()
            os.fsync(fh.fileno())
        manifest = self.state_dir / MANIFEST
        if manifest.exists():
            with open(manifest, "rb") as fh:
                os.fsync(fh.fileno())
        _fsync_dir(self.path)
        self._created_files = False

    def _append_manifest(self, line: bytes, durable: bool = True) -> None:
        # The rows are written before this line exists; the line is the commit point.
        with open(self.state_dir / MANIFEST, "ab") as fh:
            fh.write(line)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        self._manifest_pos += len(line)

    def _discard_uncommitted(self) -> None:
        handles, self._handles = self._handles, {}
        for name, fh in handles.items():
            fh.close()
            if self._sizes.get(name, 0) > self.ends.get(name, 0):
                self._cut_to_committed(name)
        self._sizes = {}

    # -- runs -----------------------------------------------------------------------------

    def start_run(self, now: datetime) -> str:
        """A new run id from *now* (UTC), unique in this folder; the run stays active (its
        summary is not written by recovery) until :meth:`finish_run`."""
        self._require_lock()
        base = now.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        run_id, n = base, 1
        while run_id in self.runs or run_id in self.active_runs or self.summary_path(run_id).exists():
            n += 1
            run_id = f"{base}-{n}"
        self.active_runs.add(run_id)
        return run_id

    def resume_run(self, run_id: str) -> str:
        """Make *run_id* active again: the batches that follow join its summary."""
        self._require_lock()
        self.active_runs.add(run_id)
        return run_id

    def finish_run(self, run_id: str) -> Path | None:
        """End a run: write its summary if it committed anything; return the summary's path."""
        self._require_lock()
        self.active_runs.discard(run_id)
        if run_id not in self.runs:
            return None
        return self.write_summary(run_id)

    def summary_path(self, run_id: str) -> Path:
        """``runs/<run id>-summary.csv``."""
        return self.runs_dir / f"{run_id}-summary.csv"

    def write_summary(self, run_id: str) -> Path:
        """Write (or rewrite) the summary of *run_id*: rows and amount total per file."""
        self.runs_dir.mkdir(exist_ok=True)
        path = self.summary_path(run_id)
        _write_atomically(path, summary_bytes(self.runs.get(run_id, RunTotals()), self.fmt))
        return path
