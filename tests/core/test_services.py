"""HubServices for pull targets, connecting (settings, OAuth state), status, preview."""

from __future__ import annotations

import logging

import pytest

from hub import (
    ConfigurationError,
    DeliveryResult,
    EntityKind,
    NeedsAttentionError,
    RetryableError,
    Shop,
)
from hub.sync.runtime import Hub
from tests.fakes.records import customer, invoice, payment
from tests.fakes.targets import FakeBooks, FakePlugin, OAuthBooks


def test_pull_target_is_served_through_claim_and_complete(
    hub: Hub, shop: Shop, fake_targets: dict, clock
) -> None:
    pull = fake_targets["pull"]
    cid = hub.connect(shop.id, "pull", {})
    hub.ingest(shop.id, [customer(), invoice(), payment()])
    hub.sync()
    assert pull.calls == []  # the engine never calls deliver() of a pull target
    (ctx,) = hub.services.connections("pull")
    assert ctx.connection_id == cid and ctx.target_name == "pull"
    assert hub.services.pending_count(ctx) == 3

    (first,) = hub.services.claim(ctx, 10)  # the invoice and payment wait for the customer
    assert (first.kind, first.record.id, first.attempt) == (EntityKind.CUSTOMER, "C-1", 1)
    assert hub.services.claim(ctx, 10) == []  # leased: not handed out twice
    clock.advance(seconds=61)
    (again,) = hub.services.claim(ctx, 10)  # the lease ran out: handed out again, same key
    assert again.idempotency_key == first.idempotency_key and again.attempt == 2
    hub.services.complete(ctx, again.id, DeliveryResult(target_id="80000001-1"))

    (inv,) = hub.services.claim(ctx, 10)
    assert inv.references["customer_id"].target_id == "80000001-1"
    hub.services.complete(ctx, inv.id, NeedsAttentionError("3140: There is an invalid reference"))
    assert hub.connection_status(cid) == "Needs attention: 1 record"
    (entry, *_) = hub.log_entries(plugin="pull")
    assert entry.outcome == "needs_attention" and "3140" in entry.error

    hub.retry(hub.needs_attention(cid)[0].id)
    (inv,) = hub.services.claim(ctx, 10)
    hub.services.complete(ctx, inv.id, RetryableError("QuickBooks is busy"))
    clock.advance(hours=1)
    (inv,) = hub.services.claim(ctx, 10)
    hub.services.complete(ctx, inv.id, DeliveryResult(target_id="INV-7"))
    (pay,) = hub.services.claim(ctx, 10)
    assert pay.references["invoice_id"].target_id == "INV-7"
    hub.services.complete(ctx, pay.id, DeliveryResult(target_id="PAY-1"))
    assert hub.services.pending_count(ctx) == 0
    hub.services.mark_contact(ctx)
    assert hub.connection_status(cid) == "Connected, last sync: less than a minute ago"
    outcomes = [e.outcome for e in reversed(hub.log_entries(plugin="pull"))]
    assert outcomes == ["delivered", "needs_attention", "retry", "delivered", "delivered"]


def test_complete_of_a_foreign_delivery_is_refused(hub: Hub, shop: Shop) -> None:
    hub.connect(shop.id, "pull", {})
    other = hub.connect(shop.id, "fake", {})
    hub.ingest(shop.id, [customer()])
    (ctx,) = hub.services.connections("pull")
    foreign = [d for d in hub.delivery_history(shop.id, "customer", "C-1") if d.connection_id == other][0]
    with pytest.raises(KeyError):
        hub.services.complete(ctx, foreign.id, DeliveryResult(target_id="x"))


def test_settings_are_validated_by_the_target_schema(hub: Hub, shop: Shop) -> None:
    with pytest.raises(ConfigurationError) as err:
        hub.connect(shop.id, "fake", {"company": "X"})
    assert list(err.value.errors) == ["company"]
    with pytest.raises(ConfigurationError) as err:
        hub.connect(shop.id, "nope", {})
    assert "unknown target" in err.value.errors["target"][0]
    with pytest.raises(ConfigurationError) as err:
        hub.connect(shop.id, "fake", {}, start_mode="everything")
    assert "start_mode" in err.value.errors
    assert hub.connections(shop.id) == []
    cid = hub.connect(shop.id, "fake", {"company": "ACME", "label": "Books"})
    ctx = hub.services.connection(cid)
    assert ctx is not None and ctx.settings == {"company": "ACME", "label": "Books", "key_fingerprint": ""}
    assert ctx.logger.name == "ledgerhub.plugin.fake"
    assert [c.target_name for c in hub.connections(shop.id)] == ["fake"]


def test_oauth_connection_checks_state(hub_config, clock, shop: Shop) -> None:
    from hub.plugin.manager import build_plugin_manager

    oauth = OAuthBooks()
    hub2 = Hub(
        hub_config,
        host=build_plugin_manager(load_entrypoints=False, extra_plugins=[("o", FakePlugin([oauth]))]),
        clock=clock,
    )
    try:
        hub2.create_shop(Shop(id="ca-shop", name="Maple Garage", country="CA", timezone="America/Toronto"))
        with pytest.raises(ConfigurationError) as err:
            hub2.connect("ca-shop", "oauth", {})
        assert "not available in CA" in err.value.errors["target"][0]

        hub2.create_shop(Shop(id="us-shop", name="Elm Garage"))
        cid = hub2.connect("us-shop", "oauth", {})
        assert hub2.get_connection(cid).status == "pending_authorization"
        assert hub2.connection_status(cid).startswith("Waiting for authorization")
        url = hub2.begin_authorization(cid, "http://127.0.0.1:5000/callback")
        state = url.split("state=")[1]
        with pytest.raises(ConfigurationError):
            hub2.complete_authorization(cid, {"state": "forged", "code": "c"})
        hub2.complete_authorization(cid, {"state": state, "code": "code-123"})
        assert hub2.get_connection(cid).status == "active"
        assert oauth.connected == [cid]
        ctx = hub2.services.connection(cid)
        assert ctx.secrets.get("tokens") == {"access_token": "code-123"}
        with pytest.raises(ConfigurationError):  # a state is good once
            hub2.complete_authorization(cid, {"state": state, "code": "again"})
        hub2.disconnect(cid)
        assert hub2.get_connection(cid).status == "closed"
        assert ctx.secrets.get("tokens") is None
        hub2.ingest("us-shop", [customer()])
        assert hub2.delivery_history("us-shop", "customer", "C-1") == []
    finally:
        hub2.close()


def test_warnings_and_target_status_line(hub: Hub, shop: Shop, fake_target: FakeBooks, monkeypatch) -> None:
    cid = hub.connect(shop.id, "fake", {})
    ctx = hub.services.connection(cid)
    ctx.warn("Item 'Parts' was renamed in QuickBooks; recreated it")
    assert hub.connection_warnings(cid) == ["Item 'Parts' was renamed in QuickBooks; recreated it"]
    monkeypatch.setattr(FakeBooks, "status_line", lambda self, ctx: "Connected to ACME books")
    assert hub.connection_status(cid) == "Connected to ACME books"
    assert ctx.lookup_external(EntityKind.CUSTOMER, "C-1") is None
    hub.ingest(shop.id, [customer()])
    hub.sync()
    ref = ctx.lookup_external(EntityKind.CUSTOMER, "C-1")
    assert ref is not None and ref.target_id == fake_target.objects_for("customer")[0].target_id


def test_preview_renders_without_sending(hub: Hub, shop: Shop, fake_target: FakeBooks) -> None:
    hub.ingest(shop.id, [customer(), invoice()])
    docs = hub.preview(shop.id, "fake")
    assert [d.body for d in docs] == ["create C-1", "create RO-1"]
    assert fake_target.calls == []
    (doc,) = hub.preview(shop.id, "fake", customer("C-7"))
    assert doc.filename == "customer-C-7.txt"


def test_plugin_logger_is_per_plugin(hub: Hub, shop: Shop, fake_target: FakeBooks, caplog) -> None:
    cid = hub.connect(shop.id, "fake", {})
    fake_target.on_deliver = lambda d: hub.services.connection(cid).logger.info("sending %s", d.record.id)
    hub.ingest(shop.id, [customer()])
    with caplog.at_level(logging.INFO, logger="ledgerhub.plugin.fake"):
        hub.sync()
    assert [(r.name, r.getMessage()) for r in caplog.records if r.name.startswith("ledgerhub.plugin")] == [
        ("ledgerhub.plugin.fake", "sending C-1")
    ]


def test_write_only_settings_are_stored_transformed_and_kept_on_reconnect(hub: Hub, shop: Shop) -> None:
    from hub.storage.models import ConnectionRow

    cid = hub.connect(shop.id, "fake", {"company": "ACME", "api_key": "key-PLAINTEXT-42"})
    with hub.session_factory() as session:
        stored = session.get(ConnectionRow, cid).settings
    assert "key-PLAINTEXT-42" not in str(stored) and "api_key" not in stored
    fingerprint = stored["key_fingerprint"]
    assert fingerprint.startswith("fp-")
    assert hub.connect(shop.id, "fake", {"company": "NEWCO", "api_key": ""}) == cid
    ctx = hub.services.connection(cid)
    assert ctx.settings["company"] == "NEWCO" and ctx.settings["key_fingerprint"] == fingerprint


def test_plugin_log_lines_have_tokens_redacted(hub: Hub, shop: Shop, caplog) -> None:
    cid = hub.connect(shop.id, "fake", {})
    ctx = hub.services.connection(cid)
    with caplog.at_level(logging.INFO, logger="ledgerhub.plugin.fake"):
        ctx.logger.info("calling with Authorization: Bearer %s", "eyJhbGciOi.secret.sig")
        ctx.logger.info("refresh_token=%s rotated", "AB11xyz")
    first, second = (r.getMessage() for r in caplog.records)
    assert "eyJhbGciOi" not in first and first.startswith("calling with Authorization: [redacted]")
    assert second == "refresh_token=[redacted] rotated"
