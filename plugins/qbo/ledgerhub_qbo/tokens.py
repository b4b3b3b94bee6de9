"""OAuth 2 with intuit-oauth: authorization, token refresh with rotation, revocation.

Tokens live in the connection's encrypted ``secrets`` store as one value, so a rotation
replaces access and refresh token together with a single compare-and-set. Only one worker
refreshes at a time: it takes a short lease in ``state`` (compare-and-set again), refreshes,
and stores the rotated refresh token before anything uses it; a worker that finds the lease
taken waits for the new tokens instead of spending the old refresh token a second time.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import requests
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError

from hub.errors import FatalConnectionError, RetryableError
from hub.plugin.target import ConnectionContext
from ledgerhub_qbo.faults import RECONNECT
from ledgerhub_qbo.settings import QboSettings

TOKENS_KEY = "tokens"
REALM_KEY = "realm_id"
REDIRECT_KEY = "redirect_uri"
LEASE_KEY = "refresh_lease"

REFRESH_MARGIN = timedelta(minutes=5)
"""Refresh when the access token has less than this left (or a tenth of its lifetime, if that
is shorter: a time-scaled sandbox hands out tokens that live seconds)."""
LEASE_LENGTH = timedelta(seconds=30)
WAIT_FOR_OTHER_WORKER = 10.0
HTTP_TIMEOUT = 30.0


class _AuthClient(AuthClient):
    """intuit-oauth's client with a time-out on every call (the library sets none)."""

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        """Send with a time-out."""
        kwargs.setdefault("timeout", HTTP_TIMEOUT)
        return super().request(method, url, *args, **kwargs)


def auth_client(
    settings: QboSettings, redirect_uri: str = "", tokens: Mapping[str, Any] | None = None
) -> AuthClient:
    """An intuit-oauth client for the configured discovery URL (which it fetches)."""
    try:
        return _AuthClient(settings.client_id, settings.client_secret, redirect_uri, settings.discovery_url,
                           access_token=(tokens or {}).get("access_token"),
                           refresh_token=(tokens or {}).get("refresh_token"))
    except (requests.RequestException, AuthClientError) as exc:
        raise RetryableError(f"Could not reach Intuit's sign-in service: {type(exc).__name__}") from exc


def authorization_url(ctx: ConnectionContext, settings: QboSettings, redirect_uri: str, state: str) -> str:
    """Where the shop owner approves access; remembers *redirect_uri* for the code exchange."""
    ctx.state.set(REDIRECT_KEY, redirect_uri)
    return auth_client(settings, redirect_uri).get_authorization_url([Scopes.ACCOUNTING], state_token=state)


def _token_record(client: AuthClient, now: datetime) -> dict[str, Any]:
    expires_in = int(getattr(client, "expires_in", None) or 3600)
    refresh_in = int(getattr(client, "x_refresh_token_expires_in", None) or 8_640_000)
    return {
        "access_token": client.access_token,
        "refresh_token": client.refresh_token,
        "expires_at": (now + timedelta(seconds=expires_in)).isoformat(),
        "lifetime": expires_in,
        "refresh_expires_at": (now + timedelta(seconds=refresh_in)).isoformat(),
    }


def complete_authorization(ctx: ConnectionContext, settings: QboSettings, params: Mapping[str, str]) -> None:
    """Exchange the callback's ``code`` for tokens; store them (encrypted) and the realm."""
    if params.get("error"):
        raise FatalConnectionError(f"QuickBooks did not grant access ({params['error']}). {RECONNECT}.")
    code, realm = params.get("code"), params.get("realmId")
    if not code or not realm:
        raise FatalConnectionError(
            f"QuickBooks' answer had no authorization code or company id. {RECONNECT}.")
    client = auth_client(settings, str(ctx.state.get(REDIRECT_KEY) or ""))
    try:
        client.get_bearer_token(code, realm_id=realm)
    except AuthClientError as exc:
        raise _auth_error(exc) from exc
    ctx.secrets.set(TOKENS_KEY, _token_record(client, ctx.now()))
    ctx.state.set(REALM_KEY, realm)


def _auth_error(exc: AuthClientError) -> Exception:
    if exc.status_code in (400, 401):
        return FatalConnectionError(RECONNECT)
    return RetryableError(f"Intuit's sign-in service answered HTTP {exc.status_code}")


def _expiring(tokens: Mapping[str, Any], now: datetime) -> bool:
    lifetime = timedelta(seconds=float(tokens.get("lifetime") or 3600))
    margin = min(REFRESH_MARGIN, lifetime / 10)
    return datetime.fromisoformat(str(tokens["expires_at"])) - now <= margin


def fresh_tokens(ctx: ConnectionContext, settings: QboSettings, rejected_access_token: str | None = None,
                 sleep: Any = time.sleep) -> dict[str, Any]:
    """Tokens good for the next few minutes, refreshing (once, across workers) if needed.

    With *rejected_access_token* (QBO answered 401 to it) a refresh happens even before the
    recorded expiry, unless another worker already replaced that token.
    """
    tokens = ctx.secrets.get(TOKENS_KEY)
    if not tokens:
        raise FatalConnectionError(RECONNECT)

    def needs_refresh(current: Mapping[str, Any]) -> bool:
        if rejected_access_token is not None:
            return current["access_token"] == rejected_access_token
        return _expiring(current, ctx.now())

    if not needs_refresh(tokens):
        return dict(tokens)
    lease = {"owner": uuid.uuid4().hex, "until": (ctx.now() + LEASE_LENGTH).isoformat()}
    waited = 0.0
    while True:
        held = ctx.state.get(LEASE_KEY)
        free = not held or datetime.fromisoformat(held["until"]) <= ctx.now()
        if free and ctx.state.compare_and_set(LEASE_KEY, held, lease):
            break
        # Another worker is refreshing: wait for its rotated tokens rather than spend ours.
        latest = ctx.secrets.get(TOKENS_KEY)
        if latest and not needs_refresh(latest):
            return dict(latest)
        if waited >= WAIT_FOR_OTHER_WORKER:
            raise RetryableError("Another worker is refreshing the QuickBooks tokens", retry_after=5)
        sleep(0.05)
        waited += 0.05
    try:
        latest = ctx.secrets.get(TOKENS_KEY)
        if not latest:
            raise FatalConnectionError(RECONNECT)
        if not needs_refresh(latest):
            return dict(latest)
        return _refresh(ctx, settings, latest)
    finally:
        ctx.state.compare_and_set(LEASE_KEY, lease, None)


def _refresh(ctx: ConnectionContext, settings: QboSettings, tokens: Mapping[str, Any]) -> dict[str, Any]:
    client = auth_client(settings, tokens=tokens)
    try:
        client.refresh(refresh_token=tokens["refresh_token"])
    except AuthClientError as exc:
        raise _auth_error(exc) from exc
    except requests.RequestException as exc:
        raise RetryableError(f"Could not refresh the QuickBooks token: {type(exc).__name__}") from exc
    rotated = _token_record(client, ctx.now())
    # Stored before first use: a crash after this line loses nothing.
    if not ctx.secrets.compare_and_set(TOKENS_KEY, tokens, rotated):
        raise RetryableError("QuickBooks tokens changed while refreshing; trying again", retry_after=1)
    ctx.logger.info("QuickBooks access token refreshed for connection %s", ctx.connection_id)
    return rotated


def revoke(ctx: ConnectionContext, settings: QboSettings) -> None:
    """Revoke the grant at Intuit (best effort) and forget the tokens."""
    tokens = ctx.secrets.get(TOKENS_KEY)
    if tokens:
        try:
            auth_client(settings, tokens=tokens).revoke(token=tokens["refresh_token"])
        except (AuthClientError, RetryableError, requests.RequestException) as exc:
            ctx.logger.warning("Revoking the QuickBooks grant failed: %s", type(exc).__name__)
    ctx.secrets.set(TOKENS_KEY, None)
