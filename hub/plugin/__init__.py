"""The plugin markers. Plugins write ``from hub.plugin import hookimpl``."""

from __future__ import annotations

import pluggy

PROJECT_NAME = "ledgerhub"
"""The pluggy project name, and the entry-point group plugins register under."""

hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
"""Marker for hook implementations, to be imported and used in plugins."""

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
"""Marker for hook specifications; used only by :mod:`hub.plugin.hookspecs`."""

__all__ = ["PROJECT_NAME", "hookimpl", "hookspec"]
