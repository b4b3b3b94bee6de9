"""What every ``ledgerhub`` command shares: the plugin host and a lazily built Hub."""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from hub.plugin.manager import PluginHost, PluginInfo, build_plugin_manager
from hub.plugin.target import HubServices

if TYPE_CHECKING:
    from hub.sync.runtime import Hub

BLOCK_ENV = "LEDGERHUB_BLOCK_PLUGINS"


def blocked_from_env() -> frozenset[str]:
    """Plugin names in ``LEDGERHUB_BLOCK_PLUGINS`` (comma-separated)."""
    return frozenset(n.strip() for n in os.environ.get(BLOCK_ENV, "").split(",") if n.strip())


class CliState:
    """The root context's ``obj``.

    ``hub`` and ``services`` are built on first use, so ``ledgerhub --help`` or
    ``ledgerhub plugins`` never open a database. Tests pass a ready ``hub``.
    """

    def __init__(
        self,
        *,
        host: PluginHost | None = None,
        hub: Hub | None = None,
        instance: Path | None = None,
        hub_factory: Callable[[CliState], Hub] | None = None,
    ) -> None:
        self._host = host if host is not None else (hub.host if hub is not None else None)
        self.instance = instance
        self._hub_factory = hub_factory
        self._owns_hub = False
        self._targets_collected = False
        if hub is not None:
            self.__dict__["hub"] = hub

    @property
    def host(self) -> PluginHost:
        """The plugin host (loaded once per process, honouring ``LEDGERHUB_BLOCK_PLUGINS``)."""
        if self._host is None:
            self._host = build_plugin_manager(blocked=blocked_from_env())
        return self._host

    def plugin_infos(self) -> dict[str, PluginInfo]:
        """Every plugin with its targets and load errors, without opening a database."""
        if "hub" not in self.__dict__ and not self._targets_collected:
            self.host.collect_targets()  # the Hub does this itself when it is built
            self._targets_collected = True
        return self.host.plugins

    def config(self, **overrides: Any) -> Any:
        """The hub configuration from the environment and ``--instance``."""
        from hub.config import HubConfig

        if self.instance is not None:
            overrides.setdefault("instance_path", self.instance)
        return HubConfig.from_env(**overrides)

    @cached_property
    def hub(self) -> Hub:
        """The Hub (database migrated on first use)."""
        if self._hub_factory is not None:
            return self._hub_factory(self)
        from hub.sync.runtime import Hub

        self._owns_hub = True
        return Hub(self.config(), host=self.host)

    @property
    def services(self) -> HubServices:
        """What plugin commands use (``hub.plugin.cli.current_services``)."""
        return self.hub.services

    def close(self) -> None:
        """Release the hub's database connections if a hub was built."""
        hub = self.__dict__.get("hub")
        if hub is not None and self._owns_hub:
            hub.close()


def state() -> CliState:
    """The :class:`CliState` of the running command."""
    return click.get_current_context().find_root().obj


def fail(message: str, code: int = 1) -> NoReturn:
    """Print *message* to stderr and exit with *code*."""
    click.secho(f"Error: {message}", fg="red", err=True)
    raise SystemExit(code)
