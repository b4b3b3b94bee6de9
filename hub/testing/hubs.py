"""Real hubs on throw-away SQLite instances, with the plugins under test registered."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.fernet import Fernet

from hub.domain.records import Record, Shop
from hub.plugin import hookimpl
from hub.plugin.target import Target

if TYPE_CHECKING:
    from hub.sync.runtime import Hub

PluginSpec = object
"""A plugin module or object with hook implementations, a ``(name, plugin)`` pair, or a bare
:class:`~hub.plugin.target.Target` instance (registered as a plugin offering just that target)."""


class PluginLoadError(RuntimeError):
    """A plugin handed to the factory failed to load, register or answer its hooks."""


class SingleTargetPlugin:
    """A plugin registering one target instance: lets a test hand a bare target to a hub."""

    def __init__(self, target: Target) -> None:
        self.target = target

    @hookimpl
    def ledgerhub_targets(self) -> list[Target]:
        """The one target."""
        return [self.target]


def named_plugin(plugin: PluginSpec) -> tuple[str, object]:
    """``(name, plugin)`` for anything :class:`HubFactory` accepts."""
    if isinstance(plugin, tuple) and len(plugin) == 2 and isinstance(plugin[0], str):
        return plugin[0], plugin[1]
    if isinstance(plugin, Target):
        return getattr(plugin, "name", type(plugin).__name__), SingleTargetPlugin(plugin)
    return getattr(plugin, "__name__", None) or type(plugin).__name__, plugin


class HubFactory:
    """Builds hubs under *root*, each on its own SQLite database; :meth:`close` closes them.

    This is what the ``ledgerhub_factory`` fixture hands a test.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.hubs: list[Hub] = []

    def __call__(
        self,
        plugins: Iterable[PluginSpec] = (),
        *,
        load_entrypoints: bool = False,
        blocked: Sequence[str] = (),
        clock: Callable[[], datetime] | None = None,
        config: dict[str, Any] | None = None,
    ) -> Hub:
        """A migrated hub with *plugins* registered (and, with *load_entrypoints*, every
        installed plugin except *blocked*). ``PluginLoadError`` names any plugin that failed
        to load, register or answer ``ledgerhub_targets`` / ``ledgerhub_configure``.

        *clock* replaces the hub's clock (a callable returning an aware datetime); *config*
        adds ``HubConfig`` overrides.
        """
        from hub.config import HubConfig
        from hub.plugin.manager import build_plugin_manager
        from hub.sync.runtime import Hub

        instance = self.root / f"ledgerhub-{len(self.hubs) + 1}"
        instance.mkdir(parents=True, exist_ok=True)
        overrides: dict[str, Any] = {
            "database_url": f"sqlite:///{instance / 'hub.sqlite3'}",
            "instance_path": instance,
            "secret_key": Fernet.generate_key().decode(),
            "blocked_plugins": tuple(blocked),
            **(config or {}),
        }
        host = build_plugin_manager(
            load_entrypoints=load_entrypoints,
            extra_plugins=[named_plugin(p) for p in plugins],
            blocked=blocked,
        )
        hub = Hub(HubConfig.from_env({}, **overrides), host=host, clock=clock)
        self.hubs.append(hub)
        errors = {name: info.error for name, info in hub.host.plugins.items() if info.error}
        if errors:
            listed = "; ".join(f"{name}: {error}" for name, error in errors.items())
            raise PluginLoadError(f"plugins failed to load: {listed}")
        return hub

    def close(self) -> None:
        """Close every hub built (their database connections)."""
        for hub in self.hubs:
            hub.close()
        self.hubs.clear()


def run_sync(
    hub: Hub,
    shop: Shop,
    target_name: str,
    settings: dict[str, Any],
    records: Iterable[Record],
    *,
    start_mode: str = "forward",
) -> dict[str, int]:
    """Store *shop* (unless the hub has it), connect it to *target_name* (again: the same
    connection is reused), ingest *records*, sync until idle, and return the connection's
    delivery counts by status, e.g. ``{"delivered": 42}``."""
    try:
        hub.get_shop(shop.id)
    except KeyError:
        hub.create_shop(shop)
    connection_id = hub.connect(shop.id, target_name, settings, start_mode)
    hub.ingest(shop.id, list(records))
    hub.sync(connection_id)
    return hub.delivery_counts(connection_id)
