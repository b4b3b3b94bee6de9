"""Wrong-key rate limiting for ``authenticate``: after too many failures in a window, a user
name is answered ``nvu`` without checking the key at all, for a while."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

MAX_FAILURES = 5
WINDOW_SECONDS = 60.0
LOCKOUT_SECONDS = 300.0


class LoginLimiter:
    """Counts failed logins per user name in a sliding window; thread-safe, in memory."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, *, max_failures: int = MAX_FAILURES,
                 window: float = WINDOW_SECONDS, lockout: float = LOCKOUT_SECONDS) -> None:
        self.clock = clock
        self.max_failures = max_failures
        self.window = window
        self.lockout = lockout
        self._failures: dict[str, deque[float]] = {}
        self._locked_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def locked(self, username: str) -> bool:
        """True while *username* is locked out."""
        with self._lock:
            until = self._locked_until.get(username)
            if until is None:
                return False
            if self.clock() >= until:
                del self._locked_until[username]
                return False
            return True

    def failed(self, username: str) -> None:
        """Count a wrong key; lock the name out when the window is full."""
        now = self.clock()
        with self._lock:
            recent = self._failures.setdefault(username, deque())
            recent.append(now)
            while recent and recent[0] <= now - self.window:
                recent.popleft()
            if len(recent) >= self.max_failures:
                self._locked_until[username] = now + self.lockout
                recent.clear()
            if len(self._failures) > 10_000:  # bound memory against name-spraying
                self._failures = {k: v for k, v in self._failures.items() if v}

    def succeeded(self, username: str) -> None:
        """Forget earlier failures of *username*."""
        with self._lock:
            self._failures.pop(username, None)
