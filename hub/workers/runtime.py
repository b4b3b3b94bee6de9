"""What a worker process builds once: the sync core (database, plugins) and a Redis client."""

from __future__ import annotations

import importlib
import threading
from typing import TYPE_CHECKING, Any

from hub.config import HubConfig
from hub.workers.settings import WorkerSettings

if TYPE_CHECKING:
    from hub.sync.core import Core

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


def build_core(settings: WorkerSettings) -> Core:
    """The engine's :class:`~hub.sync.core.Core` over ``DATABASE_URL``, with the installed
    plugins plus the ``LEDGERHUB_WORKER_PLUGINS`` ones; no Flask, no facade."""
    from hub.plugin.manager import build_plugin_manager
    from hub.storage.session import make_engine, make_session_factory
    from hub.sync.core import Core

    config = HubConfig.from_env(lease_seconds=settings.lease_seconds)
    host = build_plugin_manager(
        blocked=config.blocked_plugins, extra_plugins=extra_plugins(settings.worker_plugins)
    )
    host.call_each("ledgerhub_configure", config=config.as_plugin_config())
    session_factory = make_session_factory(make_engine(config.database_url))
    return Core(config=config, session_factory=session_factory, host=host, targets=host.collect_targets())


def worker_core() -> Core:
    """This process' core, built on first use (after a fork, in the child)."""
    settings = worker_settings()
    with _lock:
        if "core" not in _state:
            _state["core"] = build_core(settings)
        return _state["core"]


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
        _state.pop("core", None)
        _state.pop("redis", None)
