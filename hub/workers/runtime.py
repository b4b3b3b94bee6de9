"""What a worker process builds once: the hub (database, plugins) and a Redis client."""

from __future__ import annotations

import importlib
import threading
from typing import TYPE_CHECKING, Any

from hub.config import HubConfig
from hub.workers.settings import WorkerSettings

if TYPE_CHECKING:
    from hub.sync.runtime import Hub

_lock = threading.Lock()
_state: dict[str, Any] = {}


def worker_settings() -> WorkerSettings:
    """This process' :class:`WorkerSettings` (read from the environment once)."""
    with _lock:
        if "settings" not in _state:
            _state["settings"] = WorkerSettings.from_env()
        return _state["settings"]


def extra_plugins(modules: tuple[str, ...]) -> list[tuple[str, object]]:
    """Import the ``LEDGERHUB_WORKER_PLUGINS`` modules as ``(name, module)`` pairs."""
    return [(name, importlib.import_module(name)) for name in modules]


def build_hub(settings: WorkerSettings) -> Hub:
    """A hub over ``DATABASE_URL`` with the installed plugins plus the extra ones."""
    from hub.plugin.manager import build_plugin_manager
    from hub.sync.runtime import Hub

    config = HubConfig.from_env(lease_seconds=settings.lease_seconds)
    host = build_plugin_manager(blocked=config.blocked_plugins,
                                extra_plugins=extra_plugins(settings.worker_plugins))
    return Hub(config, host=host)


def worker_hub() -> Hub:
    """This process' hub, built on first use."""
    settings = worker_settings()
    with _lock:
        if "hub" not in _state:
            _state["hub"] = build_hub(settings)
        return _state["hub"]


def redis_client() -> Any:
    """A Redis client on the broker (queued-markers); built on first use."""
    settings = worker_settings()
    with _lock:
        if "redis" not in _state:
            import redis

            _state["redis"] = redis.Redis.from_url(settings.broker_url)
        return _state["redis"]


def reset_after_fork() -> None:
    """Forget everything built by a parent process (pool workers rebuild their own)."""
    with _lock:
        _state.pop("hub", None)
        _state.pop("redis", None)
