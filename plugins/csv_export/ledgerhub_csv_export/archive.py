"""A connection's export folder as a ZIP, streamed: the CSV files and the run summaries.

The file list and every file's length are taken under the folder's lock (so a writer's
uncommitted rows are never included), the files are opened there too, and then read and
compressed outside the lock chunk by chunk: a download never holds up the export, and memory
stays at a chunk whatever the folder's size. The manifest and lock (``.ledgerhub/``) stay out.
"""

from __future__ import annotations

import io
import os
import stat
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ledgerhub_csv_export.folder import RUNS_DIR, ExportFolder
from ledgerhub_csv_export.layout import FILES

CHUNK = 256 * 1024
_ZIP64_FROM = 2**31  # a member this large needs ZIP64 headers, which must be chosen up front


@dataclass
class Member:
    """One file of the archive: its name in the ZIP, an open handle and how much to read."""

    name: str
    handle: BinaryIO
    size: int
    mtime: float


class _Pipe(io.RawIOBase):
    """A write-only, unseekable sink; :mod:`zipfile` then writes data descriptors instead of
    seeking back, which is what lets the archive be streamed."""

    def __init__(self) -> None:
        super().__init__()
        self._chunks: list[bytes] = []
        self.buffered = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._chunks.append(bytes(data))
        self.buffered += len(data)
        return len(data)

    def drain(self) -> bytes:
        """Everything written since the last drain."""
        data = b"".join(self._chunks)
        self._chunks.clear()
        self.buffered = 0
        return data


def _open_regular(path: Path) -> tuple[BinaryIO, os.stat_result] | None:
    """*path* opened for reading when it is a regular file and not a symlink, else ``None``."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        return None
    return os.fdopen(fd, "rb"), info


def snapshot(folder: ExportFolder) -> list[Member]:
    """The committed CSV files (layout order) and the run summaries, opened under the lock."""
    members: list[Member] = []
    try:
        with folder.locked():
            for name in FILES:
                committed = folder.ends.get(name, 0)
                opened = _open_regular(folder.path / name) if committed else None
                if opened is not None:
                    members.append(Member(name, opened[0], min(committed, opened[1].st_size),
                                          opened[1].st_mtime))
            runs = folder.runs_dir
            names = sorted(entry.name for entry in os.scandir(runs)) if runs.is_dir() else []
            for entry in names:
                if entry.endswith("-summary.csv"):
                    opened = _open_regular(runs / entry)
                    if opened is not None:
                        members.append(Member(f"{RUNS_DIR}/{entry}", opened[0], opened[1].st_size,
                                              opened[1].st_mtime))
    except BaseException:
        close_all(members)
        raise
    return members


def close_all(members: list[Member]) -> None:
    """Close every member's handle."""
    for member in members:
        member.handle.close()


def _zip_info(member: Member) -> zipfile.ZipInfo:
    stamp = time.gmtime(max(member.mtime, 315532800))[:6]  # ZIP dates start in 1980
    info = zipfile.ZipInfo(member.name, date_time=stamp)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def stream_zip(members: list[Member]) -> Iterator[bytes]:
    """The ZIP of *members*, in chunks of about :data:`CHUNK`; closes the handles at the end
    (also when the client goes away mid-download)."""
    pipe = _Pipe()
    try:
        with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for member in members:
                remaining = member.size
                with archive.open(_zip_info(member), "w", force_zip64=member.size >= _ZIP64_FROM) as out:
                    while remaining > 0:
                        chunk = member.handle.read(min(CHUNK, remaining))
                        if not chunk:
                            break
                        out.write(chunk)
                        remaining -= len(chunk)
                        if pipe.buffered >= CHUNK:
                            yield pipe.drain()
                member.handle.close()
                if pipe.buffered:
                    yield pipe.drain()
        yield pipe.drain()
    finally:
        close_all(members)
