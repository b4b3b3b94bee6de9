"""What a plugin's CLI command (from ``ledgerhub_cli_commands``) may use of the hub."""

from __future__ import annotations

import click

from hub.plugin.target import HubServices


def current_services() -> HubServices:
    """The :class:`~hub.plugin.target.HubServices` of the running ``ledgerhub`` command.

    Call it inside a click command; the hub's CLI puts an object with a ``services`` attribute
    on the root context (built lazily, so a command that never calls this opens no database).
    """
    root = click.get_current_context().find_root()
    return root.obj.services
