"""Sign-in, the shop guard, CSRF and the session cookie."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hub.config import HubConfig
from hub.domain.records import Shop
from tests.web.conftest import OPERATOR, OWNER, PASSWORD, UiClient, make_ui_app

ACCOUNTING = "/shops/shop-1/settings/accounting/"


def test_settings_page_needs_sign_in(ui: UiClient) -> None:
    response = ui.get(ACCOUNTING)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=/shops/shop-1/settings/accounting/")


def test_wrong_password_is_refused_in_plain_words(ui: UiClient) -> None:
    response = ui.sign_in(OWNER, "wrong password")
    assert response.status_code == 401
    assert "do not match" in response.get_data(as_text=True)
    assert ui.get(ACCOUNTING).status_code == 302


def test_sign_in_lands_on_accounting_and_sign_out_ends_it(ui: UiClient) -> None:
    response = ui.sign_in(OWNER.upper(), PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == ACCOUNTING
    assert ui.get(ACCOUNTING).status_code == 200
    ui.post("/sign-out", page=ACCOUNTING)
    assert ui.get(ACCOUNTING).status_code == 302


def test_next_is_followed_only_on_this_site(ui: UiClient) -> None:
    ok = ui.post("/sign-in?next=/shops/shop-1/settings/ro-info/", {"email": OWNER, "password": PASSWORD},
                 page="/sign-in")
    assert ok.headers["Location"] == "/shops/shop-1/settings/ro-info/"
    ui.post("/sign-out", page=ACCOUNTING)
    evil = ui.post("/sign-in?next=//evil.example/x", {"email": OWNER, "password": PASSWORD}, page="/sign-in")
    assert evil.headers["Location"] == ACCOUNTING


def test_another_shops_pages_are_forbidden(hub, owner: UiClient) -> None:
    hub.create_shop(Shop(id="shop-2", name="Other Garage"))
    assert owner.get("/shops/shop-2/settings/accounting/").status_code == 403
    assert owner.get("/shops/shop-2/settings/ro-info/").status_code == 403
    assert owner.get("/shops/shop-2/logs/fake").status_code == 403


def test_post_without_csrf_token_is_rejected(owner: UiClient, hub) -> None:
    response = owner.client.post("/shops/shop-1/settings/ro-info/", data={"rate": "9", "taxable": "labor"})
    assert response.status_code == 400
    assert hub.get_shop("shop-1").tax.rate == Decimal("0.0825")
    signed_out = owner.client.post("/sign-in", data={"email": OWNER, "password": PASSWORD})
    assert signed_out.status_code == 400


def test_session_cookie_is_httponly_and_samesite_lax(ui: UiClient) -> None:
    response = ui.sign_in()
    cookie = response.headers["Set-Cookie"]
    assert "ledgerhub_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # served over plain http in tests


def test_cookie_is_secure_when_the_hub_is_served_over_https(hub, shop) -> None:
    hub.config = HubConfig.with_changes(hub.config, public_url="https://hub.example")
    app = make_ui_app(hub)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_operator_opens_every_shop_and_the_admin_page(ui: UiClient, hub) -> None:
    hub.create_shop(Shop(id="shop-2", name="Other Garage"))
    response = ui.sign_in(OPERATOR, PASSWORD)
    assert response.headers["Location"] == "/admin/"
    assert ui.get("/shops/shop-2/settings/accounting/").status_code == 200


def test_shop_user_cannot_open_admin(owner: UiClient) -> None:
    assert owner.get("/admin/").status_code == 403


def test_errors_are_explained_on_a_page(owner: UiClient, hub) -> None:
    hub.create_shop(Shop(id="shop-2", name="Other Garage"))
    forbidden = owner.get("/shops/shop-2/settings/accounting/")
    assert forbidden.status_code == 403
    assert "You are signed in for another shop." in forbidden.get_data(as_text=True)
    expired = owner.client.post("/shops/shop-1/settings/ro-info/", data={"rate": "9"})
    assert expired.status_code == 400
    assert "This form has expired" in expired.get_data(as_text=True)


def test_password_guessing_is_slowed_down(ui: UiClient) -> None:
    for _ in range(10):
        assert ui.sign_in(OWNER, "guess").status_code == 401
    refused = ui.sign_in(OWNER, PASSWORD)
    assert refused.status_code == 429
    assert "Too many failed attempts. Wait 15 minutes" in refused.get_data(as_text=True)
    assert ui.get(ACCOUNTING).status_code == 302


def test_the_limiter_window_slides() -> None:
    from hub.web.ui.signin_limit import SignInLimiter

    now = [1000.0]
    limiter = SignInLimiter(max_failures=2, window=60, clock=lambda: now[0])
    limiter.failed("email:a")
    limiter.failed("email:a")
    assert limiter.wait_seconds("email:a", "addr:x") == 60
    now[0] += 30
    assert limiter.wait_seconds("email:a") == 30
    now[0] += 31
    assert limiter.wait_seconds("email:a") == 0
    limiter.failed("email:a")
    limiter.succeeded("email:a")
    assert limiter.wait_seconds("email:a") == 0


@pytest.mark.parametrize("target", ["//evil.example/x", "/\\evil.example", "https://evil.example/",
                                    "javascript:alert(1)", "/ok\r\nLocation: //evil"])
def test_only_local_paths_are_followed(target: str) -> None:
    from hub.web.auth import safe_local_path

    assert safe_local_path(target) is None
    assert safe_local_path("/shops/shop-1/logs/fake?status=retry") == "/shops/shop-1/logs/fake?status=retry"
