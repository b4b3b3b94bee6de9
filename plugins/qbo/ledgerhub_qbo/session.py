"""One worker's working set for one connection: settings, tokens, the API client, item ids.

It also owns the "retry once after a 401" rule: QuickBooks rejecting the access token means
it expired early (or was revoked); the token is refreshed once and the call repeated; a
second rejection, or a refused refresh, means the grant is gone.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from hub.errors import FatalConnectionError
from hub.plugin.target import ConnectionContext
from ledgerhub_qbo import tokens as oauth
from ledgerhub_qbo.client import QboApi
from ledgerhub_qbo.faults import RECONNECT, FaultKind, QboFault
from ledgerhub_qbo.items import ITEMS_KEY
from ledgerhub_qbo.limiter import RateLimiter
from ledgerhub_qbo.settings import QboSettings

T = TypeVar("T")

APP_CREDENTIALS: dict[str, str] = {
    "client_id": os.environ.get("LEDGERHUB_QBO_CLIENT_ID", ""),
    "client_secret": os.environ.get("LEDGERHUB_QBO_CLIENT_SECRET", ""),
}
"""The hub operator's Intuit app, used when a connection's settings name none (set from
``ledgerhub_configure`` keys ``qbo_client_id``/``qbo_client_secret`` or the environment)."""


def settings_of(ctx: ConnectionContext) -> QboSettings:
    """The connection's settings with the operator's app credentials as defaults."""
    return QboSettings.from_mapping(ctx.settings, APP_CREDENTIALS)


@dataclass
class QboSession:
    """The API client and current tokens of one connection, for one batch."""

    ctx: ConnectionContext
    settings: QboSettings
    api: QboApi
    tokens: dict[str, Any]
    item_ids: dict[str, str] = field(default_factory=dict)

    @classmethod
    def open(cls, ctx: ConnectionContext, limiter: RateLimiter) -> QboSession:
        """Refresh the tokens if they are close to expiry and build the client."""
        settings = settings_of(ctx)
        realm = ctx.state.get(oauth.REALM_KEY)
        if not realm:
            raise FatalConnectionError(RECONNECT)
        tokens = oauth.fresh_tokens(ctx, settings)
        api = QboApi(api_url_v3=settings.api_url_v3, realm_id=str(realm),
                     access_token=tokens["access_token"], limiter=limiter)
        known: Mapping[str, Mapping[str, str]] = ctx.state.get(ITEMS_KEY) or {}
        return cls(ctx, settings, api, tokens, {name: v["id"] for name, v in known.items()})

    def call(self, fn: Callable[[], T]) -> T:
        """Run one API call; after a 401, refresh the token once and run it again."""
        try:
            return fn()
        except QboFault as fault:
            if fault.kind is not FaultKind.UNAUTHORIZED:
                raise
        self.tokens = oauth.fresh_tokens(self.ctx, self.settings,
                                         rejected_access_token=self.tokens["access_token"])
        self.api.set_access_token(self.tokens["access_token"])
        try:
            return fn()
        except QboFault as fault:
            if fault.kind is FaultKind.UNAUTHORIZED:
                raise FatalConnectionError(RECONNECT) from fault
            raise
