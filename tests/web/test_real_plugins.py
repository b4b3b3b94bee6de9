"""The Accounting page with the installed plugins (QuickBooks Online, Accounting Link, CSV
export): their own declarations drive the cards and the forms."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from hub.domain.records import Location, Shop
from hub.plugin.manager import build_plugin_manager
from hub.sync.runtime import Hub
from tests.web.conftest import OWNER, PASSWORD, UiClient, make_ui_app

ACCOUNTING = "/shops/ca-1/settings/accounting/"


@pytest.fixture
def canadian(hub_config) -> Iterator[UiClient]:
    hub = Hub(hub_config, host=build_plugin_manager())
    hub.create_shop(Shop(id="ca-1", name="Maple Garage", country="CA", region="ON",
                         timezone="America/Toronto", locations=(Location(id="yyz", name="Toronto"),)))
    hub.set_feature("ca-1", "qbo", True)
    hub.create_user("ca-1", OWNER, PASSWORD)
    with make_ui_app(hub).test_client() as client:
        ui = UiClient(client)
        ui.sign_in()
        yield ui
    hub.close()


def test_canadian_shop_is_pointed_from_qbo_to_accounting_link(canadian: UiClient) -> None:
    html = canadian.get(ACCOUNTING).get_data(as_text=True)
    qbo = re.search(r'<section class="card unavailable"[^>]*id="target-qbo">(.*?)</section>', html, re.S)
    assert qbo, "QuickBooks Online is not greyed out"
    assert "Canad" in qbo.group(1)
    assert 'href="#target-accounting_link">Accounting Link' in qbo.group(1)
    assert "Connect to QuickBooks" not in qbo.group(1)
    assert canadian.get(ACCOUNTING + "qbo/connect").status_code == 403


def test_plugin_forms_come_from_their_schemas(canadian: UiClient) -> None:
    link = canadian.get(ACCOUNTING + "accounting_link/connect").get_data(as_text=True)
    assert 'type="password" name="api_key"' in link
    assert '<option value="yyz">Toronto (yyz)</option>' in link
    csv_form = canadian.get(ACCOUNTING + "csv_export/connect").get_data(as_text=True)
    assert 'name="output_folder"' in csv_form
    assert '<option value="\t"' in csv_form and "Semicolon" in csv_form
    bad = canadian.post(ACCOUNTING + "csv_export/connect", {"output_folder": "relative/path"})
    assert bad.status_code == 422
    assert re.search(r'id="err-output_folder">must be an absolute path', bad.get_data(as_text=True))
