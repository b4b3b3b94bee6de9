"""Storage: migrations match the models, shops/users/tokens, record versioning, stores."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from hub import ConfigurationError, EntityKind, RecordValidationError, Shop
from hub.config import HubConfig
from hub.plugin.manager import build_plugin_manager
from hub.storage.base import Base
from hub.storage.models import (
    ApiTokenRow,
    ConnectionValueRow,
    DeliveryRow,
    RecordRow,
    RecordVersionRow,
    ShopUserRow,
)
from hub.storage.records import content_hash
from hub.sync.runtime import Hub
from tests.fakes.records import customer, invoice, payment


def test_migrations_create_exactly_the_models(hub: Hub) -> None:
    with hub.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_shop_round_trip_and_duplicate_id(hub: Hub, shop: Shop) -> None:
    assert hub.get_shop(shop.id) == shop
    changed = Shop(id=shop.id, name="Main Street Auto & Tire", tax=shop.tax)
    hub.update_shop(changed)
    assert hub.get_shop(shop.id) == changed
    with pytest.raises(ConfigurationError) as err:
        hub.create_shop(shop)
    assert err.value.errors == {"id": ["is already taken"]}
    with pytest.raises(KeyError):
        hub.get_shop("nope")


def test_api_tokens_are_stored_hashed_and_revocable(hub: Hub, shop: Shop) -> None:
    token = hub.issue_api_token(shop.id)
    assert hub.shop_for_token(token) == shop.id
    assert hub.shop_for_token(token + "x") is None
    with hub.session_factory() as session:
        stored = session.scalars(select(ApiTokenRow.token_hash)).all()
    assert token not in stored and all(token[3:] not in h for h in stored)
    assert hub.revoke_api_token(token)
    assert hub.shop_for_token(token) is None


def test_users_have_hashed_passwords(hub: Hub, shop: Shop) -> None:
    hub.create_user(shop.id, "Owner@Example.com", "correct horse")
    assert hub.check_user("owner@example.com", "correct horse") == shop.id
    assert hub.check_user("owner@example.com", "wrong horse") is None
    with hub.session_factory() as session:
        assert "correct horse" not in session.scalar(select(ShopUserRow.password_hash))
    with pytest.raises(ConfigurationError) as err:
        hub.create_user(shop.id, "owner@example.com", "another one")
    assert "email" in err.value.errors
    with pytest.raises(ConfigurationError) as err:
        hub.create_user(shop.id, "new@example.com", "short")
    assert "password" in err.value.errors


def test_features_per_shop(hub: Hub, shop: Shop) -> None:
    assert hub.features(shop.id) == {}
    hub.set_feature(shop.id, "qbo", True)
    assert hub.features(shop.id) == {"qbo": True}
    hub.set_feature(shop.id, "qbo", False)
    assert hub.features(shop.id) == {"qbo": False}


def test_versioning_identical_resend_changes_nothing(hub: Hub, shop: Shop) -> None:
    first = hub.ingest(shop.id, [customer(), invoice(amount="412.50")])
    assert [(o.id, o.version, o.status) for o in first] == [("C-1", 1, "created"), ("RO-1", 1, "created")]
    again = hub.ingest(shop.id, [customer(), invoice(amount="412.50")])
    assert [(o.version, o.status) for o in again] == [(1, "unchanged"), (1, "unchanged")]
    edited = hub.ingest(shop.id, [invoice(amount="412.05")])
    assert [(o.version, o.status) for o in edited] == [(2, "updated")]
    with hub.session_factory() as session:
        versions = session.scalars(select(RecordVersionRow).order_by(RecordVersionRow.id)).all()
        assert [v.version for v in versions] == [1, 1, 2]
        assert versions[2].payload["total"] == "412.05"
        assert versions[2].content_hash == content_hash(versions[2].payload)
    latest = dict((r.id, (r, v)) for r, v in hub.records_for(shop.id, [EntityKind.INVOICE]))
    record, version = latest["RO-1"]
    assert version == 2 and record.total == Decimal("412.05")


def test_content_hash_is_canonical() -> None:
    assert content_hash({"b": 1, "a": "x"}) == content_hash({"a": "x", "b": 1})
    assert content_hash({"a": "1.50"}) != content_hash({"a": "1.5"})


def test_unknown_reference_rejects_the_whole_call(hub: Hub, shop: Shop) -> None:
    with pytest.raises(RecordValidationError) as err:
        hub.ingest(shop.id, [customer("C-2"), invoice("RO-9", customer_id="C-404")])
    assert err.value.kind == "invoice" and err.value.record_id == "RO-9"
    assert "customer_id" in err.value.errors
    assert "C-404" in err.value.errors["customer_id"][0]
    with hub.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(RecordRow)) == 0


def test_references_may_come_in_the_same_call_in_any_order(hub: Hub, shop: Shop) -> None:
    outcomes = hub.ingest(shop.id, [payment(), invoice(), customer()])
    assert [o.kind for o in outcomes] == [EntityKind.PAYMENT, EntityKind.INVOICE, EntityKind.CUSTOMER]
    assert hub.ingest(shop.id, [payment("P-2", amount="5.00")])[0].status == "created"


def test_invalid_record_in_code_is_rejected_with_the_rule(hub: Hub, shop: Shop) -> None:
    bad = payment(amount="-5.00")
    with pytest.raises(RecordValidationError) as err:
        hub.ingest(shop.id, [customer(), invoice(), bad])
    assert "amount" in err.value.errors
    with hub.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(RecordRow)) == 0


def test_duplicate_record_in_one_call_is_rejected(hub: Hub, shop: Shop) -> None:
    with pytest.raises(RecordValidationError) as err:
        hub.ingest(shop.id, [customer(), customer(first_name="Bob")])
    assert "once" in err.value.errors["id"][0]


def test_records_stream_in_dependency_order_and_time_window(hub: Hub, shop: Shop, clock) -> None:
    hub.ingest(shop.id, [customer(f"C-{i}") for i in range(3)])
    start = clock.advance(hours=1)
    hub.ingest(shop.id, [invoice("RO-1", "C-0"), customer("C-9")])
    all_records = [(r.kind, r.id) for r, _ in hub.records_for(shop.id)]
    assert all_records == [(EntityKind.CUSTOMER, f"C-{i}") for i in (0, 1, 2, 9)] + [
        (EntityKind.INVOICE, "RO-1")
    ]
    recent = [r.id for r, _ in hub.records_for(shop.id, since=start)]
    assert recent == ["C-9", "RO-1"]
    assert [r.id for r, _ in hub.records_for(shop.id, until=start)] == ["C-0", "C-1", "C-2"]


def test_secrets_are_encrypted_at_rest_and_state_is_plain(hub: Hub, shop: Shop) -> None:
    cid = hub.connect(shop.id, "fake", {})
    ctx = hub.services.connection(cid)
    assert ctx is not None
    ctx.secrets.set("refresh_token", "rt-very-secret-123")
    ctx.state.set("cursor", {"page": 3})
    assert ctx.secrets.get("refresh_token") == "rt-very-secret-123"
    assert ctx.state.get("cursor") == {"page": 3}
    assert ctx.state.get("missing", "dflt") == "dflt"
    with hub.session_factory() as session:
        raw = {(r.namespace, r.key): r.value for r in session.scalars(select(ConnectionValueRow))}
    assert "rt-very-secret" not in raw[("secrets", "refresh_token")]
    assert json.loads(raw[("state", "cursor")]) == {"page": 3}


def test_compare_and_set_has_exactly_one_winner_across_hubs(
    hub: Hub, shop: Shop, hub_config: HubConfig, fake_targets: dict
) -> None:
    from tests.fakes.targets import FakePlugin

    cid = hub.connect(shop.id, "fake", {})
    other = Hub(
        hub_config,
        host=build_plugin_manager(
            load_entrypoints=False, extra_plugins=[("f", FakePlugin(fake_targets.values()))]
        ),
    )
    try:
        first, second = hub.services.connection(cid), other.services.connection(cid)
        assert first is not None and second is not None
        assert first.secrets.compare_and_set("rt", None, "rt-1")
        assert not second.secrets.compare_and_set("rt", None, "rt-other")
        for round_ in range(1, 5):
            current = f"rt-{round_}"
            wins = [
                first.secrets.compare_and_set("rt", current, f"rt-{round_ + 1}"),
                second.secrets.compare_and_set("rt", current, f"rt-{round_ + 1}-b"),
            ]
            assert wins == [True, False]
        assert second.secrets.get("rt") == "rt-5"
    finally:
        other.close()


def test_config_generates_the_secret_key_once(tmp_path: Path) -> None:
    env = {"LEDGERHUB_INSTANCE": str(tmp_path / "inst"), "LEDGERHUB_BLOCK_PLUGINS": "qbo, csv_export"}
    first = HubConfig.from_env(env)
    second = HubConfig.from_env(env)
    assert first.secret_key == second.secret_key
    assert (tmp_path / "inst" / "secret.key").stat().st_mode & 0o077 == 0
    assert first.blocked_plugins == frozenset({"qbo", "csv_export"})
    assert first.database_url == f"sqlite:///{tmp_path / 'inst' / 'ledgerhub.sqlite3'}"
    env["DATABASE_URL"] = "postgresql+psycopg://127.0.0.1/elsewhere"
    assert HubConfig.from_env(env).database_url.endswith("/elsewhere")
    assert HubConfig.from_env(env, database_url="sqlite:///x.db").database_url == "sqlite:///x.db"
    with pytest.raises(TypeError):
        HubConfig.from_env(env, no_such_setting=1)


def test_open_invoices_are_stored_but_not_queued(hub: Hub, shop: Shop) -> None:
    from hub import InvoiceStatus

    hub.connect(shop.id, "fake", {})
    hub.ingest(shop.id, [customer(), invoice(status=InvoiceStatus.OPEN)])
    with hub.session_factory() as session:
        kinds = session.scalars(select(DeliveryRow.kind)).all()
    assert kinds == ["customer"]


def test_get_record_and_delivery_counts(hub: Hub, shop: Shop) -> None:
    cid = hub.connect(shop.id, "fake", {})
    assert hub.get_record(shop.id, "customer", "C-1") is None
    hub.ingest(shop.id, [customer(), customer("C-2")])
    hub.ingest(shop.id, [customer(first_name="Augusta")])
    stored = hub.get_record(shop.id, EntityKind.CUSTOMER, "C-1")
    assert stored is not None and stored.version == 2
    assert stored.record == customer(first_name="Augusta") and stored.payload["first_name"] == "Augusta"
    assert hub.delivery_counts(cid) == {"pending": 2, "superseded": 1}
    hub.sync()
    assert hub.delivery_counts(cid) == {"delivered": 2, "superseded": 1}


def test_ingest_retries_when_a_concurrent_call_won_a_race(hub: Hub, shop: Shop, monkeypatch) -> None:
    from sqlalchemy.exc import IntegrityError

    import hub.sync.runtime as runtime

    real = runtime.ingest_records
    calls = []

    def racing(session, *args, **options):
        calls.append(1)
        if len(calls) == 1:
            real(session, *args, **options)  # writes, then loses the race: everything must roll back
            raise IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed: records"))
        return real(session, *args, **options)

    monkeypatch.setattr(runtime, "ingest_records", racing)
    outcomes = hub.ingest(shop.id, [customer()])
    assert len(calls) == 2 and [o.status for o in outcomes] == ["created"]
    assert [v for _, v in hub.records_for(shop.id)] == [1]


def test_a_bad_secret_key_is_named(hub_config: HubConfig) -> None:
    with pytest.raises(ConfigurationError) as err:
        Hub(
            hub_config.with_changes(secret_key="not-a-key"), host=build_plugin_manager(load_entrypoints=False)
        )
    assert "LEDGERHUB_SECRET_KEY" in err.value.errors


def test_record_stream_memory_stays_flat(hub: Hub, shop: Shop) -> None:
    import tracemalloc

    big = Shop(id="big", name="Big Garage")
    hub.create_shop(big)
    hub.ingest(shop.id, [customer(f"C-{i}") for i in range(500)])
    hub.ingest(big.id, [customer(f"C-{i}") for i in range(2000)])

    def peak_while_streaming(shop_id: str) -> tuple[int, int]:
        tracemalloc.start()
        count = sum(1 for _ in hub.records_for(shop_id))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return count, peak

    peak_while_streaming(shop.id)  # warm caches (compiled statements, schemas) first
    small_count, small_peak = peak_while_streaming(shop.id)
    big_count, big_peak = peak_while_streaming(big.id)
    assert (small_count, big_count) == (500, 2000)
    assert big_peak < 1.3 * small_peak  # four times the records, about the same memory
