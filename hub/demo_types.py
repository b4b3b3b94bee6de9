"""The value a plugin returns from ``ledgerhub_demo_connection``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(kw_only=True)
class DemoConnection:
    """A connection the demo can make locally.

    ``authorize`` is called with the authorization URL when the target needs a browser step and
    must return the callback's query parameters (the QBO sandbox approves automatically).
    ``start_client`` is called with the connection id once the connection is made, for a pull
    target whose remote client (a simulated Web Connector) the plugin runs itself in a
    background thread until ``teardown``. ``teardown`` is called when the demo ends (stop a
    local server or client).
    """

    target_name: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    authorize: Callable[[str], Mapping[str, str]] | None = None
    start_client: Callable[[int], None] | None = None
    teardown: Callable[[], None] | None = None
