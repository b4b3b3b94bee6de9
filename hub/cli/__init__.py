"""The ``ledgerhub`` command line: a click group of core commands plus the plugins' commands.

The root context's ``obj`` is a :class:`~hub.cli.state.CliState`: its ``hub`` and ``services``
are built on first use, so a plugin command calling :func:`hub.plugin.cli.current_services`
opens the database only when it needs it.
"""

from __future__ import annotations

from pathlib import Path

import click

from hub import __version__
from hub.cli.cmd_ops import init_command, logs_command, serve_command, sync_command, worker_command
from hub.cli.cmd_plugins import connect_command, plugins_command, preview_command
from hub.cli.cmd_records import import_command, shop_group
from hub.cli.cmd_users import operator_group, user_group
from hub.cli.demo import demo_command
from hub.cli.state import CliState
from hub.plugin.manager import PluginHost

CORE_COMMANDS: tuple[click.Command, ...] = (
    init_command,
    serve_command,
    worker_command,
    import_command,
    sync_command,
    logs_command,
    plugins_command,
    preview_command,
    connect_command,
    demo_command,
    shop_group,
    operator_group,
)

shop_group.add_command(user_group)


def build_cli(state: CliState | None = None) -> click.Group:
    """The ``ledgerhub`` group: core commands, then each plugin's ``ledgerhub_cli_commands``.

    A plugin whose hook raises, returns something that is not a click command, or takes a name
    already in use is reported by name (see ``ledgerhub plugins``) and the others still load.
    """
    shared = state or CliState()

    @click.group(name="ledgerhub", context_settings={"help_option_names": ["-h", "--help"]})
    @click.version_option(__version__, prog_name="ledgerhub")
    @click.option(
        "--instance",
        type=click.Path(file_okay=False, path_type=Path),
        envvar="LEDGERHUB_INSTANCE",
        help="The instance folder (database, secret key). Default: ./instance.",
    )
    @click.pass_context
    def cli(ctx: click.Context, instance: Path | None) -> None:
        """LedgerHub: a one-way bridge from shop-management systems to accounting targets."""
        if ctx.obj is None:
            ctx.obj = shared
        if instance is not None and ctx.obj.instance is None:
            ctx.obj.instance = instance
        ctx.call_on_close(ctx.obj.close)

    for command in CORE_COMMANDS:
        cli.add_command(command)
    _add_plugin_commands(cli, shared.host)
    return cli


def _add_plugin_commands(cli: click.Group, host: PluginHost) -> None:
    for plugin_name, commands in host.call_each("ledgerhub_cli_commands"):
        for command in commands if isinstance(commands, list | tuple) else [commands]:
            if not isinstance(command, click.Command) or not command.name:
                host.record_error(
                    plugin_name, f"ledgerhub_cli_commands returned {command!r}, not a click command"
                )
            elif command.name in cli.commands:
                host.record_error(plugin_name, f"command name {command.name!r} is already taken")
            else:
                cli.add_command(command)


def main() -> None:
    """Entry point of the ``ledgerhub`` console script."""
    build_cli()(prog_name="ledgerhub")
