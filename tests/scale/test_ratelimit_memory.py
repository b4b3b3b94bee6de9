"""The in-process limiter: sliding windows, concurrency slots, time-outs, validation."""

from __future__ import annotations

import threading

import pytest

from hub.errors import ConfigurationError, RetryableError
from hub.ratelimit import InMemoryRateLimiter, RateLimits, RateLimitTimeout, limiter_from_env


class FakeClock:
    """A clock that only moves when the limiter sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def make(limits: RateLimits, clock: FakeClock, max_wait: float = 600.0) -> InMemoryRateLimiter:
    return InMemoryRateLimiter(limits, clock=clock, sleep=clock.sleep, max_wait=max_wait)


def grant_times(limiter: InMemoryRateLimiter, clock: FakeClock, n: int, **kw: bool) -> list[float]:
    times = []
    for _ in range(n):
        with limiter.acquire("realm-1", **kw):
            times.append(clock.now)
    return times


def test_per_second_window_lets_ten_through_then_waits_for_the_oldest_to_leave() -> None:
    clock = FakeClock()
    limiter = make(RateLimits(per_second=10, per_minute=0, concurrent=0), clock)
    times = grant_times(limiter, clock, 25)
    assert times[:10] == [1000.0] * 10
    assert times[10] == pytest.approx(1001.0)
    assert times[20] == pytest.approx(1002.0)
    stats = limiter.stats()
    assert stats.acquired == 25
    # Only the 11th and 21st calls wait (a second each); the others find room at once.
    assert stats.waited_seconds == pytest.approx(2.0)


def test_any_minute_holds_at_most_the_per_minute_limit() -> None:
    clock = FakeClock()
    limiter = make(RateLimits(per_second=10, per_minute=500, concurrent=0), clock)
    times = grant_times(limiter, clock, 1200)
    for i in range(len(times) - 500):
        assert times[i + 500] - times[i] >= 60.0 - 1e-9
    # Never slower than needed: the 501st call goes exactly when the first leaves the window.
    assert times[500] == pytest.approx(times[0] + 60.0)


def test_batch_calls_count_against_the_batch_window_and_plain_calls_do_not() -> None:
    clock = FakeClock()
    limiter = make(RateLimits(per_second=0, per_minute=0, concurrent=0, batch_per_minute=40), clock)
    assert grant_times(limiter, clock, 100) == [1000.0] * 100
    batch = grant_times(limiter, clock, 41, batch=True)
    assert batch[39] == 1000.0
    assert batch[40] == pytest.approx(1060.0)


def test_time_scale_shrinks_every_window() -> None:
    clock = FakeClock()
    limiter = make(RateLimits(per_second=10, per_minute=0, concurrent=0, time_scale=100.0), clock)
    times = grant_times(limiter, clock, 11)
    assert times[10] - times[0] == pytest.approx(0.01)


def test_concurrency_slot_is_held_until_release() -> None:
    limiter = InMemoryRateLimiter(RateLimits(per_second=0, per_minute=0, concurrent=2, time_scale=50))
    held = [limiter.acquire("r"), limiter.acquire("r")]
    got_third = threading.Event()

    def third() -> None:
        with limiter.acquire("r"):
            got_third.set()

    worker = threading.Thread(target=third)
    worker.start()
    assert not got_third.wait(0.05)
    held[0].release()
    assert got_third.wait(2.0)
    worker.join()
    held[1].release()
    held[0].release()  # releasing twice is harmless


def test_other_keys_are_not_limited_by_a_busy_one() -> None:
    clock = FakeClock()
    limiter = make(RateLimits(per_second=1, per_minute=0, concurrent=1), clock)
    busy = limiter.acquire("realm-a")
    with limiter.acquire("realm-b"):
        assert clock.now == 1000.0
    busy.release()


def test_slot_of_a_caller_that_never_released_expires() -> None:
    clock = FakeClock()
    limiter = make(RateLimits(per_second=0, per_minute=0, concurrent=1, slot_ttl=30.0), clock)
    limiter.acquire("r")  # never released, like a worker that died
    with limiter.acquire("r"):
        assert clock.now == pytest.approx(1030.0, abs=0.05)


def test_waiting_past_the_timeout_raises_a_retryable_error() -> None:
    clock = FakeClock()
    limiter = make(RateLimits(per_second=0, per_minute=1, concurrent=0), clock, max_wait=10.0)
    limiter.acquire("r").release()
    with pytest.raises(RateLimitTimeout) as info:
        limiter.acquire("r")
    assert isinstance(info.value, RetryableError)
    assert info.value.retry_after == pytest.approx(60.0)
    with pytest.raises(RateLimitTimeout):
        limiter.acquire("r", timeout=1.0)
    with limiter.acquire("r", timeout=120.0):
        assert clock.now == pytest.approx(1060.0)


@pytest.mark.parametrize(("field", "value"), [("per_second", -1), ("per_minute", 2.5),
                                              ("time_scale", 0), ("slot_ttl", -3)])
def test_bad_limits_name_the_field_and_rule(field: str, value: float) -> None:
    with pytest.raises(ConfigurationError) as info:
        RateLimits(**{field: value})
    assert field in info.value.errors
    assert field in str(info.value)


def test_limiter_from_env_picks_in_process_without_redis_and_rejects_other_schemes() -> None:
    assert isinstance(limiter_from_env(environ={}), InMemoryRateLimiter)
    assert isinstance(limiter_from_env(environ={"BROKER_URL": "amqp://guest@127.0.0.1//"}),
                      InMemoryRateLimiter)
    with pytest.raises(ConfigurationError) as info:
        limiter_from_env(environ={"LEDGERHUB_RATELIMIT_URL": "http://127.0.0.1"})
    assert "LEDGERHUB_RATELIMIT_URL" in info.value.errors
