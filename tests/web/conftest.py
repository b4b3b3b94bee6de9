"""Fixtures for the settings UI: a Flask app on the shared test hub, a shop user, and a
client that signs in and posts forms with their CSRF token."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.security import generate_password_hash

from hub.sync.runtime import Hub
from hub.web import create_app
from tests.web.fakes import FakeOAuthBooks

PASSWORD = "correct horse battery"
OWNER = "owner@mainstreet.test"
OPERATOR = "support@ledgerhub.test"
#: A deliberately cheap hash: the operator's password check is what is tested, not its cost.
OPERATOR_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


@pytest.fixture
def fake_oauth() -> FakeOAuthBooks:
    """The fake QuickBooks-like target."""
    return FakeOAuthBooks()


@pytest.fixture
def fake_targets(fake_target: Any, fake_oauth: FakeOAuthBooks) -> dict[str, object]:
    """The core's push target ``fake`` plus the OAuth target ``qbo``."""
    return {"fake": fake_target, "qbo": fake_oauth}


def make_ui_app(hub: Hub) -> Flask:
    """The whole web app (API, UI, plugin blueprints) on *hub*, with one operator."""
    return create_app(hub, {"TESTING": True, "LEDGERHUB_OPERATORS": {OPERATOR: OPERATOR_HASH}})


@pytest.fixture
def app(hub: Hub, shop: Any) -> Flask:
    """The UI app, with one shop user."""
    hub.create_user(shop.id, OWNER, PASSWORD)
    return make_ui_app(hub)


class UiClient:
    """A test client that finds the CSRF token in the page before posting."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def get(self, url: str, **kwargs: Any) -> Any:
        """GET *url*."""
        return self.client.get(url, **kwargs)

    def token(self, page_url: str) -> str:
        """The CSRF token of the form on *page_url*."""
        html = self.client.get(page_url).get_data(as_text=True)
        match = re.search(r'name="csrf_token" value="([^"]+)"', html)
        assert match, f"no CSRF token on {page_url}"
        return match.group(1)

    def post(self, url: str, data: dict[str, Any] | None = None, *, page: str | None = None,
             **kwargs: Any) -> Any:
        """POST *data* with the CSRF token from *page* (default: *url* itself)."""
        body = dict(data or {})
        body["csrf_token"] = self.token(page or url)
        return self.client.post(url, data=body, **kwargs)

    def sign_in(self, email: str = OWNER, password: str = PASSWORD) -> Any:
        """Sign in through the form."""
        return self.post("/sign-in", {"email": email, "password": password})


@pytest.fixture
def ui(app: Flask) -> Iterator[UiClient]:
    """A signed-out client."""
    with app.test_client() as client:
        yield UiClient(client)


@pytest.fixture
def owner(ui: UiClient) -> UiClient:
    """A client signed in as the shop's owner."""
    response = ui.sign_in()
    assert response.status_code == 302, response.get_data(as_text=True)
    return ui
