"""When to try a delivery again after a passing failure."""

from __future__ import annotations

import random


def retry_delay(
    attempts: int,
    *,
    base: float,
    cap: float,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait before attempt ``attempts + 1``.

    The target's own ``retry_after`` wins (it knows when its throttle resets), but never beyond
    *cap*. Otherwise exponential from *base*, with "equal jitter" (half fixed, half random) so
    many deliveries failing together do not come back together.
    """
    if retry_after is not None and retry_after >= 0:
        return min(float(retry_after), cap)
    exponential = min(cap, base * 2 ** max(0, attempts - 1))
    return exponential / 2 + (rng or random).uniform(0, exponential / 2)
