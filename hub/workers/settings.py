"""The worker processes' settings, read from the environment once per process."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from hub.errors import ConfigurationError

DEFAULT_BROKER = "redis://127.0.0.1:6379/0"


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    """How workers and the scheduler behave. Every field has an environment variable.

    * ``BROKER_URL`` — the Celery broker (Redis); also the shared rate limiter's store.
    * ``LEDGERHUB_DISPATCH_INTERVAL`` — seconds between two scans for due work (beat).
    * ``LEDGERHUB_BATCH_LIMIT`` — deliveries per engine batch (0: the target's ``batch_size``).
    * ``LEDGERHUB_TASK_BUDGET`` — seconds one task keeps working a connection before it lets
      other connections have the worker (the rest is picked up by the next dispatch).
    * ``LEDGERHUB_LEASE_SECONDS`` — how long a connection lease outlives a silent worker.
    * ``LEDGERHUB_QUEUE`` — the Celery queue name; also prefixes the scheduler's Redis keys,
      so two deployments (or test runs) can share one Redis.
    * ``LEDGERHUB_WORKER_PLUGINS`` — comma-separated modules registered as extra plugins in
      worker processes (site-local plugins that are not installed distributions).
    """

    broker_url: str = DEFAULT_BROKER
    queue: str = "ledgerhub"
    dispatch_interval: float = 5.0
    batch_limit: int = 0
    task_budget: float = 60.0
    lease_seconds: float = 300.0
    worker_plugins: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> WorkerSettings:
        """Read the settings; a malformed number is a :class:`ConfigurationError` naming it."""
        env = os.environ if environ is None else environ
        plugins = tuple(p.strip() for p in env.get("LEDGERHUB_WORKER_PLUGINS", "").split(",") if p.strip())
        return cls(
            broker_url=env.get("BROKER_URL") or DEFAULT_BROKER,
            queue=env.get("LEDGERHUB_QUEUE") or "ledgerhub",
            dispatch_interval=_number(env, "LEDGERHUB_DISPATCH_INTERVAL", 5.0),
            batch_limit=int(_number(env, "LEDGERHUB_BATCH_LIMIT", 0, integer=True)),
            task_budget=_number(env, "LEDGERHUB_TASK_BUDGET", 60.0),
            lease_seconds=_number(env, "LEDGERHUB_LEASE_SECONDS", 300.0),
            worker_plugins=plugins,
        )


def _number(env: Mapping[str, str], name: str, default: float, *, integer: bool = False) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        kind = "a whole number" if integer else "a number"
        raise ConfigurationError(f"{name} must be {kind}, got {raw!r}", {name: [f"must be {kind}"]}) from None
    if value < 0 or (value == 0 and name != "LEDGERHUB_BATCH_LIMIT"):
        raise ConfigurationError(
            f"{name} must be greater than 0, got {raw!r}", {name: ["must be greater than 0"]}
        )
    return value
