"""Find the shop, target or connection a URL names, or answer 404 in plain words."""

from __future__ import annotations

from flask import abort

from hub.domain.records import Shop
from hub.plugin.target import Target
from hub.web.ui import gateway


def shop_or_404(shop_id: str) -> Shop:
    """The shop named in the URL."""
    shop = gateway.get_shop(shop_id)
    if shop is None:
        abort(404, f"There is no shop {shop_id!r}.")
    return shop


def target_or_404(target_name: str) -> Target:
    """The installed target named in the URL."""
    target = gateway.targets().get(target_name)
    if target is None:
        abort(404, f"There is no accounting target {target_name!r} installed.")
    return target


def connection_or_404(shop_id: str, connection_id: int) -> gateway.ConnectionView:
    """The shop's connection named in the URL (another shop's connection is not found)."""
    conn = gateway.connection(shop_id, connection_id)
    if conn is None:
        abort(404, "That connection does not exist for this shop.")
    return conn
