"""The target contract as a check: what every target must declare, and how its hooks answer."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

import pytest
from marshmallow import Schema

from hub.domain.kinds import EntityKind
from hub.plugin.manager import build_plugin_manager
from hub.plugin.target import DeliveryMode, PreviewDocument, Target
from hub.testing.context import FakeContext, make_delivery
from hub.testing.records import make_shop, sample_records

NAME_RULE = re.compile(r"^[a-z][a-z0-9_-]*$")
COUNTRY_RULE = re.compile(r"^[A-Z]{2}$")
OTHER_TARGET = "ledgerhub-conformance-other-target"


class TargetContractError(AssertionError):
    """A target breaks the contract; the message lists every problem found."""


def check_target(target: Target, *, plugin: object | None = None) -> None:
    """Assert that *target* keeps the target contract; raise :class:`TargetContractError`
    listing every problem otherwise.

    With *plugin* (the module or object holding the hook implementations), its
    ``ledgerhub_preview`` hook is checked too: a :class:`PreviewDocument` or ``None`` for the
    target's own name, ``None`` for another target's.
    """
    problems = target_problems(target, plugin=plugin)
    if problems:
        label = getattr(target, "name", type(target).__name__)
        raise TargetContractError(f"target {label!r} breaks the contract:\n- " + "\n- ".join(problems))


def target_problems(target: object, *, plugin: object | None = None) -> list[str]:
    """Every way *target* (and *plugin*'s preview hook) breaks the contract; empty if none."""
    if not isinstance(target, Target):
        return [f"{target!r} is not a hub.plugin.target.Target"]
    problems = _declaration_problems(target)
    if not problems:  # the calls below rely on a sound declaration
        problems += _availability_problems(target)
        if plugin is not None:
            problems += _preview_problems(target, plugin)
    return problems


def target_params(plugin: object) -> list[Any]:
    """One ``pytest.param`` per target *plugin* registers (its id is the target's name), for
    ``@pytest.mark.parametrize("target", target_params(my_plugin))``."""
    host = build_plugin_manager(load_entrypoints=False, extra_plugins=[(_plugin_name(plugin), plugin)])
    targets = [t for _, answer in host.call_each("ledgerhub_targets") for t in answer]
    errors = [f"{name}: {info.error}" for name, info in host.plugins.items() if info.error]
    if errors:
        raise TargetContractError("the plugin does not load: " + "; ".join(errors))
    return [pytest.param(t, id=getattr(t, "name", repr(t))) for t in targets]


def _plugin_name(plugin: object) -> str:
    return getattr(plugin, "__name__", None) or type(plugin).__name__


def _declaration_problems(target: Target) -> list[str]:
    problems: list[str] = []
    name = getattr(target, "name", None)
    if not isinstance(name, str) or not NAME_RULE.match(name):
        problems.append(f"name must be a lowercase identifier such as 'ledger_log', got {name!r}")
    title = getattr(target, "title", None)
    if not isinstance(title, str) or not title.strip():
        problems.append(f"title must be a non-empty string for the shop owner, got {title!r}")
    problems += _entity_problems(getattr(target, "entities", None))
    countries = target.countries
    if countries is not None and (
        not isinstance(countries, frozenset)
        or not all(isinstance(c, str) and COUNTRY_RULE.match(c) for c in countries)
    ):
        problems.append(f"countries must be None or a frozenset of ISO codes such as 'US', got {countries!r}")
    schema = getattr(target, "settings_schema", None)
    if not (inspect.isclass(schema) and issubclass(schema, Schema)):
        problems.append(f"settings_schema must be a marshmallow Schema class (not an instance), "
                        f"got {schema!r}")
    if not isinstance(target.delivery_mode, DeliveryMode):
        problems.append(f"delivery_mode must be a DeliveryMode, got {target.delivery_mode!r}")
    # A pull target may declare 0: its remote client alone claims work and feeds the backfill.
    least = 0 if target.delivery_mode is DeliveryMode.PULL else 1
    size = target.batch_size
    if not isinstance(size, int) or isinstance(size, bool) or size < least:
        problems.append(f"batch_size must be an int of at least {least} for a {target.delivery_mode} "
                        f"target, got {size!r}")
    if not isinstance(target.needs_authorization, bool):
        problems.append(f"needs_authorization must be a bool, got {target.needs_authorization!r}")
    elif target.needs_authorization:
        for method in ("authorization_url", "complete_authorization"):
            if getattr(type(target), method) is getattr(Target, method):
                problems.append(f"needs_authorization is True but {method} is not implemented")
    return problems


def _entity_problems(entities: Any) -> list[str]:
    if not isinstance(entities, frozenset) or not entities:
        return [f"entities must be a non-empty frozenset of EntityKind, got {entities!r}"]
    wrong = sorted(repr(k) for k in entities if not isinstance(k, EntityKind))
    return [f"entities must hold EntityKind members, not {', '.join(wrong)}"] if wrong else []


def _availability_problems(target: Target) -> list[str]:
    problems: list[str] = []
    for country in ("US", "CA", "GB", "DE", "AU"):
        answer = _call(lambda country=country: target.unavailable_reason(make_shop(country)))
        if isinstance(answer, _Raised):
            problems.append(f"unavailable_reason raised for a {country} shop: {answer.error!r}")
        elif answer is not None and not (isinstance(answer, str) and answer.strip()):
            problems.append(f"unavailable_reason must return None or words for the shop owner, "
                            f"got {answer!r}")
    return problems


def _preview_problems(target: Target, plugin: object) -> list[str]:
    host = build_plugin_manager(load_entrypoints=False, extra_plugins=[(_plugin_name(plugin), plugin)])
    errors = [info.error for info in host.plugins.values() if info.error]
    if errors:
        return [f"the plugin does not load: {'; '.join(errors)}"]
    shop = make_shop()
    record = next((r for r in sample_records(shop, repair_orders=2) if r.kind in target.entities), None)
    if record is None:
        return []
    problems: list[str] = []
    for impl in host.pm.hook.ledgerhub_preview.get_hookimpls():
        for asked, must_be_none in ((target.name, False), (OTHER_TARGET, True)):
            args = {"target_name": asked, "context": FakeContext(target.name, shop=shop),
                    "delivery": make_delivery(record)}
            answer = _call(lambda impl=impl, args=args: impl.function(**{k: args[k] for k in impl.argnames}))
            if isinstance(answer, _Raised):
                problems.append(f"ledgerhub_preview raised for target {asked!r}: {answer.error!r}")
            elif must_be_none and answer is not None:
                problems.append(f"ledgerhub_preview must return None for another target's name, "
                                f"got {answer!r}")
            elif not must_be_none and answer is not None and not isinstance(answer, PreviewDocument):
                problems.append(f"ledgerhub_preview must return a PreviewDocument or None, got {answer!r}")
    return problems


class _Raised:
    def __init__(self, error: Exception) -> None:
        self.error = error


def _call(function: Callable[[], Any]) -> Any:
    try:
        return function()
    except Exception as exc:  # noqa: BLE001 - a raising hook is a finding, not a crash
        return _Raised(exc)
