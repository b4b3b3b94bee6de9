"""Per-key (per-realm) rate limiting for target plugins, in one process or shared by all workers.

A target that talks to a throttled API takes a :class:`Permit` before each call::

    limiter = hub.ratelimit.limiter_from_env(RateLimits(per_minute=500, per_second=10))
    with limiter.acquire(realm_id):
        response = session.post(...)

``acquire`` blocks until every limit has room (sliding windows: per second, per minute, batch
calls per minute) and a concurrency slot is free, and counts the time it waited. Two
implementations share the :class:`RateLimiter` protocol:

* :class:`InMemoryRateLimiter` — one process (the embedded default, tests).
* :class:`RedisRateLimiter` — every worker process on every machine draws from the same
  windows, checked and taken atomically by one Lua script using Redis' own clock; so a realm
  stays under its limits however many workers run. Concurrency slots expire (``slot_ttl``) so a
  killed worker does not hold one forever.

Sliding windows rather than token buckets: a bucket of capacity C refilled over a minute lets
2C calls through in a minute that straddles a refill, which is over the limit QBO enforces.

``time_scale`` shrinks every window (``time_scale=60`` makes "500 per minute" mean 500 per
second) so tests and benchmarks run a simulated hour in a minute.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol

from hub.errors import ConfigurationError, RetryableError

__all__ = [
    "InMemoryRateLimiter",
    "LimiterStats",
    "Permit",
    "RateLimitTimeout",
    "RateLimiter",
    "RateLimits",
    "RedisRateLimiter",
    "limiter_from_env",
    "limiter_from_url",
]


@dataclass(frozen=True, slots=True)
class RateLimits:
    """The limits for one key, QBO's per-realm figures by default. ``0`` switches one off.

    ``time_scale`` > 1 makes time pass faster: every window (and ``slot_ttl``) is divided by it.
    """

    per_second: int = 10
    per_minute: int = 500
    concurrent: int = 10
    batch_per_minute: int = 40
    time_scale: float = 1.0
    slot_ttl: float = 120.0
    """Seconds (unscaled) after which a concurrency slot of a process that died is reclaimed."""

    def __post_init__(self) -> None:
        for name in ("per_second", "per_minute", "concurrent", "batch_per_minute"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise ConfigurationError(
                    f"rate limit {name} must be a whole number >= 0, got {value!r}",
                    {name: ["must be a whole number >= 0 (0 switches the limit off)"]},
                )
        for name in ("time_scale", "slot_ttl"):
            if not getattr(self, name) > 0:
                raise ConfigurationError(
                    f"rate limit {name} must be > 0, got {getattr(self, name)!r}",
                    {name: ["must be greater than 0"]},
                )

    def windows(self, batch: bool) -> list[tuple[str, int, float]]:
        """``(name, limit, window seconds)`` of every window a call counts against; a batch
        call also counts as a request."""
        found = [
            ("second", self.per_second, 1.0 / self.time_scale),
            ("minute", self.per_minute, 60.0 / self.time_scale),
        ]
        if batch:
            found.append(("batch", self.batch_per_minute, 60.0 / self.time_scale))
        return [w for w in found if w[1] > 0]

    @property
    def scaled_slot_ttl(self) -> float:
        """``slot_ttl`` in real seconds."""
        return self.slot_ttl / self.time_scale


class RateLimitTimeout(RetryableError):
    """Waited longer than allowed for a permit; the delivery should be retried later."""


@dataclass(slots=True)
class LimiterStats:
    """How many permits were granted and how long callers waited for them (real seconds)."""

    acquired: int = 0
    waited_seconds: float = 0.0


class Permit:
    """A granted call. Use it as a context manager; leaving it frees the concurrency slot."""

    def __init__(self, release: Callable[[], None], waited: float) -> None:
        self._release: Callable[[], None] | None = release
        self.waited = waited
        """Real seconds spent waiting for this permit."""

    def release(self) -> None:
        """Free the concurrency slot (idempotent)."""
        release, self._release = self._release, None
        if release is not None:
            release()

    def __enter__(self) -> Permit:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


class RateLimiter(Protocol):
    """What a plugin uses: take a permit per API call, read the waiting statistics."""

    limits: RateLimits

    def acquire(self, key: str, batch: bool = False, *, timeout: float | None = None) -> Permit:
        """Block until *key* may make one call (a batch call if *batch*); raise
        :class:`RateLimitTimeout` after *timeout* real seconds (``None``: the limiter's default)."""
        ...

    def stats(self) -> LimiterStats:
        """Permits granted and time waited, by this limiter object (this process)."""
        ...


class _Waiter:
    """Shared wait loop: ask ``try_take`` until granted, sleeping as long as it says."""

    limits: RateLimits
    max_wait: float
    _clock: Callable[[], float]
    _sleep: Callable[[float], None]
    _stats: LimiterStats
    _stats_lock: threading.Lock

    def _wait_for(
        self, key: str, batch: bool, timeout: float | None, try_take: Callable[[float], tuple[bool, float]]
    ) -> float:
        limit = self.max_wait if timeout is None else timeout
        started = self._clock()
        while True:
            waited = self._clock() - started
            granted, wait = try_take(waited)
            if granted:
                with self._stats_lock:
                    self._stats.acquired += 1
                    self._stats.waited_seconds += waited
                return waited
            if waited + wait > limit:
                with self._stats_lock:
                    self._stats.waited_seconds += waited
                raise RateLimitTimeout(
                    f"rate limit for {key!r} still exhausted after {waited:.2f}s", retry_after=wait
                )
            self._sleep(wait)

    def stats(self) -> LimiterStats:
        """Permits granted and time waited through this object."""
        with self._stats_lock:
            return LimiterStats(self._stats.acquired, self._stats.waited_seconds)


class InMemoryRateLimiter(_Waiter):
    """Sliding-window limits held in this process; thread-safe. ``clock``/``sleep`` may be
    replaced by a test's fake clock."""

    def __init__(
        self,
        limits: RateLimits | None = None,
        *,
        max_wait: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limits = limits or RateLimits()
        self.max_wait = max_wait
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._calls: dict[tuple[str, str], deque[float]] = {}
        self._slots: dict[str, dict[str, float]] = {}
        self._stats, self._stats_lock = LimiterStats(), threading.Lock()

    def acquire(self, key: str, batch: bool = False, *, timeout: float | None = None) -> Permit:
        """Block until *key* may make one call; see :class:`RateLimiter`."""
        token = uuid.uuid4().hex
        waited = self._wait_for(key, batch, timeout, lambda _w: self._try_take(key, batch, token))
        return Permit(lambda: self._release(key, token), waited)

    def _try_take(self, key: str, batch: bool, token: str) -> tuple[bool, float]:
        now = self._clock()
        with self._lock:
            wait = 0.0
            slots = self._slots.setdefault(key, {})
            for tok, expiry in list(slots.items()):
                if expiry <= now:
                    del slots[tok]
            if self.limits.concurrent and len(slots) >= self.limits.concurrent:
                # A release can come any moment: poll briefly, but never past the first expiry.
                wait = min(min(slots.values()) - now, _poll_interval(self.limits))
            for name, limit, window in self.limits.windows(batch):
                calls = self._calls.setdefault((key, name), deque())
                while calls and calls[0] <= now - window:
                    calls.popleft()
                if len(calls) >= limit:
                    wait = max(wait, calls[len(calls) - limit] + window - now)
            if wait > 0:
                return False, wait
            for name, _limit, _window in self.limits.windows(batch):
                self._calls[(key, name)].append(now)
            slots[token] = now + self.limits.scaled_slot_ttl
            return True, 0.0

    def _release(self, key: str, token: str) -> None:
        with self._lock:
            self._slots.get(key, {}).pop(token, None)


def _poll_interval(limits: RateLimits) -> float:
    return max(0.0005, 0.02 / limits.time_scale)


# KEYS: window zsets..., concurrency zset, stats hash.
# ARGV: member, concurrent limit, slot ttl (us), poll (us), waited (us), then limit/window(us) pairs.
# Scores are microseconds of Redis' clock, so every worker process agrees on "now".
_TAKE_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local member = ARGV[1]
local conc_limit = tonumber(ARGV[2])
local slot_ttl = tonumber(ARGV[3])
local nwin = #KEYS - 2
local ckey = KEYS[nwin + 1]
local wait = 0
redis.call('ZREMRANGEBYSCORE', ckey, '-inf', now)
if conc_limit > 0 then
  local held = redis.call('ZCARD', ckey)
  if held >= conc_limit then
    local first = redis.call('ZRANGE', ckey, 0, 0, 'WITHSCORES')
    wait = math.min(tonumber(first[2]) - now, tonumber(ARGV[4]))
  end
end
for i = 1, nwin do
  local limit = tonumber(ARGV[4 + 2 * i])
  local window = tonumber(ARGV[5 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  local count = redis.call('ZCARD', KEYS[i])
  if count >= limit then
    local entry = redis.call('ZRANGE', KEYS[i], count - limit, count - limit, 'WITHSCORES')
    local w = tonumber(entry[2]) + window - now
    if w > wait then wait = w end
  end
end
if wait > 0 then return {0, tostring(wait)} end
for i = 1, nwin do
  local window = tonumber(ARGV[5 + 2 * i])
  redis.call('ZADD', KEYS[i], now, member)
  redis.call('PEXPIRE', KEYS[i], math.ceil(window / 1000) + 1000)
end
redis.call('ZADD', ckey, now + slot_ttl, member)
redis.call('PEXPIRE', ckey, math.ceil(slot_ttl / 1000) + 1000)
redis.call('HINCRBY', KEYS[nwin + 2], 'acquired', 1)
redis.call('HINCRBY', KEYS[nwin + 2], 'waited_us', tonumber(ARGV[5]))
return {1, '0'}
"""


class RedisRateLimiter(_Waiter):
    """Limits shared by every process using the same Redis and ``prefix``.

    Besides this object's own :meth:`stats`, :meth:`shared_stats` adds up the permits and
    waiting of every process since :meth:`reset` (what a benchmark reports).
    """

    def __init__(
        self,
        client: Any,
        limits: RateLimits | None = None,
        *,
        prefix: str = "ledgerhub:ratelimit",
        max_wait: float = 300.0,
    ) -> None:
        self.limits = limits or RateLimits()
        self.max_wait = max_wait
        self.prefix = prefix
        self._redis = client
        self._script = client.register_script(_TAKE_SCRIPT)
        self._clock, self._sleep = time.monotonic, time.sleep
        self._stats, self._stats_lock = LimiterStats(), threading.Lock()

    @classmethod
    def from_url(cls, url: str, limits: RateLimits | None = None, **kwargs: Any) -> RedisRateLimiter:
        """Connect to the Redis at *url* (``redis://host:port/db``)."""
        import redis

        return cls(redis.Redis.from_url(url), limits, **kwargs)

    def acquire(self, key: str, batch: bool = False, *, timeout: float | None = None) -> Permit:
        """Block until *key* may make one call; see :class:`RateLimiter`."""
        member = uuid.uuid4().hex
        windows = self.limits.windows(batch)
        keys = [f"{self.prefix}:{key}:{name}" for name, _l, _w in windows]
        slot_key = f"{self.prefix}:{key}:slots"
        keys += [slot_key, f"{self.prefix}:stats"]
        fixed = [
            member,
            self.limits.concurrent,
            _us(self.limits.scaled_slot_ttl),
            _us(_poll_interval(self.limits)),
        ]
        pairs = [v for _n, limit, window in windows for v in (limit, _us(window))]

        def try_take(waited: float) -> tuple[bool, float]:
            granted, wait = self._script(keys=keys, args=[*fixed, _us(waited), *pairs])
            return bool(int(granted)), float(wait) / 1_000_000

        waited = self._wait_for(key, batch, timeout, try_take)
        return Permit(lambda: self._redis.zrem(slot_key, member), waited)

    def shared_stats(self) -> LimiterStats:
        """Permits and waiting summed over every process sharing this prefix."""
        raw = self._redis.hgetall(f"{self.prefix}:stats")
        acquired = int(raw.get(b"acquired", 0))
        return LimiterStats(acquired, int(raw.get(b"waited_us", 0)) / 1_000_000)

    def reset(self) -> None:
        """Delete every key under the prefix (tests, benchmark runs)."""
        keys = list(self._redis.scan_iter(match=f"{self.prefix}:*", count=1000))
        for start in range(0, len(keys), 500):
            self._redis.delete(*keys[start : start + 500])


def _us(seconds: float) -> int:
    return max(1, round(seconds * 1_000_000))


def limiter_from_url(
    url: str | None,
    limits: RateLimits | None = None,
    *,
    prefix: str = "ledgerhub:ratelimit",
    max_wait: float = 300.0,
) -> RateLimiter:
    """A :class:`RedisRateLimiter` for a ``redis://`` / ``rediss://`` *url*, else (``None`` or
    empty) an :class:`InMemoryRateLimiter`. Another scheme is a :class:`ConfigurationError`."""
    if not url:
        return InMemoryRateLimiter(limits, max_wait=max_wait)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisRateLimiter.from_url(url, limits, prefix=prefix, max_wait=max_wait)
    raise ConfigurationError(
        f"rate limiter URL must be a redis:// URL, got scheme {url.split(':', 1)[0]!r}",
        {"LEDGERHUB_RATELIMIT_URL": ["must be a redis:// or rediss:// URL, or empty for in-process"]},
    )


def limiter_from_env(
    limits: RateLimits | None = None,
    *,
    prefix: str = "ledgerhub:ratelimit",
    environ: Mapping[str, str] | None = None,
) -> RateLimiter:
    """The limiter a deployment configured: ``LEDGERHUB_RATELIMIT_URL``, else ``BROKER_URL`` when
    it is a Redis URL (Celery workers share it), else in-process.
    ``LEDGERHUB_RATELIMIT_PREFIX`` overrides *prefix* (tests keep their keys apart)."""
    env = os.environ if environ is None else environ
    url = env.get("LEDGERHUB_RATELIMIT_URL")
    if url is None:
        broker = env.get("BROKER_URL", "")
        url = broker if broker.startswith(("redis://", "rediss://")) else ""
    return limiter_from_url(url, limits, prefix=env.get("LEDGERHUB_RATELIMIT_PREFIX", prefix))
