"""Intuit's OAuth 2 rules, without HTTP: clients, authorization codes, token grants, revocation.

Lifetimes are sandbox seconds (see :mod:`ledgerhub_qbo_sandbox.clock`): an access token lives an
hour, a refresh token 100 days; every refresh returns a new refresh token and leaves the one used
(and the one that was current) valid for 24 more hours, after which it fails with
``invalid_grant``. Revoking any token of a connection ends the whole connection. Tokens and
client secrets are kept only as SHA-256 hashes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from ledgerhub_qbo_sandbox.clock import SandboxClock

ACCESS_LIFETIME = 3600
REFRESH_LIFETIME = 100 * 86400
STALE_GRACE = 86400
CODE_LIFETIME = 600
ACCOUNTING_SCOPE = "com.intuit.quickbooks.accounting"


class OAuthError(Exception):
    """An OAuth failure answered as ``{"error": ..., "error_description": ...}``."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status

    def body(self) -> dict[str, str]:
        """The JSON body of the answer."""
        return {"error": self.error, "error_description": self.description}


@dataclass(frozen=True)
class ClientCredentials:
    """An app registered with the sandbox: what a developer copies from Intuit's Keys tab."""

    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]


@dataclass
class _Client:
    client_id: str
    secret_hash: str
    redirect_uris: list[str]


@dataclass
class _Token:
    kind: str  # "code", "access" or "refresh"
    grant_id: str
    expires_at: float
    redirect_uri: str = ""
    used: bool = False


@dataclass
class _Grant:
    client_id: str
    realm_id: str
    current_refresh: str = ""
    revoked: bool = False
    token_hashes: set[str] = field(default_factory=set)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class OAuthServer:
    """Clients, codes and tokens of one sandbox."""

    def __init__(self, clock: SandboxClock) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._clients: dict[str, _Client] = {}
        self._tokens: dict[str, _Token] = {}
        self._grants: dict[str, _Grant] = {}

    def register_client(
        self,
        redirect_uris: list[str] | tuple[str, ...],
        client_id: str | None = None,
        client_secret: str | None = None,
    ) -> ClientCredentials:
        """Register an app; returns its id and secret (the secret is not kept in clear)."""
        client_id = client_id or "AB" + secrets.token_hex(20)
        client_secret = client_secret or secrets.token_urlsafe(30)
        with self._lock:
            self._clients[client_id] = _Client(client_id, _hash(client_secret), list(redirect_uris))
        return ClientCredentials(client_id, client_secret, tuple(redirect_uris))

    def add_redirect_uri(self, client_id: str, redirect_uri: str) -> None:
        """Allow one more redirect URI for a registered app."""
        with self._lock:
            uris = self._clients[client_id].redirect_uris
            if redirect_uri not in uris:
                uris.append(redirect_uri)

    def check_authorization_request(self, client_id: str, redirect_uri: str) -> None:
        """Refuse an authorization request for an unknown app or an unregistered redirect URI."""
        client = self._clients.get(client_id)
        if client is None:
            raise OAuthError("invalid_client", f"client_id {client_id!r} is not registered")
        if redirect_uri not in client.redirect_uris:
            raise OAuthError(
                "invalid_request", f"redirect_uri {redirect_uri!r} is not registered for this app"
            )

    def issue_code(self, client_id: str, redirect_uri: str, realm_id: str) -> str:
        """The authorization code the consent page hands to the redirect URI."""
        self.check_authorization_request(client_id, redirect_uri)
        code = "AB" + secrets.token_urlsafe(32)
        with self._lock:
            grant_id = secrets.token_hex(8)
            self._grants[grant_id] = _Grant(client_id, realm_id)
            self._tokens[_hash(code)] = _Token(
                "code", grant_id, self.clock.now() + CODE_LIFETIME, redirect_uri
            )
        return code

    def token(self, authorization: str | None, form: dict[str, str]) -> dict[str, Any]:
        """The token endpoint: ``authorization_code`` and ``refresh_token`` grants."""
        client = self._authenticate(authorization)
        grant_type = form.get("grant_type", "")
        with self._lock:
            if grant_type == "authorization_code":
                return self._exchange_code(client, form.get("code", ""), form.get("redirect_uri", ""))
            if grant_type == "refresh_token":
                return self._refresh(client, form.get("refresh_token", ""))
        raise OAuthError("unsupported_grant_type", f"grant_type {grant_type!r} is not supported")

    def revoke(self, authorization: str | None, token: str) -> None:
        """End the connection a token (access or refresh) belongs to."""
        client = self._authenticate(authorization)
        with self._lock:
            record = self._tokens.get(_hash(token or ""))
            if record is None:
                return  # RFC 7009: revoking an unknown token succeeds
            grant = self._grants[record.grant_id]
            if grant.client_id != client.client_id:
                raise OAuthError("invalid_request", "the token belongs to another app")
            grant.revoked = True

    def realm_of_access_token(self, token: str) -> str | None:
        """The realm a live access token opens, or None (unknown, expired or revoked)."""
        with self._lock:
            record = self._tokens.get(_hash(token))
            if record is None or record.kind != "access" or record.expires_at <= self.clock.now():
                return None
            grant = self._grants[record.grant_id]
            return None if grant.revoked else grant.realm_id

    def grant_tokens(self, client_id: str, realm_id: str) -> dict[str, Any]:
        """Tokens for a realm without the browser dance (a shortcut for tests and the demo)."""
        with self._lock:
            grant_id = secrets.token_hex(8)
            self._grants[grant_id] = _Grant(client_id, realm_id)
            return self._issue(grant_id)

    def expire_access_tokens(self) -> int:
        """Make every access token issued so far expired; returns how many."""
        with self._lock:
            now = self.clock.now()
            records = [record for record in self._tokens.values() if record.kind == "access"]
            for record in records:
                record.expires_at = min(record.expires_at, now)
            return len(records)

    def _authenticate(self, authorization: str | None) -> _Client:
        if not authorization or not authorization.startswith("Basic "):
            raise OAuthError("invalid_client", "Basic client authentication is required", 401)
        try:
            client_id, _, secret = base64.b64decode(authorization[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise OAuthError("invalid_client", "the Basic credentials are malformed", 401) from None
        client = self._clients.get(client_id)
        if client is None or not hmac.compare_digest(client.secret_hash, _hash(secret)):
            raise OAuthError("invalid_client", "unknown client or wrong secret", 401)
        return client

    def _exchange_code(self, client: _Client, code: str, redirect_uri: str) -> dict[str, Any]:
        record = self._tokens.get(_hash(code))
        if record is None or record.kind != "code" or record.used or record.expires_at <= self.clock.now():
            raise OAuthError("invalid_grant", "the authorization code is invalid, expired or already used")
        grant = self._grants[record.grant_id]
        if grant.client_id != client.client_id:
            raise OAuthError("invalid_grant", "the authorization code was issued to another app")
        if redirect_uri != record.redirect_uri:
            raise OAuthError("invalid_grant", "redirect_uri does not match the authorization request")
        record.used = True
        return self._issue(record.grant_id)

    def _refresh(self, client: _Client, refresh_token: str) -> dict[str, Any]:
        now = self.clock.now()
        presented = _hash(refresh_token)
        record = self._tokens.get(presented)
        if record is None or record.kind != "refresh" or record.expires_at <= now:
            raise OAuthError("invalid_grant", "Incorrect or invalid refresh token")
        grant = self._grants[record.grant_id]
        if grant.revoked or grant.client_id != client.client_id:
            raise OAuthError("invalid_grant", "Incorrect or invalid refresh token")
        for superseded in (presented, grant.current_refresh):
            old = self._tokens.get(superseded)
            if old is not None:
                old.expires_at = min(old.expires_at, now + STALE_GRACE)
        return self._issue(record.grant_id)

    def _issue(self, grant_id: str) -> dict[str, Any]:
        now = self.clock.now()
        grant = self._grants[grant_id]
        access = "eyJ" + secrets.token_urlsafe(48)
        refresh = "RT1-" + secrets.token_urlsafe(36)
        for token, kind, lifetime in (
            (access, "access", ACCESS_LIFETIME),
            (refresh, "refresh", REFRESH_LIFETIME),
        ):
            self._tokens[_hash(token)] = _Token(kind, grant_id, now + lifetime)
            grant.token_hashes.add(_hash(token))
        grant.current_refresh = _hash(refresh)
        return {
            "token_type": "bearer",
            "access_token": access,
            # Lifetimes are told in real seconds, so a client that plans its refreshes works.
            "expires_in": max(1, round(self.clock.real_seconds(ACCESS_LIFETIME))),
            "refresh_token": refresh,
            "x_refresh_token_expires_in": max(1, round(self.clock.real_seconds(REFRESH_LIFETIME))),
        }
