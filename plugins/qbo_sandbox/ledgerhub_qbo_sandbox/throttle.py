"""QBO's per-realm request limits, measured on the sandbox clock.

Per realm: 500 requests a minute, 10 a second, 10 in flight at once, and 40 batch requests a
minute. A request past any limit is refused (HTTP 429, fault 3001) and does not count.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field

from ledgerhub_qbo_sandbox.clock import SandboxClock


@dataclass(frozen=True)
class Limits:
    """The limits one realm gets (QBO's documented values by default)."""

    per_minute: int = 500
    per_second: int = 10
    concurrent: int = 10
    batch_per_minute: int = 40


@dataclass
class _RealmWindow:
    requests: deque[float] = field(default_factory=deque)
    batches: deque[float] = field(default_factory=deque)
    in_flight: int = 0
    accepted: int = 0
    throttled: dict[str, int] = field(
        default_factory=lambda: {"per_minute": 0, "per_second": 0, "concurrent": 0, "batch_per_minute": 0}
    )
    peak_in_flight: int = 0


class Throttle:
    """Sliding windows per realm."""

    def __init__(self, clock: SandboxClock, limits: Limits | None = None) -> None:
        self.clock = clock
        self.limits = limits or Limits()
        self._lock = threading.Lock()
        self._realms: dict[str, _RealmWindow] = {}

    def enter(self, realm_id: str, *, batch: bool = False) -> str | None:
        """Admit a request (returns None; call :meth:`leave` when done) or name the limit it broke."""
        now = self.clock.now()
        with self._lock:
            window = self._realms.setdefault(realm_id, _RealmWindow())
            _trim(window.requests, now - 60)
            _trim(window.batches, now - 60)
            recent = sum(1 for stamp in window.requests if stamp > now - 1)
            broken = None
            if window.in_flight >= self.limits.concurrent:
                broken = "concurrent"
            elif recent >= self.limits.per_second:
                broken = "per_second"
            elif len(window.requests) >= self.limits.per_minute:
                broken = "per_minute"
            elif batch and len(window.batches) >= self.limits.batch_per_minute:
                broken = "batch_per_minute"
            if broken:
                window.throttled[broken] += 1
                return broken
            window.requests.append(now)
            if batch:
                window.batches.append(now)
            window.in_flight += 1
            window.accepted += 1
            window.peak_in_flight = max(window.peak_in_flight, window.in_flight)
            return None

    def leave(self, realm_id: str) -> None:
        """A request admitted by :meth:`enter` has been answered."""
        with self._lock:
            self._realms[realm_id].in_flight -= 1

    def counters(self, realm_id: str) -> dict[str, object]:
        """What the realm's windows hold now, and how many requests were admitted or refused."""
        now = self.clock.now()
        with self._lock:
            window = self._realms.setdefault(realm_id, _RealmWindow())
            _trim(window.requests, now - 60)
            _trim(window.batches, now - 60)
            return {
                "last_minute": len(window.requests),
                "last_second": sum(1 for stamp in window.requests if stamp > now - 1),
                "batches_last_minute": len(window.batches),
                "in_flight": window.in_flight,
                "peak_in_flight": window.peak_in_flight,
                "accepted": window.accepted,
                "throttled": dict(window.throttled),
                "throttled_total": sum(window.throttled.values()),
                "limits": {
                    "per_minute": self.limits.per_minute,
                    "per_second": self.limits.per_second,
                    "concurrent": self.limits.concurrent,
                    "batch_per_minute": self.limits.batch_per_minute,
                },
            }


def _trim(stamps: deque[float], oldest: float) -> None:
    while stamps and stamps[0] <= oldest:
        stamps.popleft()
