"""hub.testing, the helpers plugin authors test with: used here as a third party would, on a
tiny target defined below and on the real csv_export target found through its entry point."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from dataclasses import replace
from decimal import Decimal
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, ClassVar

import pytest
from marshmallow import Schema, fields

from hub import (
    Action,
    ConnectionContext,
    Customer,
    Delivery,
    DeliveryResult,
    EntityKind,
    ExternalRef,
    PreviewDocument,
    Shop,
    Target,
    hookimpl,
)
from hub.testing import (
    FakeContext,
    HubFactory,
    PluginLoadError,
    TargetContractError,
    check_target,
    make_delivery,
    make_shop,
    run_sync,
    sample_records,
    target_params,
    target_problems,
)

ROOT = Path(__file__).resolve().parents[2]
TALLY_KINDS = frozenset({EntityKind.CUSTOMER, EntityKind.INVOICE, EntityKind.PAYMENT})


class TallySettings(Schema):
    """The tiny target's one setting."""

    book = fields.String(required=True)


class TallyBooks(Target):
    """A tiny well-behaved target: one object per record, deduplicated on the idempotency key."""

    name: ClassVar[str] = "tally"
    title: ClassVar[str] = "Tally Books"
    entities: ClassVar[frozenset[EntityKind]] = TALLY_KINDS
    settings_schema: ClassVar[type[Schema]] = TallySettings

    def __init__(self) -> None:
        self.objects: dict[str, tuple[str, str, int]] = {}
        self.answers: dict[str, DeliveryResult] = {}
        self.calls = 0

    def deliver(self, ctx: ConnectionContext, delivery: Delivery) -> DeliveryResult:
        """Create or update the record's object; replay the answer for a known key."""
        self.calls += 1
        if delivery.idempotency_key in self.answers:
            return self.answers[delivery.idempotency_key]
        target_id = delivery.external.target_id if delivery.external else f"T{len(self.objects) + 1}"
        self.objects[target_id] = (str(delivery.kind), delivery.record.id, delivery.version)
        ctx.state.set("last", delivery.record.id)
        self.answers[delivery.idempotency_key] = DeliveryResult(target_id=target_id)
        return self.answers[delivery.idempotency_key]


class TallyPlugin:
    """The tiny target's plugin: its target and a preview."""

    def __init__(self, target: Target | None = None, preview: Any = "document") -> None:
        self.target = target or TallyBooks()
        self.preview = preview

    @hookimpl
    def ledgerhub_targets(self) -> list[Target]:
        """The target."""
        return [self.target]

    @hookimpl
    def ledgerhub_preview(self, target_name: str, delivery: Delivery) -> Any:
        """A one-line document for this target (or whatever the test asked for)."""
        if self.preview == "answers-everyone" or target_name == self.target.name:
            if self.preview in ("document", "answers-everyone"):
                return PreviewDocument(filename="t.txt", content_type="text/plain", body=delivery.record.id)
            return self.preview
        return None


# --- shops and records -----------------------------------------------------------------------


def test_ledgerhub_shop_is_a_taxed_us_shop_with_a_location(ledgerhub_shop: Shop) -> None:
    assert (ledgerhub_shop.country, ledgerhub_shop.region) == ("US", "TX")
    assert ledgerhub_shop.tax.rate == Decimal("0.0825") and ledgerhub_shop.locations


def test_make_shop_follows_the_country_and_takes_overrides() -> None:
    canada = make_shop("CA", shop_id="s2", tax_rate="0.05")
    assert (canada.id, canada.country, canada.timezone, canada.tax.rate) == (
        "s2", "CA", "America/Toronto", Decimal("0.05"))


def test_sample_records_are_deterministic_and_in_dependency_order(ledgerhub_shop: Shop) -> None:
    records = sample_records(ledgerhub_shop, repair_orders=3)
    assert records == sample_records(ledgerhub_shop, repair_orders=3)
    assert records != sample_records(ledgerhub_shop, repair_orders=3, seed=2)
    assert sum(r.kind is EntityKind.INVOICE for r in records) == 3
    seen: set[tuple[EntityKind, str]] = set()
    for record in records:
        if record.kind is EntityKind.INVOICE:
            assert (EntityKind.CUSTOMER, record.customer_id) in seen  # type: ignore[attr-defined]
        seen.add((record.kind, record.id))


# --- FakeContext and make_delivery -------------------------------------------------------------


def test_fake_context_stores_like_the_hub() -> None:
    ctx = FakeContext("tally", state={"cursor": 1})
    assert ctx.state.get("cursor") == 1 and ctx.state.get("absent", "dflt") == "dflt"
    ctx.state.set("ids", ("a", "b"))
    assert ctx.state.get("ids") == ["a", "b"]  # through JSON, as stored by the hub
    with pytest.raises(TypeError):
        ctx.state.set("amount", Decimal("1.10"))
    assert ctx.secrets.compare_and_set("token", None, "t1") is True  # absent counts as None
    assert ctx.secrets.compare_and_set("token", None, "t2") is False  # the race is lost
    assert ctx.secrets.compare_and_set("token", "t1", "t3") is True
    assert ctx.secrets.as_dict() == {"token": "t3"}


def test_fake_context_lookups_warnings_and_logger(caplog: pytest.LogCaptureFixture) -> None:
    ctx = FakeContext("tally", externals={("customer", "C-1"): "QB-9"})
    assert ctx.lookup_external(EntityKind.CUSTOMER, "C-1") == ExternalRef("QB-9")
    assert ctx.lookup_external(EntityKind.CUSTOMER, "C-2") is None
    ctx.remember(EntityKind.VENDOR, "V-1", ExternalRef("QB-3", {"sync": "0"}))
    assert ctx.lookup_external(EntityKind.VENDOR, "V-1") == ExternalRef("QB-3", {"sync": "0"})
    ctx.warn("item recreated")
    assert ctx.warnings == ["item recreated"]
    with caplog.at_level(logging.INFO, logger="ledgerhub.plugin.tally"):
        ctx.logger.info("calling with Bearer abc.def.ghi")
    assert ctx.logger.name == "ledgerhub.plugin.tally"
    assert "abc.def" not in caplog.text and "[redacted]" in caplog.text


def test_fake_context_for_target_loads_settings_through_the_schema() -> None:
    from marshmallow import ValidationError

    assert FakeContext.for_target(TallyBooks(), {"book": "main"}).settings == {"book": "main"}
    with pytest.raises(ValidationError, match="book"):
        FakeContext.for_target(TallyBooks(), {})


def test_make_delivery_keys_follow_the_version_and_updates_need_a_ref() -> None:
    customer = Customer(id="C-1", last_name="Lopez")
    first, again = make_delivery(customer), make_delivery(customer)
    assert first.idempotency_key == again.idempotency_key and first.id != again.id
    assert make_delivery(customer, version=2).idempotency_key != first.idempotency_key
    assert (first.kind, first.action, first.external) == (EntityKind.CUSTOMER, Action.CREATE, None)
    with pytest.raises(ValueError, match="external"):
        make_delivery(customer, action="update")
    update = make_delivery(customer, action=Action.UPDATE, version=2, external="T1",
                           references={"customer_id": "T7"})
    assert update.external == ExternalRef("T1") and update.references == {"customer_id": ExternalRef("T7")}


def test_a_target_called_directly_delivers_once_per_key(ledgerhub_shop: Shop) -> None:
    target = TallyBooks()
    ctx = FakeContext.for_target(target, {"book": "main"}, shop=ledgerhub_shop)
    customer = Customer(id="C-1", last_name="Lopez")
    created = target.deliver(ctx, make_delivery(customer))
    redelivered = target.deliver(ctx, make_delivery(customer))  # a crash, then the same key again
    assert created == redelivered and len(target.objects) == 1
    updated = target.deliver(ctx, make_delivery(replace(customer, last_name="Lopes"), action="update",
                                                 version=2, external=created.target_id))
    assert updated.target_id == created.target_id and target.objects[created.target_id][2] == 2
    assert ctx.state.get("last") == "C-1"


# --- conformance --------------------------------------------------------------------------------


def test_a_sound_target_passes_the_conformance_check() -> None:
    plugin = TallyPlugin()
    check_target(plugin.target, plugin=plugin)
    assert target_problems(plugin.target, plugin=plugin) == []


@pytest.mark.parametrize("target", target_params(TallyPlugin()))
def test_target_params_parametrises_over_a_plugins_targets(target: Target,
                                                           request: pytest.FixtureRequest) -> None:
    assert isinstance(target, TallyBooks) and request.node.callspec.id == "tally"


def _broken(**attributes: Any) -> Target:
    return type("Broken", (TallyBooks,), attributes)()


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        ({"entities": frozenset({"invoice"})}, "entities must hold EntityKind members, not 'invoice'"),
        ({"entities": frozenset()}, "entities must be a non-empty frozenset"),
        ({"entities": [EntityKind.INVOICE]}, "entities must be a non-empty frozenset"),
        ({"settings_schema": TallySettings()}, "settings_schema must be a marshmallow Schema class"),
        ({"settings_schema": dict}, "settings_schema must be a marshmallow Schema class"),
        ({"title": ""}, "title must be a non-empty string"),
        ({"name": "Tally Books"}, "name must be a lowercase identifier"),
        ({"countries": frozenset({"usa"})}, "countries must be None or a frozenset of ISO codes"),
        ({"batch_size": 0}, "batch_size must be an int of at least 1 for a push target, got 0"),
        ({"batch_size": True}, "batch_size must be an int"),
        ({"needs_authorization": True}, "authorization_url is not implemented"),
        ({"unavailable_reason": lambda self, shop: 0}, "unavailable_reason must return None or words"),
        ({"unavailable_reason": lambda self, shop: 1 / 0}, "unavailable_reason raised for a US shop"),
    ],
)
def test_a_broken_declaration_fails_the_check_with_a_clear_message(attributes: dict[str, Any],
                                                                   message: str) -> None:
    with pytest.raises(TargetContractError, match=re.escape(message)):
        check_target(_broken(**attributes))


def test_a_missing_declaration_is_named() -> None:
    class Nameless(Target):
        def deliver(self, ctx: ConnectionContext, delivery: Delivery) -> DeliveryResult:
            return DeliveryResult()

    with pytest.raises(TargetContractError) as failure:
        check_target(Nameless())
    text = str(failure.value)
    assert "got None" in text and "name must" in text and "title must" in text and "settings_schema" in text
    (problem,) = target_problems("tally")
    assert problem == "'tally' is not a hub.plugin.target.Target"


@pytest.mark.parametrize(
    ("preview", "message"),
    [
        ({"filename": "x"}, "must return a PreviewDocument or None, got {'filename': 'x'}"),
        ("answers-everyone", "must return None for another target's name"),
    ],
)
def test_a_wrong_preview_fails_the_check(preview: Any, message: str) -> None:
    plugin = TallyPlugin(preview=preview)
    with pytest.raises(TargetContractError, match=re.escape(message)):
        check_target(plugin.target, plugin=plugin)


def test_a_plugin_with_a_misspelt_hook_fails_the_check() -> None:
    class Misspelt(TallyPlugin):
        @hookimpl
        def ledgerhub_preveiw(self) -> None:
            """A typo."""

    plugin = Misspelt()
    with pytest.raises(TargetContractError, match="does not load.*ledgerhub_preveiw"):
        check_target(plugin.target, plugin=plugin)


def _installed_targets() -> list[Any]:
    params = []
    for ep in entry_points(group="ledgerhub"):
        plugin = ep.load()
        params += [pytest.param(p.values[0], plugin, id=p.id) for p in target_params(plugin)]
    return params


@pytest.mark.parametrize(("target", "plugin"), _installed_targets())
def test_every_installed_target_keeps_the_contract(target: Target, plugin: object) -> None:
    check_target(target, plugin=plugin)


def test_the_pytest_plugin_is_registered_and_its_fixtures_are_prefixed(
    request: pytest.FixtureRequest, shop: Shop, ledgerhub_shop: Shop
) -> None:
    import hub.testing

    assert request.config.pluginmanager.get_plugin("ledgerhub") is hub.testing
    fixtures = {name for name, value in vars(hub.testing).items()
                if type(value).__name__ == "FixtureFunctionDefinition"}
    assert fixtures == {"ledgerhub_shop", "ledgerhub_factory"}
    assert shop is not ledgerhub_shop  # the repo's own ``shop`` fixture is untouched


# --- real hubs ----------------------------------------------------------------------------------


def test_every_declared_record_is_delivered_and_a_change_updates(
    ledgerhub_factory: HubFactory, ledgerhub_shop: Shop
) -> None:
    target = TallyBooks()
    hub = ledgerhub_factory([TallyPlugin(target)])
    records = sample_records(ledgerhub_shop, repair_orders=4)
    declared = [r for r in records if r.kind in TALLY_KINDS]
    counts = run_sync(hub, ledgerhub_shop, "tally", {"book": "main"}, records)
    assert counts == {"delivered": len(declared)}
    assert sorted(o[1] for o in target.objects.values()) == sorted(r.id for r in declared)

    customer = next(r for r in records if r.kind is EntityKind.CUSTOMER)
    changed = replace(customer, last_name=customer.last_name + " Jr")  # type: ignore[call-arg]
    counts = run_sync(hub, ledgerhub_shop, "tally", {"book": "main"}, [changed])
    assert counts == {"delivered": len(declared) + 1}
    assert len(target.objects) == len(declared)  # updated in place, not created twice
    assert ("customer", customer.id, 2) in target.objects.values()


def test_a_bare_target_can_be_handed_to_the_factory(ledgerhub_factory: HubFactory) -> None:
    hub = ledgerhub_factory([TallyBooks()])
    assert list(hub.targets) == ["tally"]


def test_a_plugin_that_fails_to_load_raises_with_its_error(ledgerhub_factory: HubFactory) -> None:
    class Exploding:
        @hookimpl
        def ledgerhub_targets(self) -> list[Target]:
            raise RuntimeError("no licence file")

    with pytest.raises(PluginLoadError, match="Exploding: ledgerhub_targets failed.*no licence file"):
        ledgerhub_factory([Exploding()])
    with pytest.raises(PluginLoadError, match="mine: invalid hook implementation"):
        ledgerhub_factory([("mine", type("Typo", (), {"ledgerhub_targetz": hookimpl(lambda: [])})())])


def test_the_csv_export_plugin_through_its_entry_point(ledgerhub_factory: HubFactory,
                                                       ledgerhub_shop: Shop, tmp_path: Path) -> None:
    (plugin,) = [ep.load() for ep in entry_points(group="ledgerhub") if ep.name == "csv_export"]
    hub = ledgerhub_factory(load_entrypoints=True)
    target = hub.targets["csv_export"]
    check_target(target, plugin=plugin)
    records = sample_records(ledgerhub_shop, repair_orders=3)
    counts = run_sync(hub, ledgerhub_shop, "csv_export", {"output_folder": str(tmp_path / "out")}, records)
    assert counts == {"delivered": len([r for r in records if r.kind in target.entities])}
    assert any((tmp_path / "out").rglob("*.csv"))


# --- the documentation --------------------------------------------------------------------------


def test_the_documented_example_passes_under_pytest(tmp_path: Path) -> None:
    """docs/testing_plugins.md's test file, next to docs/writing_plugins.md's example plugin, run
    by pytest in a fresh process: the fixtures come from the installed pytest11 entry point."""
    block = re.compile(r"```python\n# (?P<path>[\w/.]+)\n(?P<code>.*?)```", re.DOTALL)
    files = {m["path"]: m["code"] for m in block.finditer((ROOT / "docs" / "writing_plugins.md").read_text())}
    files = {p: c for p, c in files.items() if p.startswith("ledgerhub_ledger_log/")}
    doc = {m["path"]: m["code"] for m in block.finditer((ROOT / "docs" / "testing_plugins.md").read_text())}
    assert list(doc) == ["tests/test_ledger_log_contract.py"]
    for path, code in {**files, **doc}.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(code)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "--rootdir", str(tmp_path), "-c", "/dev/null", "tests/test_ledger_log_contract.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"\b[4-9]\d* passed", result.stdout), result.stdout
