"""Plugin-specific parts of the settings pages, found by convention (see docs/ui.md): a
location field as a choice of the shop's locations, the income-account mapping and its chart of
accounts, and the extra buttons a target lists in ``ui_actions``."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import current_app, url_for
from marshmallow import fields, validate

from hub.domain.records import Shop
from hub.plugin.target import Target
from hub.web.forms import Choice
from hub.web.ui.gateway import hub_of, targets

LOCATION_FIELDS = frozenset({"location", "location_id"})


def fill_dynamic_choices(form: Any, shop: Shop) -> None:
    """Turn a ``location`` text input into a choice of the shop's locations."""
    if not shop.locations:
        return
    for form_field in form.fields:
        if form_field.name in LOCATION_FIELDS and form_field.input_type == "text":
            form_field.input_type = "select"
            form_field.choices = [Choice(loc.id, f"{loc.name} ({loc.id})") for loc in shop.locations]


def mapped_items(target: Target) -> list[tuple[str, str]] | None:
    """The products/services of an ``income_accounts`` mapping in the target's settings schema
    (the keys its ``OneOf`` allows), or ``None`` when the target has no such mapping."""
    schema_field = target.settings_schema().load_fields.get("income_accounts")
    if not isinstance(schema_field, fields.Dict) or schema_field.key_field is None:
        return None
    one_of = next((v for v in schema_field.key_field.validators if isinstance(v, validate.OneOf)), None)
    if one_of is None:
        return None
    return [(str(name), str(name)) for name in one_of.choices]


def income_accounts(connection_id: int) -> list[tuple[str, str]]:
    """(id, name) of the income accounts in the target's chart of accounts, when the target
    offers ``income_account_choices(ctx)``; otherwise an empty list (ids are typed in)."""
    hub = hub_of()
    ctx = hub.services.connection(connection_id)
    target = hub.targets.get(ctx.target_name) if ctx is not None else None
    lister = getattr(target, "income_account_choices", None)
    if ctx is None or lister is None:
        return []
    return [(str(i), str(n)) for i, n in lister(ctx)]


def plugin_links(card: Any) -> tuple[tuple[str, str, str], ...]:
    """Extra buttons for a connected card: (label, url, method).

    The income-account page for a target with an ``income_accounts`` mapping, "Send now" for
    push targets that list no POST action of their own, and whatever the target lists in an
    optional ``ui_actions`` attribute: ``(label, endpoint, method)`` of its own blueprint's
    views, which take ``shop_id`` and ``connection_id``.
    """
    if card.connection is None:
        return ()
    target = targets()[card.name]
    ids = {"shop_id": card.connection.shop_id, "connection_id": card.connection.id}
    links: list[tuple[str, str, str]] = []
    if mapped_items(target) is not None:
        links.append(("Income accounts", url_for("qbo_flow.income_accounts", **ids), "get"))
    actions = tuple(getattr(target, "ui_actions", ()))
    # A target with a POST action of its own ("Export now") gets that instead of "Send now".
    has_own_send = any(str(method).lower() == "post" for _, _, method in actions)
    if str(target.delivery_mode) == "push" and not has_own_send:
        links.append(("Send now", url_for("accounting.sync_now", **ids), "post"))
    for label, endpoint, method in actions:
        if endpoint in current_app.view_functions:
            links.append((str(label), url_for(endpoint, **ids), str(method).lower()))
    return tuple(links)


def with_plugin_links(card: Any) -> Any:
    """*card* with :func:`plugin_links` filled in."""
    return replace(card, links=plugin_links(card))
