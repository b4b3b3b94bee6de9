"""OAuth 2 through intuit-oauth, unmodified: consent, code exchange, refresh rotation, revoke."""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError
from ledgerhub_qbo_sandbox import SandboxServer
from quickbooks import QuickBooks
from quickbooks.exceptions import AuthorizationException
from quickbooks.objects.customer import Customer

DAY = 86400


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    """A sandbox of its own (these tests move its clock)."""
    with SandboxServer(port=0) as sandbox:
        yield sandbox


def auth_client(sandbox: SandboxServer, **tokens: str) -> AuthClient:
    credentials = sandbox.client_credentials
    return AuthClient(
        credentials.client_id,
        credentials.client_secret,
        credentials.redirect_uris[0],
        environment=sandbox.discovery_url,
        **tokens,
    )


def query(location: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlparse(location).query).items()}


def connect(sandbox: SandboxServer) -> AuthClient:
    """Consent through the page's Connect button, then exchange the code."""
    client = auth_client(sandbox)
    page = requests.get(client.get_authorization_url([Scopes.ACCOUNTING]), timeout=10)
    assert page.status_code == 200 and 'value="approve"' in page.text
    form = {
        name: parse_qs(urlparse(page.url).query)[name][0]
        for name in ("client_id", "redirect_uri", "state", "scope")
    }
    answer = requests.post(
        f"{sandbox.base_url}/connect/oauth2/consent",
        allow_redirects=False,
        timeout=10,
        data={**form, "realm_id": sandbox.default_realm_id, "decision": "approve"},
    )
    assert answer.status_code == 302
    callback = query(answer.headers["Location"])
    assert callback["state"] == client.state_token
    assert callback["realmId"] == sandbox.default_realm_id
    client.get_bearer_token(callback["code"], realm_id=callback["realmId"])
    return client


def quickbooks(sandbox: SandboxServer, client: AuthClient) -> QuickBooks:
    qb = QuickBooks(
        auth_client=client, refresh_token=client.refresh_token, company_id=client.realm_id, minorversion=75
    )
    qb.api_url_v3 = sandbox.base_url + "/v3"
    return qb


def test_discovery_points_every_endpoint_at_the_sandbox(server: SandboxServer) -> None:
    client = auth_client(server)
    for endpoint in (client.auth_endpoint, client.token_endpoint, client.revoke_endpoint):
        assert endpoint.startswith(server.base_url)


def test_consent_page_code_exchange_and_api_access(server: SandboxServer) -> None:
    client = connect(server)
    assert client.access_token and client.refresh_token and client.expires_in == 3600
    assert Customer.count(qb=quickbooks(server, client)) == 0


def test_the_code_is_single_use_and_bound_to_the_redirect_uri(server: SandboxServer) -> None:
    with SandboxServer(port=0, auto_approve=True) as auto:
        client = auth_client(auto)
        redirect = requests.get(
            client.get_authorization_url([Scopes.ACCOUNTING]), allow_redirects=False, timeout=10
        )
        callback = query(redirect.headers["Location"])
        assert set(callback) == {"code", "state", "realmId"}
        client.get_bearer_token(callback["code"])
        with pytest.raises(AuthClientError) as raised:
            client.get_bearer_token(callback["code"])
        assert raised.value.status_code == 400 and b"invalid_grant" in raised.value.content


def test_cancel_and_unregistered_redirect_uri(server: SandboxServer) -> None:
    credentials = server.client_credentials
    denied = requests.post(
        f"{server.base_url}/connect/oauth2/consent",
        allow_redirects=False,
        timeout=10,
        data={
            "client_id": credentials.client_id,
            "redirect_uri": credentials.redirect_uris[0],
            "state": "s1",
            "decision": "deny",
        },
    )
    assert query(denied.headers["Location"]) == {"error": "access_denied", "state": "s1"}
    foreign = auth_client(server)
    foreign.redirect_uri = "http://evil.example/cb"
    page = requests.get(foreign.get_authorization_url([Scopes.ACCOUNTING]), allow_redirects=False, timeout=10)
    assert page.status_code == 400 and "Location" not in page.headers


def test_wrong_client_secret_is_refused(server: SandboxServer) -> None:
    client = connect(server)
    client.client_secret = "not-the-secret"
    with pytest.raises(AuthClientError) as raised:
        client.refresh()
    assert raised.value.status_code == 401 and b"invalid_client" in raised.value.content


def test_access_token_expires_after_an_hour(server: SandboxServer) -> None:
    client = connect(server)
    qb = quickbooks(server, client)
    server.advance(3599)
    assert Customer.count(qb=qb) == 0
    server.advance(2)
    with pytest.raises(AuthorizationException) as raised:
        Customer.count(qb=qb)
    assert raised.value.error_code == 401
    assert "AuthenticationFailed" in raised.value.detail
    client.refresh()
    assert Customer.count(qb=quickbooks(server, client)) == 0


def test_refresh_rotates_and_the_previous_token_lasts_24_hours(server: SandboxServer) -> None:
    client = connect(server)
    first = client.refresh_token
    client.refresh()
    second = client.refresh_token
    assert second != first
    server.advance(DAY - 60)
    auth_client(server).refresh(refresh_token=first)  # still inside the 24 hours
    server.advance(120)
    with pytest.raises(AuthClientError) as raised:
        auth_client(server).refresh(refresh_token=first)
    assert raised.value.status_code == 400 and b"invalid_grant" in raised.value.content
    # `second` was superseded when `first` was used again, so its own 24 hours run from then.
    auth_client(server).refresh(refresh_token=second)
    server.advance(DAY)
    with pytest.raises(AuthClientError):
        auth_client(server).refresh(refresh_token=second)


def test_latest_refresh_token_keeps_working_for_100_days(server: SandboxServer) -> None:
    client = connect(server)
    server.advance(99 * DAY)
    client.refresh()
    server.advance(99 * DAY)
    client.refresh()
    assert Customer.count(qb=quickbooks(server, client)) == 0


def test_revoke_ends_the_connection(server: SandboxServer) -> None:
    client = connect(server)
    qb = quickbooks(server, client)
    assert client.revoke() is True
    with pytest.raises(AuthorizationException):
        Customer.count(qb=qb)
    with pytest.raises(AuthClientError) as raised:
        client.refresh()
    assert b"invalid_grant" in raised.value.content


def test_time_scale_shortens_token_lifetimes() -> None:
    with SandboxServer(port=0, time_scale=1800) as fast:  # an hour lasts two real seconds
        client = connect(fast)
        assert client.expires_in == 2  # told in real seconds
        client.refresh()
        qb = quickbooks(fast, client)
        assert Customer.count(qb=qb) == 0
        time.sleep(2.05)
        with pytest.raises(AuthorizationException):
            Customer.count(qb=qb)


def test_a_token_only_opens_its_own_realm(server: SandboxServer) -> None:
    other = server.create_realm("Other Garage")
    client = connect(server)
    client.realm_id = other
    with pytest.raises(AuthorizationException) as raised:
        Customer.count(qb=quickbooks(server, client))
    assert raised.value.error_code == 120
