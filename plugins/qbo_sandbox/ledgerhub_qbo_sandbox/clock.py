"""The sandbox's clock: real time multiplied by the time scale, plus manual advances.

Every duration the sandbox enforces (token lifetimes, throttle windows, the 24-hour grace of a
rotated refresh token) is measured on this clock, so a time scale of 60 makes an hour pass in a
real minute, and tests can jump ahead with :meth:`SandboxClock.advance`.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta, timezone

#: QBO stamps MetaData in the company's zone; the sandbox uses Pacific standard time throughout.
PACIFIC = timezone(timedelta(hours=-8))


class SandboxClock:
    """Scaled monotonic time in sandbox seconds."""

    def __init__(self, time_scale: float = 1.0) -> None:
        if time_scale <= 0:
            raise ValueError(f"time_scale must be positive, got {time_scale}")
        self.time_scale = float(time_scale)
        self._lock = threading.Lock()
        self._real_start = time.monotonic()
        self._wall_start = time.time()
        self._advanced = 0.0

    def now(self) -> float:
        """Sandbox seconds since the epoch."""
        with self._lock:
            elapsed = (time.monotonic() - self._real_start) * self.time_scale
            return self._wall_start + elapsed + self._advanced

    def advance(self, seconds: float) -> None:
        """Jump the clock forward by ``seconds`` sandbox seconds."""
        with self._lock:
            self._advanced += seconds

    def real_seconds(self, sandbox_seconds: float) -> float:
        """How long ``sandbox_seconds`` last in real time."""
        return sandbox_seconds / self.time_scale

    def timestamp(self) -> str:
        """The current sandbox time as QBO writes it (``2015-07-24T10:35:08-08:00``)."""
        return datetime.fromtimestamp(self.now(), tz=UTC).astimezone(PACIFIC).isoformat(timespec="seconds")

    def today(self) -> str:
        """The current sandbox date (company zone) as ``YYYY-MM-DD``."""
        return datetime.fromtimestamp(self.now(), tz=UTC).astimezone(PACIFIC).date().isoformat()
