"""Build the plugin manager, load plugins in isolation, and call hooks plugin by plugin."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import pluggy

from hub.plugin import PROJECT_NAME, hookspecs
from hub.plugin.target import Target

log = logging.getLogger("ledgerhub.plugins")
trace_log = logging.getLogger("ledgerhub.plugins.trace")

TRACE_ENV = "LEDGERHUB_TRACE_PLUGINS"
"""Set to ``1`` to log every hook call (hook, plugins, duration) to ``ledgerhub.plugins.trace``."""
BLOCKED_MESSAGE = "blocked by LEDGERHUB_BLOCK_PLUGINS"
"""The ``error`` shown for an installed plugin that configuration keeps from loading."""


@dataclass
class PluginInfo:
    """What support sees of one installed plugin."""

    name: str
    version: str = ""
    targets: list[Target] = field(default_factory=list)
    error: str | None = None
    blocked: bool = False

    @property
    def shown_error(self) -> str | None:
        """The load error, or :data:`BLOCKED_MESSAGE` for a blocked plugin (not a failure, so
        :attr:`error` stays ``None``)."""
        return self.error or (BLOCKED_MESSAGE if self.blocked else None)

    def as_dicts(self) -> list[dict[str, Any]]:
        """One JSON-ready row per target (or one row for a plugin without targets)."""
        rows = [
            {
                "name": t.name,
                "title": t.title,
                "version": self.version,
                "entities": sorted(str(k) for k in t.entities),
                "countries": sorted(t.countries) if t.countries is not None else None,
                "error": self.shown_error,
            }
            for t in self.targets
        ]
        return rows or [
            {
                "name": self.name,
                "title": self.name,
                "version": self.version,
                "entities": [],
                "countries": None,
                "error": self.shown_error,
            }
        ]


class PluginHost:
    """The pluggy manager plus per-plugin error attribution.

    Build it with :func:`build_plugin_manager`. ``call_each`` runs a hook one implementation
    at a time so a plugin that raises is reported by name and the others still answer.
    """

    def __init__(self, pm: pluggy.PluginManager, tracer: HookTracer | None = None) -> None:
        self.pm = pm
        self.plugins: dict[str, PluginInfo] = {}
        self.tracer = tracer

    def _info(self, name: str) -> PluginInfo:
        return self.plugins.setdefault(name, PluginInfo(name=name))

    def record_error(self, name: str, message: str) -> None:
        """Remember that plugin *name* failed, and log it."""
        info = self._info(name)
        info.error = message if not info.error else f"{info.error}; {message}"
        log.error("plugin %s: %s", name, message)

    def register(self, plugin: object, name: str, version: str = "") -> None:
        """Register *plugin* (a module or object with hookimpls) under *name*."""
        self.pm.register(plugin, name=name)
        self._info(name).version = version

    def call_each(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call every implementation of *hook_name*; return ``(plugin_name, result)`` pairs
        for those that answered something other than ``None``."""
        caller = getattr(self.pm.hook, hook_name)
        results: list[tuple[str, Any]] = []
        for impl in reversed(caller.get_hookimpls()):
            args = {k: kwargs[k] for k in impl.argnames if k in kwargs}
            try:
                result = self._call_impl(hook_name, impl, args)
            except Exception as exc:  # noqa: BLE001 - isolate plugins from each other
                self.record_error(impl.plugin_name, f"{hook_name} failed: {exc!r}")
                continue
            if result is not None:
                results.append((impl.plugin_name, result))
        return results

    def _call_impl(self, hook_name: str, impl: pluggy.HookImpl, args: dict[str, Any]) -> Any:
        """Call one implementation, traced when tracing is on (pluggy's monitoring only sees
        calls made through ``pm.hook``)."""
        if self.tracer is None:
            return impl.function(**args)
        self.tracer.before(hook_name, [impl], args)
        error: BaseException | None = None
        try:
            return impl.function(**args)
        except BaseException as exc:
            error = exc
            raise
        finally:
            self.tracer.finish(hook_name, [impl], args, error)

    def call_first(self, hook_name: str, **kwargs: Any) -> Any:
        """The first non-``None`` answer of *hook_name*, errors attributed as in call_each."""
        caller = getattr(self.pm.hook, hook_name)
        for impl in reversed(caller.get_hookimpls()):
            args = {k: kwargs[k] for k in impl.argnames if k in kwargs}
            try:
                result = self._call_impl(hook_name, impl, args)
            except Exception as exc:  # noqa: BLE001
                self.record_error(impl.plugin_name, f"{hook_name} failed: {exc!r}")
                continue
            if result is not None:
                return result
        return None

    def collect_targets(self) -> dict[str, Target]:
        """Ask every plugin for its targets; reject non-targets and duplicate names."""
        targets: dict[str, Target] = {}
        for plugin_name, result in self.call_each("ledgerhub_targets"):
            for target in result:
                if not isinstance(target, Target):
                    self.record_error(plugin_name, f"ledgerhub_targets returned {target!r}, not a Target")
                elif target.name in targets:
                    self.record_error(plugin_name, f"target name {target.name!r} is already taken")
                else:
                    targets[target.name] = target
                    self._info(plugin_name).targets.append(target)
        return targets


class HookTracer:
    """Logs each hook call to ``ledgerhub.plugins.trace``: the hook, the plugins asked, the
    argument *names and types* (values may hold secrets, so they are never logged) and the
    duration. ``before``/``after`` are pluggy's ``add_hookcall_monitoring`` callbacks."""

    def __init__(self, logger: logging.Logger = trace_log) -> None:
        self.logger = logger
        self._local = threading.local()

    def _starts(self) -> list[float]:
        starts: list[float] | None = getattr(self._local, "starts", None)
        if starts is None:
            starts = self._local.starts = []
        return starts

    def before(self, hook_name: str, hook_impls: list[pluggy.HookImpl], kwargs: Mapping[str, Any]) -> None:
        """A hook call starts."""
        self._starts().append(time.perf_counter())
        self.logger.debug("hook %s -> %s (%s)", hook_name, _plugin_names(hook_impls), _arg_types(kwargs))

    def after(
        self, outcome: Any, hook_name: str, hook_impls: list[pluggy.HookImpl], kwargs: Mapping[str, Any]
    ) -> None:
        """A hook call made through ``pm.hook`` ended (*outcome* is pluggy's result)."""
        self.finish(hook_name, hook_impls, kwargs, getattr(outcome, "exception", None))

    def finish(
        self,
        hook_name: str,
        hook_impls: list[pluggy.HookImpl],
        kwargs: Mapping[str, Any],
        error: BaseException | None = None,
    ) -> None:
        """Log the ended call with its duration (and the exception's type, not its message)."""
        starts = self._starts()
        elapsed_ms = (time.perf_counter() - starts.pop()) * 1000 if starts else 0.0
        self.logger.info(
            "hook %s [%s] (%s) %.2f ms%s",
            hook_name,
            _plugin_names(hook_impls),
            _arg_types(kwargs),
            elapsed_ms,
            f" raised {type(error).__name__}" if error is not None else "",
        )


def _plugin_names(hook_impls: Iterable[pluggy.HookImpl]) -> str:
    return ", ".join(impl.plugin_name for impl in hook_impls) or "no plugins"


def _arg_types(kwargs: Mapping[str, Any]) -> str:
    return ", ".join(f"{name}: {type(value).__name__}" for name, value in sorted(kwargs.items()))


def tracing_requested(environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``LEDGERHUB_TRACE_PLUGINS`` asks for hook tracing (1/true/yes/on)."""
    value = (os.environ if environ is None else environ).get(TRACE_ENV, "")
    return value.strip().lower() in ("1", "true", "yes", "on")


def _dist_version(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return dist.version if dist is not None else ""


def build_plugin_manager(
    *,
    blocked: Iterable[str] = (),
    load_entrypoints: bool = True,
    extra_plugins: Iterable[tuple[str, object]] = (),
    trace: bool | None = None,
) -> PluginHost:
    """Create the plugin manager: add the hookspecs, load every entry point of the
    ``ledgerhub`` group (except *blocked* names), register *extra_plugins* (tests), and
    validate with ``check_pending()``. A plugin that fails to import or validate is unregistered
    and reported by name in ``host.plugins[name].error``; the others keep working. An installed
    but blocked plugin is listed with ``blocked=True``. *trace* (default: ``LEDGERHUB_TRACE_PLUGINS``)
    logs every hook call to ``ledgerhub.plugins.trace``."""
    pm = pluggy.PluginManager(PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    tracer = HookTracer() if (tracing_requested() if trace is None else trace) else None
    if tracer is not None:
        pm.add_hookcall_monitoring(tracer.before, tracer.after)
    host = PluginHost(pm, tracer)
    blocked = set(blocked)
    for name in blocked:
        pm.set_blocked(name)
    if load_entrypoints:
        for ep in entry_points(group=PROJECT_NAME):
            if ep.name in blocked:
                info = host._info(ep.name)
                info.version, info.blocked = _dist_version(ep), True
                continue
            try:
                plugin = ep.load()
                host.register(plugin, ep.name, _dist_version(ep))
            except Exception as exc:  # noqa: BLE001 - a broken plugin must not stop the hub
                host._info(ep.name).version = _dist_version(ep)
                host.record_error(ep.name, f"failed to load: {exc!r}")
    for name, plugin in extra_plugins:
        try:
            host.register(plugin, name)
        except Exception as exc:  # noqa: BLE001
            host.record_error(name, f"failed to register: {exc!r}")
    _check_pending(host)
    return host


def _check_pending(host: PluginHost) -> None:
    """Run ``check_pending()``, unregistering each plugin with an unknown hook until clean."""
    while True:
        try:
            host.pm.check_pending()
            return
        except pluggy.PluginValidationError as exc:
            name = host.pm.get_name(exc.plugin) or repr(exc.plugin)
            host.record_error(name, f"invalid hook implementation: {exc}")
            host.pm.unregister(exc.plugin)
