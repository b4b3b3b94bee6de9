"""Secret settings at rest, the history count with voids, settings updates and the shop list."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from marshmallow import Schema, fields
from sqlalchemy import text

from hub import Shop
from hub.config import HubConfig
from hub.domain.records import InvoiceStatus
from hub.errors import ConfigurationError
from hub.plugin.manager import build_plugin_manager
from hub.plugin.target import ConnectionContext
from hub.sync.runtime import Hub
from tests.fakes.records import customer, invoice, payment
from tests.fakes.targets import FakeBooks, FakePlugin

SECRET = "s3cr3t-Client-Value-9f2"


class SecretSettings(Schema):
    """Like QBO's: an app id in clear, the app secret write-only and marked secret."""

    client_id = fields.String(load_default="")
    client_secret = fields.String(load_default="", load_only=True, metadata={"secret": True})
    company = fields.String(load_default="ACME")


class SecretBooks(FakeBooks):
    """Fake books that remember the settings each delivery saw."""

    name: ClassVar[str] = "secretbooks"
    title: ClassVar[str] = "Secret Books"
    settings_schema: ClassVar[type[Schema]] = SecretSettings

    def __init__(self) -> None:
        super().__init__()
        self.seen_settings: list[dict[str, Any]] = []

    def connect(self, ctx: ConnectionContext) -> None:
        """Note the settings the plugin receives."""
        self.seen_settings.append(dict(ctx.settings))
        super().connect(ctx)


@pytest.fixture
def secret_target() -> SecretBooks:
    return SecretBooks()


@pytest.fixture
def secret_hub(hub_config: HubConfig, clock: Any, secret_target: SecretBooks) -> Iterator[Hub]:
    host = build_plugin_manager(load_entrypoints=False, extra_plugins=[("s", FakePlugin([secret_target]))])
    instance = Hub(hub_config, host=host, clock=clock)
    yield instance
    instance.close()


def raw_settings(hub: Hub) -> str:
    with hub.engine.connect() as conn:
        return " ".join(str(v) for v in conn.execute(text("SELECT settings FROM connections")).scalars())


def test_secret_setting_is_encrypted_at_rest_and_clear_for_the_plugin(
    secret_hub: Hub, shop: Shop, secret_target: SecretBooks
) -> None:
    cid = secret_hub.connect(shop.id, "secretbooks", {"client_id": "app-1", "client_secret": SECRET})
    assert SECRET not in raw_settings(secret_hub)
    assert "app-1" in raw_settings(secret_hub)
    assert secret_target.seen_settings[-1]["client_secret"] == SECRET
    info = secret_hub.get_connection(cid)
    assert "client_secret" not in info.settings
    assert info.settings["client_id"] == "app-1"
    assert SECRET not in repr(secret_hub.connections(shop.id))
    ctx = secret_hub.services.connection(cid)
    assert ctx is not None and ctx.settings["client_secret"] == SECRET
    assert SECRET in ctx.secret_strings()  # so an error text quoting it is redacted


def test_update_settings_keeps_an_empty_secret_and_leaves_the_history_alone(
    secret_hub: Hub, shop: Shop, secret_target: SecretBooks
) -> None:
    secret_hub.ingest(shop.id, [customer("C-1"), customer("C-2")])
    cid = secret_hub.connect(shop.id, "secretbooks", {"client_secret": SECRET}, start_mode="history")
    before = secret_hub.get_connection(cid)
    secret_hub.update_settings(cid, {"client_id": "app-2", "client_secret": "", "company": "BETA"})
    after = secret_hub.get_connection(cid)
    assert after.settings["company"] == "BETA" and after.settings["client_id"] == "app-2"
    assert (after.start_mode, after.status, after.backfill_total) == ("history", "active", 2)
    assert after.backfill_total == before.backfill_total
    ctx = secret_hub.services.connection(cid)
    assert ctx is not None and ctx.settings["client_secret"] == SECRET
    secret_hub.update_settings(cid, {"client_secret": "another-secret-77"})
    ctx = secret_hub.services.connection(cid)
    assert ctx is not None and ctx.settings["client_secret"] == "another-secret-77"
    assert "another-secret-77" not in raw_settings(secret_hub)


def test_update_settings_validates_with_the_schema(hub: Hub, shop: Shop) -> None:
    cid = hub.connect(shop.id, "fake", {"company": "ACME"})
    with pytest.raises(ConfigurationError) as caught:
        hub.update_settings(cid, {"company": "X"})
    assert "company" in (caught.value.errors or {})
    assert hub.get_connection(cid).settings["company"] == "ACME"


def test_reconnect_keeps_the_stored_secret(secret_hub: Hub, shop: Shop, secret_target: SecretBooks) -> None:
    cid = secret_hub.connect(shop.id, "secretbooks", {"client_secret": SECRET})
    secret_hub.disconnect(cid)
    again = secret_hub.connect(shop.id, "secretbooks", secret_hub.get_connection(cid).settings)
    assert again == cid
    assert secret_target.seen_settings[-1]["client_secret"] == SECRET


def test_history_with_voids_ends_connected(hub: Hub, shop: Shop, fake_target: FakeBooks) -> None:
    hub.ingest(
        shop.id,
        [
            customer("C-1"),
            invoice("RO-1", "C-1"),
            invoice("RO-2", "C-1", status=InvoiceStatus.VOIDED),
            payment("P-1", "RO-1"),
            payment("P-2", "RO-1", voided=True),
        ],
    )
    cid = hub.connect(shop.id, "fake", {}, start_mode="history")
    assert hub.backfill_progress(cid) == (0, 5)
    hub.sync()
    # The two voids had never reached the books: settled without a call, yet counted.
    assert len(fake_target.calls) == 3
    assert hub.backfill_progress(cid) == (5, 5)
    assert hub.get_connection(cid).backfill_done == 5
    assert hub.connection_status(cid).startswith("Connected, last sync:")


def test_list_shops_orders_by_name(hub: Hub, shop: Shop) -> None:
    hub.create_shop(Shop(id="shop-0", name="Apex Garage", country="US", region="TX"))
    assert [s.id for s in hub.list_shops()] == ["shop-0", shop.id]
