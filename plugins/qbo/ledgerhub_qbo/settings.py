"""Connection settings of the QuickBooks Online target.

The API base URL and the OAuth discovery URL are the only things that differ between
production, Intuit's sandbox and a local QBO sandbox; everything else is the same code path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from marshmallow import Schema, ValidationError, fields, validate, validates

from ledgerhub_qbo.items import ITEM_NAMES

PRODUCTION_API_BASE_URL = "https://quickbooks.api.intuit.com"
PRODUCTION_DISCOVERY_URL = "https://developer.intuit.com/.well-known/openid_configuration/"
INTUIT_SANDBOX_API_BASE_URL = "https://sandbox-quickbooks.api.intuit.com"
INTUIT_SANDBOX_DISCOVERY_URL = "https://developer.intuit.com/.well-known/openid_sandbox_configuration/"

#: Hosts where plain http is accepted (a local QBO sandbox); anything else must be https.
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def _check_url(value: str) -> None:
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValidationError("must be an absolute http(s) URL")
    if parsed.scheme == "http" and parsed.hostname not in LOCAL_HOSTS:
        raise ValidationError("must use https unless it points at this machine (127.0.0.1)")


class QboSettingsSchema(Schema):
    """What a shop (or the operator) configures for one QuickBooks Online connection."""

    api_base_url = fields.String(
        load_default=PRODUCTION_API_BASE_URL,
        metadata={"title": "API base URL",
                  "description": "Production, Intuit's sandbox, or a local QBO sandbox."},
    )
    discovery_url = fields.String(
        load_default=PRODUCTION_DISCOVERY_URL,
        metadata={"title": "OAuth discovery URL"},
    )
    client_id = fields.String(
        load_default="", metadata={"title": "Intuit app client ID",
                                   "description": "Leave empty to use the hub's own app."},
    )
    client_secret = fields.String(
        load_default="", load_only=True,
        metadata={"title": "Intuit app client secret", "secret": True, "widget": "password"},
    )
    income_accounts = fields.Dict(
        keys=fields.String(validate=validate.OneOf(ITEM_NAMES)),
        values=fields.String(validate=validate.Length(min=1, max=50)),
        load_default=dict,
        metadata={"title": "Income account per product/service",
                  "description": "QuickBooks account Id for each item; a default is used until set."},
    )

    @validates("api_base_url")
    def _api_base_url(self, value: str, **_: Any) -> None:
        _check_url(value)

    @validates("discovery_url")
    def _discovery_url(self, value: str, **_: Any) -> None:
        _check_url(value)


@dataclass(frozen=True, slots=True)
class QboSettings:
    """Validated settings, with the hub-wide app credentials filled in when the shop left them
    empty."""

    api_base_url: str = PRODUCTION_API_BASE_URL
    discovery_url: str = PRODUCTION_DISCOVERY_URL
    client_id: str = ""
    client_secret: str = ""
    income_accounts: Mapping[str, str] = field(default_factory=dict)

    @property
    def api_url_v3(self) -> str:
        """The ``…/v3`` root python-quickbooks builds every URL from."""
        return self.api_base_url.rstrip("/") + "/v3"

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any], defaults: Mapping[str, Any] | None = None) -> QboSettings:
        """Settings from a connection's stored mapping; *defaults* supply app credentials."""
        defaults = defaults or {}
        return cls(
            api_base_url=str(raw.get("api_base_url") or PRODUCTION_API_BASE_URL),
            discovery_url=str(raw.get("discovery_url") or PRODUCTION_DISCOVERY_URL),
            client_id=str(raw.get("client_id") or defaults.get("client_id") or ""),
            client_secret=str(raw.get("client_secret") or defaults.get("client_secret") or ""),
            income_accounts=dict(raw.get("income_accounts") or {}),
        )
