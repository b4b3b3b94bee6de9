"""Wrong-key rate limiting for ``authenticate``: after too many failures in a window, a user
name is answered ``nvu`` from that client address without checking the key, for a while.

Failures are counted per (user name, client address). The user name is printed in the ``.qwc``
file, so counting per name alone would let anyone holding that file lock the shop's real Web
Connector out with a few bad tries; keyed by address too, a lock-out only stops the address that
earned it. The counts live in this process's memory: each web process keeps its own.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

MAX_FAILURES = 5
WINDOW_SECONDS = 60.0
LOCKOUT_SECONDS = 300.0
MAX_TRACKED = 10_000

LoginKey = tuple[str, str]


class LoginLimiter:
    """Counts failed logins per (user name, client address) in a sliding window; thread-safe,
    in memory."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, *, max_failures: int = MAX_FAILURES,
                 window: float = WINDOW_SECONDS, lockout: float = LOCKOUT_SECONDS) -> None:
        self.clock = clock
        self.max_failures = max_failures
        self.window = window
        self.lockout = lockout
        self._failures: dict[LoginKey, deque[float]] = {}
        self._locked_until: dict[LoginKey, float] = {}
        self._lock = threading.Lock()

    def locked(self, username: str, client: str = "") -> bool:
        """True while *username* is locked out for requests from *client*."""
        key = (username, client)
        with self._lock:
            until = self._locked_until.get(key)
            if until is None:
                return False
            if self.clock() >= until:
                del self._locked_until[key]
                return False
            return True

    def failed(self, username: str, client: str = "") -> None:
        """Count a wrong key from *client*; lock that pair out when the window is full."""
        key = (username, client)
        now = self.clock()
        with self._lock:
            recent = self._failures.setdefault(key, deque())
            recent.append(now)
            while recent and recent[0] <= now - self.window:
                recent.popleft()
            if len(recent) >= self.max_failures:
                self._locked_until[key] = now + self.lockout
                recent.clear()
            if len(self._failures) > MAX_TRACKED:  # bound memory against name/address spraying
                self._failures = {k: v for k, v in self._failures.items()
                                  if v and v[-1] > now - self.window}
            if len(self._locked_until) > MAX_TRACKED:
                self._locked_until = {k: t for k, t in self._locked_until.items() if t > now}

    def succeeded(self, username: str, client: str = "") -> None:
        """Forget earlier failures of *username* from *client*."""
        with self._lock:
            self._failures.pop((username, client), None)
