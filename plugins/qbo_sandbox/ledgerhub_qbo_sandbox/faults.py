"""Fault injection: configured shares of failures on company requests, or exact ones queued.

``FaultConfig`` shares are probabilities per request (drawn from a seeded generator so runs
repeat); :meth:`FaultConfig.inject_next` queues named faults for the next requests, which tests
use for exact scenarios. Kinds:

* ``"500"`` / ``"503"``: answered with QBO's SystemFault before anything is applied.
* ``"slow"``: answered after ``slow_seconds`` sandbox seconds (real delay = that / time scale).
* ``"drop"``: the change is applied (and its requestid answer remembered), then the connection is
  closed without an answer: the object exists but the client never hears so.
* ``"401"``: answered 401 as if the access token had expired.
"""

from __future__ import annotations

import random
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

KINDS = ("500", "503", "slow", "drop", "401")


@dataclass
class FaultConfig:
    """What share of company requests fail, and how."""

    error_500: float = 0.0
    error_503: float = 0.0
    slow: float = 0.0
    slow_seconds: float = 5.0
    drop_after_commit: float = 0.0
    unauthorized: float = 0.0
    #: "json" (QBO's JSON Fault) or "xml" (the XML throttle fault QBO has been seen to send).
    throttle_format: str = "json"
    seed: int = 0
    _queue: deque[str] = field(default_factory=deque, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _random: random.Random = field(default_factory=random.Random, repr=False)

    def __post_init__(self) -> None:
        self._random.seed(self.seed)

    def inject_next(self, kind: str, count: int = 1) -> None:
        """Make the next ``count`` company requests fail with ``kind`` (one of :data:`KINDS`)."""
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; choose one of {', '.join(KINDS)}")
        with self._lock:
            self._queue.extend([kind] * count)

    def update(self, settings: dict[str, Any]) -> None:
        """Change shares from a mapping (the admin endpoint and the CLI use this)."""
        with self._lock:
            for key, value in settings.items():
                if key == "throttle_format":
                    if value not in ("json", "xml"):
                        raise ValueError("throttle_format must be 'json' or 'xml'")
                    self.throttle_format = value
                elif key == "seed":
                    self.seed = int(value)
                    self._random.seed(self.seed)
                elif key in ("error_500", "error_503", "slow", "drop_after_commit", "unauthorized"):
                    share = float(value)
                    if not 0.0 <= share <= 1.0:
                        raise ValueError(f"{key} must be a share between 0 and 1, got {share}")
                    setattr(self, key, share)
                elif key == "slow_seconds":
                    self.slow_seconds = float(value)
                else:
                    raise ValueError(f"unknown fault setting {key!r}")

    def reset(self) -> None:
        """No faults at all (shares zero, queue empty)."""
        with self._lock:
            self._queue.clear()
            self.error_500 = self.error_503 = self.slow = self.drop_after_commit = self.unauthorized = 0.0

    def draw(self) -> set[str]:
        """The faults the next request gets."""
        with self._lock:
            if self._queue:
                return {self._queue.popleft()}
            chosen = set()
            for kind, share in (
                ("401", self.unauthorized),
                ("500", self.error_500),
                ("503", self.error_503),
                ("slow", self.slow),
                ("drop", self.drop_after_commit),
            ):
                if share and self._random.random() < share:
                    chosen.add(kind)
            return chosen

    def as_dict(self) -> dict[str, Any]:
        """The settings, JSON-ready."""
        return {
            "error_500": self.error_500,
            "error_503": self.error_503,
            "slow": self.slow,
            "slow_seconds": self.slow_seconds,
            "drop_after_commit": self.drop_after_commit,
            "unauthorized": self.unauthorized,
            "throttle_format": self.throttle_format,
            "seed": self.seed,
            "queued": list(self._queue),
        }
