"""Connect to QuickBooks: consent, the start-mode page, progress JSON, income accounts."""

from __future__ import annotations

import pytest

from hub import Customer
from tests.web.conftest import UiClient
from tests.web.fakes import ACCOUNTS, CONSENT_URL, consent_params

ACCOUNTING = "/shops/shop-1/settings/accounting/"


@pytest.fixture
def subscribed(hub, owner: UiClient) -> UiClient:
    hub.set_feature("shop-1", "qbo", True)
    return owner


def start_connect(ui: UiClient) -> dict[str, str]:
    response = ui.post(ACCOUNTING + "qbo/connect", {})
    assert response.status_code == 302
    assert response.headers["Location"].startswith(CONSENT_URL)
    params = consent_params(response.headers["Location"])
    assert params["redirect_uri"] == "http://localhost/settings/accounting/qbo/callback"
    return params


def test_connect_consent_start_mode_and_progress(subscribed: UiClient, hub, fake_oauth) -> None:
    hub.ingest("shop-1", [Customer(id=f"C-{i}", first_name="Ann") for i in range(5)])
    params = start_connect(subscribed)
    back = subscribed.get(f"/settings/accounting/qbo/callback?code=good&state={params['state']}")
    [conn] = hub.connections("shop-1")
    assert back.headers["Location"] == ACCOUNTING + f"connections/{conn.id}/start"
    assert conn.status == "active"

    page = subscribed.get(back.headers["Location"]).get_data(as_text=True)
    assert "From now on" in page and "All existing data" in page
    assert "can take very long" in page and "overwrites" in page

    assert subscribed.post(back.headers["Location"], {"start_mode": "sideways"}).status_code == 422
    started = subscribed.post(back.headers["Location"], {"start_mode": "history"})
    progress_url = ACCOUNTING + f"connections/{conn.id}/progress"
    assert started.headers["Location"] == progress_url
    assert hub.get_connection(conn.id).start_mode == "history"

    before = subscribed.get(progress_url + ".json").get_json()
    assert before["total"] == 5 and before["done"] == 0 and before["finished"] is False
    assert 'id="progress-bar"' in subscribed.get(progress_url).get_data(as_text=True)
    hub.sync(conn.id)
    after = subscribed.get(progress_url + ".json").get_json()
    assert after == {"done": 5, "total": 5, "pending": 0, "percent": 100, "finished": True,
                     "status": "Connected, last sync: less than a minute ago"}
    assert len(fake_oauth.delivered) == 5


def test_forward_start_sends_nothing_old(subscribed: UiClient, hub, fake_oauth) -> None:
    hub.ingest("shop-1", [Customer(id="C-old", first_name="Old")])
    params = start_connect(subscribed)
    back = subscribed.get(f"/settings/accounting/qbo/callback?code=good&state={params['state']}")
    subscribed.post(back.headers["Location"], {"start_mode": "forward"})
    hub.ingest("shop-1", [Customer(id="C-new", first_name="New")])
    [conn] = hub.connections("shop-1")
    hub.sync(conn.id)
    assert fake_oauth.delivered == [("customer", "C-new")]


def test_a_forged_state_does_not_connect(subscribed: UiClient, hub) -> None:
    start_connect(subscribed)
    back = subscribed.get("/settings/accounting/qbo/callback?code=good&state=forged")
    assert back.headers["Location"] == ACCOUNTING
    page = subscribed.get(ACCOUNTING).get_data(as_text=True)
    assert "was not connected" in page and "does not match" in page
    assert [c.status for c in hub.connections("shop-1")] == ["closed"]


def test_refused_consent_says_so(subscribed: UiClient, hub) -> None:
    params = start_connect(subscribed)
    subscribed.get(f"/settings/accounting/qbo/callback?error=access_denied&state={params['state']}")
    assert "access_denied" in subscribed.get(ACCOUNTING).get_data(as_text=True)
    assert [c.status for c in hub.connections("shop-1")] == ["closed"]


def test_callback_without_a_started_sign_in_is_refused(subscribed: UiClient) -> None:
    assert subscribed.get("/settings/accounting/qbo/callback?code=good&state=x").status_code == 400


def test_income_accounts_map_each_item_to_an_account(subscribed: UiClient, hub) -> None:
    params = start_connect(subscribed)
    subscribed.get(f"/settings/accounting/qbo/callback?code=good&state={params['state']}")
    [conn] = hub.connections("shop-1")
    overview = subscribed.get(ACCOUNTING).get_data(as_text=True)
    url = ACCOUNTING + f"connections/{conn.id}/income-accounts"
    assert f'href="{url}">Income accounts' in overview
    page = subscribed.get(url).get_data(as_text=True)
    for account_id, name in ACCOUNTS:
        assert f'<option value="{account_id}">{name}</option>' in page
    bad = subscribed.post(url, {"Labor": "999", "Parts": "79"})
    assert bad.status_code == 422 and "Choose an account from the list." in bad.get_data(as_text=True)
    assert subscribed.post(url, {"Labor": "81", "Parts": "79", "Sublets": ""}).status_code == 302
    assert hub.get_connection(conn.id).settings["income_accounts"] == {"Labor": "81", "Parts": "79"}
    assert 'value="81" selected' in subscribed.get(url).get_data(as_text=True)


def test_a_revoked_grant_shows_disconnected_and_reconnects(subscribed: UiClient, hub) -> None:
    params = start_connect(subscribed)
    subscribed.get(f"/settings/accounting/qbo/callback?code=good&state={params['state']}")
    [conn] = hub.connections("shop-1")
    hub.ingest("shop-1", [Customer(id="C-revoked", first_name="Rev")])
    hub.sync(conn.id)
    overview = subscribed.get(ACCOUNTING).get_data(as_text=True)
    assert '<span data-testid="status-qbo">Disconnected: reconnect to QuickBooks Online</span>' in overview
    assert "Reconnect to QuickBooks" in overview and "Income accounts" not in overview
    again = subscribed.post(ACCOUNTING + f"connections/{conn.id}/reconnect", page=ACCOUNTING)
    assert again.headers["Location"].startswith(CONSENT_URL)
    state = consent_params(again.headers["Location"])["state"]
    back = subscribed.get(f"/settings/accounting/qbo/callback?code=good&state={state}")
    assert back.headers["Location"] == ACCOUNTING + f"connections/{conn.id}/start"
    assert hub.get_connection(conn.id).status == "active"


def test_sending_the_start_page_twice_does_not_restart_history(subscribed: UiClient, hub) -> None:
    hub.ingest("shop-1", [Customer(id=f"C-{i}", first_name="Ann") for i in range(3)])
    params = start_connect(subscribed)
    start_url = subscribed.get(f"/settings/accounting/qbo/callback?code=good&state={params['state']}") \
        .headers["Location"]
    subscribed.post(start_url, {"start_mode": "history"})
    [conn] = hub.connections("shop-1")
    hub.sync(conn.id)
    subscribed.post(start_url, {"start_mode": "history"})
    progress = subscribed.get(ACCOUNTING + f"connections/{conn.id}/progress.json").get_json()
    assert progress["finished"] is True and progress["done"] == progress["total"] == 3
