"""OAuth with intuit-oauth: consent URL, code exchange, refresh with rotation across workers,
revoked grants, revocation on disconnect."""

from __future__ import annotations

import threading
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from ledgerhub_qbo import tokens
from ledgerhub_qbo.settings import QboSettings

from hub.errors import FatalConnectionError

from .oauth_server import oauth_server


def _settings(discovery: str) -> QboSettings:
    return QboSettings(api_base_url="http://127.0.0.1:1", discovery_url=discovery, client_id="cid",
                       client_secret="secret")


def _seed(ctx, access="AT-0", refresh="RT-0", expires_in=timedelta(hours=1)):
    ctx.secrets.set(tokens.TOKENS_KEY, {"access_token": access, "refresh_token": refresh,
                                        "expires_at": (ctx.now() + expires_in).isoformat(),
                                        "refresh_expires_at": (ctx.now() + timedelta(days=100)).isoformat()})
    ctx.state.set(tokens.REALM_KEY, "9130")


def test_consent_url_carries_state_and_redirect_and_the_code_becomes_stored_tokens(ctx):
    with oauth_server() as (discovery, _server):
        settings = _settings(discovery)
        url = tokens.authorization_url(ctx, settings, "http://127.0.0.1:5000/cb", "st4te")
        query = parse_qs(urlparse(url).query)
        assert query["state"] == ["st4te"] and query["redirect_uri"] == ["http://127.0.0.1:5000/cb"]
        assert query["scope"] == ["com.intuit.quickbooks.accounting"]
        params = {"code": "good-code", "realmId": "9130", "state": "st4te"}
        tokens.complete_authorization(ctx, settings, params)
    stored = ctx.secrets.get(tokens.TOKENS_KEY)
    assert stored["access_token"] == "AT-1" and stored["refresh_token"] == "RT-1"
    assert ctx.state.get(tokens.REALM_KEY) == "9130"
    assert "AT-1" not in str(ctx.state._values)


def test_a_refused_code_or_denied_consent_means_reconnect(ctx):
    with oauth_server() as (discovery, _server):
        with pytest.raises(FatalConnectionError, match="Reconnect to QuickBooks"):
            tokens.complete_authorization(ctx, _settings(discovery), {"code": "bad", "realmId": "1"})
        with pytest.raises(FatalConnectionError, match="access_denied"):
            tokens.complete_authorization(ctx, _settings(discovery), {"error": "access_denied"})


def test_a_token_far_from_expiry_is_not_refreshed(ctx):
    _seed(ctx)
    with oauth_server() as (discovery, server):
        assert tokens.fresh_tokens(ctx, _settings(discovery))["access_token"] == "AT-0"
        assert server.refresh_calls == 0


def test_a_token_near_expiry_is_refreshed_and_the_rotated_refresh_token_stored(ctx):
    _seed(ctx, expires_in=timedelta(minutes=2))
    with oauth_server() as (discovery, server):
        fresh = tokens.fresh_tokens(ctx, _settings(discovery))
        assert server.refresh_calls == 1
    assert fresh["access_token"] == "AT-1"
    assert ctx.secrets.get(tokens.TOKENS_KEY)["refresh_token"] == "RT-1"
    assert ctx.state.get(tokens.LEASE_KEY) is None


def test_two_workers_refreshing_at_once_keep_one_rotated_chain(ctx):
    _seed(ctx, expires_in=timedelta(minutes=1))
    results: list[dict] = []
    errors: list[BaseException] = []
    with oauth_server(delay=0.3) as (discovery, server):
        settings = _settings(discovery)

        def worker() -> None:
            try:
                results.append(tokens.fresh_tokens(ctx, settings))
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        assert server.refresh_calls == 1
        assert {r["access_token"] for r in results} == {"AT-1"}
        # The stored refresh token is the one the server still honours.
        assert ctx.secrets.get(tokens.TOKENS_KEY)["refresh_token"] in server.valid_refresh


def test_a_401_forces_one_refresh_unless_another_worker_already_replaced_the_token(ctx):
    _seed(ctx)
    with oauth_server() as (discovery, server):
        settings = _settings(discovery)
        assert tokens.fresh_tokens(ctx, settings, rejected_access_token="AT-0")["access_token"] == "AT-1"
        assert tokens.fresh_tokens(ctx, settings, rejected_access_token="AT-0")["access_token"] == "AT-1"
        assert server.refresh_calls == 1


def test_a_revoked_grant_means_reconnect(ctx):
    _seed(ctx, refresh="RT-revoked", expires_in=timedelta(seconds=0))
    with oauth_server() as (discovery, _server), pytest.raises(FatalConnectionError, match="Reconnect"):
        tokens.fresh_tokens(ctx, _settings(discovery))


def test_revoke_calls_intuit_and_forgets_the_tokens(ctx):
    _seed(ctx)
    with oauth_server() as (discovery, server):
        tokens.revoke(ctx, _settings(discovery))
        assert server.revoked == ["RT-0"]
    assert ctx.secrets.get(tokens.TOKENS_KEY) is None
