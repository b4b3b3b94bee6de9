"""Client-side rate limiting per QuickBooks company (realm).

QBO allows 500 requests a minute and 10 a second per realm, 10 at once, and 40 batch requests
a minute per realm and app. The plugin takes a permit from a :class:`hub.ratelimit.RateLimiter`
before every call, keyed by realm, so a normal run never meets a 429. The limiter comes from
the deployment (:func:`hub.ratelimit.limiter_from_env`): in-process by default, shared through
Redis when workers are scaled out — the target does not change.
"""

from __future__ import annotations

import os
import threading

from hub.ratelimit import InMemoryRateLimiter, RateLimiter, RateLimits, limiter_from_env

__all__ = ["QBO_LIMITS", "RateLimiter", "default_limiter", "qbo_limits", "unlimited"]

QBO_LIMITS = RateLimits(per_second=9, per_minute=480, concurrent=10, batch_per_minute=36)
"""A little under QBO's published limits, leaving room for clocks that disagree a bit."""

TIME_SCALE_ENV = "LEDGERHUB_QBO_TIME_SCALE"
"""Speeds the limiter's clock up to match a QBO sandbox run with a time scale (tests, demo)."""

_lock = threading.Lock()
_shared: dict[float, RateLimiter] = {}


def qbo_limits(time_scale: float = 1.0) -> RateLimits:
    """QBO's limits with every window divided by *time_scale*."""
    return RateLimits(per_second=QBO_LIMITS.per_second, per_minute=QBO_LIMITS.per_minute,
                      concurrent=QBO_LIMITS.concurrent, batch_per_minute=QBO_LIMITS.batch_per_minute,
                      time_scale=time_scale)


def default_limiter(time_scale: float | None = None) -> RateLimiter:
    """The limiter every connection of this process shares (one per time scale)."""
    scale = time_scale if time_scale is not None else float(os.environ.get(TIME_SCALE_ENV, "1") or 1)
    with _lock:
        limiter = _shared.get(scale)
        if limiter is None:
            limiter = _shared[scale] = limiter_from_env(qbo_limits(scale))
        return limiter


def unlimited() -> RateLimiter:
    """A limiter that never waits (previews; tests that provoke throttling on purpose)."""
    return InMemoryRateLimiter(RateLimits(per_second=0, per_minute=0, concurrent=0, batch_per_minute=0))
