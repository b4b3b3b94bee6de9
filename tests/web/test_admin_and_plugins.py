"""The operator's admin page, and the guard on plugin views named in ``ui_actions``."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from flask import Blueprint

from hub import hookimpl
from hub.plugin.manager import build_plugin_manager
from hub.sync.runtime import Hub
from tests.fakes.targets import FakeBooks
from tests.web.conftest import OPERATOR, OWNER, PASSWORD, UiClient, make_ui_app

ACCOUNTING = "/shops/shop-1/settings/accounting/"


def test_operator_turns_the_qbo_subscription_on(ui: UiClient, hub) -> None:
    ui.sign_in(OPERATOR, PASSWORD)
    page = ui.get("/admin/shops/shop-1").get_data(as_text=True)
    assert 'name="qbo" value="on">' in page  # off
    ui.post("/admin/shops/shop-1", {"qbo": "on"})
    assert hub.features("shop-1") == {"qbo": True}
    assert "Connect to QuickBooks" in ui.get(ACCOUNTING).get_data(as_text=True)
    ui.post("/admin/shops/shop-1", {})
    assert hub.features("shop-1") == {"qbo": False}
    assert ui.get("/admin/?shop_id=shop-1").headers["Location"] == "/admin/shops/shop-1"


class ExportBooks(FakeBooks):
    """A target with a page of its own, named in ``ui_actions``."""

    name: ClassVar[str] = "export"
    title: ClassVar[str] = "Export Books"
    ui_actions: ClassVar[tuple[tuple[str, str, str], ...]] = (("Download ZIP", "export_pages.zip", "get"),
                                                             ("Export now", "export_pages.run", "post"))


class ExportPlugin:
    """Registers the target and its blueprint."""

    @hookimpl
    def ledgerhub_targets(self) -> list[Any]:
        return [ExportBooks()]

    @hookimpl
    def ledgerhub_blueprints(self, services: Any) -> list[Blueprint]:
        bp = Blueprint("export_pages", __name__, url_prefix="/plugins/export")

        @bp.get("/shops/<shop_id>/connections/<int:connection_id>/export.zip")
        def zip(shop_id: str, connection_id: int) -> Any:
            return b"PK-zip-of-" + shop_id.encode()

        @bp.post("/shops/<shop_id>/connections/<int:connection_id>/run")
        def run(shop_id: str, connection_id: int) -> Any:
            return "exported"

        return [bp]


@pytest.fixture
def export_ui(hub_config, shop: Any) -> Any:
    # The shared ``shop`` fixture already stored shop-1 in this database.
    hub = Hub(hub_config, host=build_plugin_manager(load_entrypoints=False,
                                                      extra_plugins=[("export", ExportPlugin())]))
    from hub.domain.records import Shop

    hub.create_shop(Shop(id="shop-2", name="Other Garage"))
    hub.create_user("shop-1", OWNER, PASSWORD)
    hub.create_user("shop-2", "other@garage.test", PASSWORD)
    connection_id = hub.connect("shop-1", "export", {"company": "MAIN"})
    with make_ui_app(hub).test_client() as client:
        yield UiClient(client), connection_id
    hub.close()


def test_plugin_buttons_appear_and_their_views_are_guarded(export_ui: Any) -> None:
    ui, connection_id = export_ui
    zip_url = f"/plugins/export/shops/shop-1/connections/{connection_id}/export.zip"
    run_url = f"/plugins/export/shops/shop-1/connections/{connection_id}/run"
    assert ui.get(zip_url).headers["Location"].startswith("/sign-in")

    ui.sign_in("other@garage.test", PASSWORD)
    assert ui.get(zip_url).status_code == 403
    assert ui.get(f"/plugins/export/shops/shop-2/connections/{connection_id}/export.zip").status_code == 404
    ui.post("/sign-out", page="/shops/shop-2/settings/accounting/")

    ui.sign_in()
    card = ui.get(ACCOUNTING).get_data(as_text=True)
    assert f'href="{zip_url}">Download ZIP</a>' in card
    assert f'action="{run_url}"><input type="hidden" name="csrf_token"' in card
    assert ui.get(zip_url).get_data() == b"PK-zip-of-shop-1"
    assert ui.client.post(run_url).status_code == 400  # no CSRF token: refused
    assert ui.post(run_url, page=ACCOUNTING).get_data(as_text=True) == "exported"
