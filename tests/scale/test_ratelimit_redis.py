"""The Redis limiter shared by several processes: windows, concurrency and dead holders."""

from __future__ import annotations

import multiprocessing
import os
import time

import pytest
import redis

from hub.ratelimit import RateLimits, RedisRateLimiter, limiter_from_env

pytestmark = pytest.mark.redis
FORK = multiprocessing.get_context("fork")


def _hammer(url: str, prefix: str, limits: RateLimits, calls: int, hold: float,
            out: multiprocessing.Queue) -> None:
    limiter = RedisRateLimiter.from_url(url, limits, prefix=prefix)
    counter = redis.Redis.from_url(url)
    stamps, peak = [], 0
    for _ in range(calls):
        with limiter.acquire("realm-9"):
            stamps.append(time.monotonic())
            if hold:
                peak = max(peak, counter.incr(f"{prefix}:inside"))
                time.sleep(hold)
                counter.decr(f"{prefix}:inside")
    out.put((stamps, peak, limiter.stats().waited_seconds))


def run_processes(url: str, prefix: str, limits: RateLimits, procs: int, calls: int,
                  hold: float = 0.0) -> tuple[list[float], int, float]:
    out: multiprocessing.Queue = FORK.Queue()
    workers = [FORK.Process(target=_hammer, args=(url, prefix, limits, calls, hold, out))
               for _ in range(procs)]
    for w in workers:
        w.start()
    results = [out.get(timeout=60) for _ in workers]
    for w in workers:
        w.join(timeout=10)
        assert w.exitcode == 0
    stamps = sorted(s for r in results for s in r[0])
    return stamps, max(r[1] for r in results), sum(r[2] for r in results)


def test_processes_sharing_a_realm_stay_under_the_per_second_window(redis_url: str,
                                                                    redis_prefix: str) -> None:
    limits = RateLimits(per_second=10, per_minute=0, concurrent=0, time_scale=5.0)  # 0.2 s window
    stamps, _peak, waited = run_processes(redis_url, redis_prefix, limits, procs=3, calls=20)
    window = 0.2
    assert len(stamps) == 60
    # Grants are stamped after the reply arrives, so allow a little scheduling jitter.
    for i in range(len(stamps) - 10):
        assert stamps[i + 10] - stamps[i] >= window - 0.04, f"11 grants within {window}s at {i}"
    # 60 grants at 10 per window need at least 5 full windows, and not much more.
    assert window * 5 - 0.04 <= stamps[-1] - stamps[0] <= window * 5 + 1.0
    assert waited > 0
    shared = RedisRateLimiter.from_url(redis_url, limits, prefix=redis_prefix).shared_stats()
    assert shared.acquired == 60
    assert shared.waited_seconds == pytest.approx(waited, rel=0.01, abs=0.01)


def test_concurrency_limit_holds_across_processes(redis_url: str, redis_prefix: str) -> None:
    limits = RateLimits(per_second=0, per_minute=0, concurrent=3, time_scale=20.0)
    stamps, peak, _waited = run_processes(redis_url, redis_prefix, limits, procs=5, calls=6, hold=0.02)
    assert len(stamps) == 30
    assert peak == 3  # reached, never exceeded


def _take_and_die(url: str, prefix: str, limits: RateLimits) -> None:
    RedisRateLimiter.from_url(url, limits, prefix=prefix).acquire("realm-9")
    os._exit(0)  # killed while holding the slot: no release


def test_slot_of_a_dead_process_is_reclaimed_after_its_ttl(redis_url: str, redis_prefix: str) -> None:
    limits = RateLimits(per_second=0, per_minute=0, concurrent=1, slot_ttl=60.0, time_scale=60.0)
    dying = FORK.Process(target=_take_and_die, args=(redis_url, redis_prefix, limits))
    dying.start()
    dying.join(timeout=10)
    limiter = RedisRateLimiter.from_url(redis_url, limits, prefix=redis_prefix)
    with limiter.acquire("realm-9") as permit:
        assert 0.5 <= permit.waited <= 3.0
    with limiter.acquire("realm-9") as permit:  # released normally this time: no wait
        assert permit.waited < 0.5


def test_reset_deletes_every_key_of_the_prefix(redis_url: str, redis_prefix: str) -> None:
    limiter = RedisRateLimiter.from_url(redis_url, RateLimits(), prefix=redis_prefix)
    with limiter.acquire("realm-1", batch=True):
        pass
    client = redis.Redis.from_url(redis_url)
    assert list(client.scan_iter(match=f"{redis_prefix}:*"))
    limiter.reset()
    assert not list(client.scan_iter(match=f"{redis_prefix}:*"))
    assert limiter.shared_stats().acquired == 0


def test_limiter_from_env_uses_a_redis_broker(redis_url: str, redis_prefix: str) -> None:
    limiter = limiter_from_env(RateLimits(), environ={"BROKER_URL": redis_url,
                                                      "LEDGERHUB_RATELIMIT_PREFIX": redis_prefix})
    assert isinstance(limiter, RedisRateLimiter)
    assert limiter.prefix == redis_prefix
