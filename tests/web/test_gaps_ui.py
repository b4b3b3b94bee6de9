"""The operator's shop list, and saving settings through Hub.update_settings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from marshmallow import Schema, fields
from sqlalchemy import text

from hub import Shop
from hub.plugin.manager import build_plugin_manager
from hub.sync.runtime import Hub
from tests.fakes.records import customer
from tests.fakes.targets import FakeBooks, FakePlugin
from tests.web.conftest import OPERATOR, OWNER, PASSWORD, UiClient, make_ui_app

ACCOUNTING = "/shops/shop-1/settings/accounting/"
SECRET = "Very-Secret-App-Value-42"


class VaultSettings(Schema):
    """A company code and a secret, like QBO's client secret."""

    company = fields.String(load_default="ACME")
    client_secret = fields.String(
        load_default="", load_only=True, metadata={"secret": True, "widget": "password"}
    )


class VaultBooks(FakeBooks):
    """Fake books whose settings carry a secret."""

    name: ClassVar[str] = "vault"
    title: ClassVar[str] = "Vault Books"
    settings_schema: ClassVar[type[Schema]] = VaultSettings


@pytest.fixture
def vault_ui(hub_config: Any, clock: Any) -> Iterator[tuple[UiClient, Hub]]:
    host = build_plugin_manager(load_entrypoints=False, extra_plugins=[("v", FakePlugin([VaultBooks()]))])
    hub = Hub(hub_config, host=host, clock=clock)
    hub.create_shop(Shop(id="shop-1", name="Main Street Auto", country="US", region="TX"))
    hub.create_user("shop-1", OWNER, PASSWORD)
    client = UiClient(make_ui_app(hub).test_client())
    client.sign_in()
    yield client, hub
    hub.close()


def test_admin_lists_every_shop_with_a_link(ui: UiClient, hub: Hub) -> None:
    hub.create_shop(Shop(id="shop-2", name="Apex Garage", country="US", region="TX"))
    ui.sign_in(OPERATOR, PASSWORD)
    page = ui.get("/admin/").get_data(as_text=True)
    assert page.index("Apex Garage") < page.index("Main Street Auto")
    assert 'href="/admin/shops/shop-2"' in page and 'href="/admin/shops/shop-1"' in page


def test_saving_settings_keeps_history_mode_and_the_secret(vault_ui: tuple[UiClient, Hub]) -> None:
    owner, hub = vault_ui
    hub.ingest("shop-1", [customer("C-1"), customer("C-2"), customer("C-3")])
    cid = hub.connect("shop-1", "vault", {"company": "MAIN", "client_secret": SECRET}, start_mode="history")
    url = ACCOUNTING + f"connections/{cid}/settings"
    form = owner.get(url).get_data(as_text=True)
    assert SECRET not in form and "MAIN" in form
    assert owner.post(url, {"company": "NEW", "client_secret": ""}).status_code == 302
    info = hub.get_connection(cid)
    assert (info.settings["company"], info.start_mode, info.backfill_total) == ("NEW", "history", 3)
    ctx = hub.services.connection(cid)
    assert ctx is not None and ctx.settings["client_secret"] == SECRET
    with hub.engine.connect() as conn:
        raw = " ".join(str(v) for v in conn.execute(text("SELECT settings FROM connections")).scalars())
    assert SECRET not in raw
