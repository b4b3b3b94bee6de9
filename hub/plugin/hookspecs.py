"""Every hook LedgerHub calls, in one place.

Hooks are called with keyword arguments; an implementation may accept any subset of them
(pluggy's opt-in arguments), so new arguments can be added without breaking plugins. Each hook
is documented in ``docs/plugin_hooks.md``; a test keeps that page and this module in step.

The hub calls each plugin's implementation on its own and attributes any exception to the
plugin by name, so one broken plugin never hides the others' results.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from hub.plugin import hookspec

if TYPE_CHECKING:
    import click
    from flask import Blueprint

    from hub.demo_types import DemoConnection
    from hub.domain.records import Shop
    from hub.plugin.target import ConnectionContext, Delivery, HubServices, PreviewDocument, Target


@hookspec
def ledgerhub_targets() -> list[Target]:
    """Register accounting targets.

    :return: a list of :class:`hub.plugin.target.Target` instances this plugin provides.
        Target names must be unique across plugins; a duplicate is reported as a load error
        of the later plugin.
    """


@hookspec(firstresult=True)
def ledgerhub_preview(
    target_name: str, context: ConnectionContext, delivery: Delivery
) -> PreviewDocument | None:
    """Render what a target would send for one delivery, without sending anything.

    Implement it for your own target and return ``None`` for any other ``target_name``.

    :param target_name: the target the preview is for.
    :param context: the connection (or a preview-only context when the shop has not connected).
    :param delivery: the record version that would be delivered.
    :return: a :class:`hub.plugin.target.PreviewDocument`, or ``None`` if not yours.
    """


@hookspec
def ledgerhub_blueprints(services: HubServices) -> list[Blueprint]:
    """Add Flask blueprints to the web app (settings pages, a SOAP endpoint).

    :param services: the hub's API for plugin endpoints: connections, claiming and completing
        deliveries, contact tracking. No database session is ever handed out.
    :return: blueprints; give each a URL prefix of your own (``/plugins/<name>`` or a protocol
        path such as ``/qbwc``).
    """


@hookspec
def ledgerhub_cli_commands() -> list[click.Command]:
    """Add commands to the ``ledgerhub`` command line.

    :return: :mod:`click` commands; each name must not clash with a core command.
    """


@hookspec
def ledgerhub_demo_connection(shop: Shop, workdir: Path, services: HubServices) -> DemoConnection | None:
    """Offer a connection the demo can make on this machine without any outside service.

    :param shop: the demo shop.
    :param workdir: a folder the plugin may write to for the length of the demo.
    :param services: the hub's API for plugin endpoints, for a pull target whose demo plays its
        remote client in-process (see ``DemoConnection.start_client``).
    :return: a :class:`hub.demo_types.DemoConnection` (target name, settings, an optional
        authorizer, an optional client starter and a teardown), or ``None`` when the target
        cannot run locally.
    """


@hookspec
def ledgerhub_configure(config: dict[str, Any]) -> None:
    """Read core configuration once at start-up (paths, base URLs, feature switches).

    :param config: the hub's configuration mapping (read-only by convention).
    """
