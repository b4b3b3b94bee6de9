"""A fake OAuth target for the UI tests: named ``qbo`` so the subscription switch applies,
offered in the US only, with an income-account mapping and a chart of accounts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import urlencode

from marshmallow import Schema, fields, validate

from hub import (
    ConnectionContext,
    Delivery,
    DeliveryResult,
    EntityKind,
    FatalConnectionError,
    NeedsAttentionError,
    Target,
)
from hub.domain.records import Shop

ITEMS = ("Labor", "Parts", "Sublets")
ACCOUNTS = [("79", "Sales of Product Income"), ("80", "Services"), ("81", "Labor Income")]
CONSENT_URL = "http://consent.invalid/authorize"


class FakeOAuthSettings(Schema):
    """Settings with an optional field and the income-account mapping."""

    api_base_url = fields.String(load_default="http://127.0.0.1:1", metadata={"title": "API base URL"})
    income_accounts = fields.Dict(keys=fields.String(validate=validate.OneOf(ITEMS)),
                                  values=fields.String(), load_default=dict)


class FakeOAuthBooks(Target):
    """Needs a browser sign-in; a code other than ``good`` is refused."""

    name: ClassVar[str] = "qbo"
    title: ClassVar[str] = "QuickBooks Online"
    entities: ClassVar[frozenset[EntityKind]] = frozenset(
        {EntityKind.CUSTOMER, EntityKind.INVOICE, EntityKind.PAYMENT})
    countries: ClassVar[frozenset[str] | None] = frozenset({"US"})
    settings_schema: ClassVar[type[Schema]] = FakeOAuthSettings
    needs_authorization: ClassVar[bool] = True

    def __init__(self) -> None:
        self.delivered: list[tuple[str, str]] = []
        self.refuse: set[str] = set()

    def unavailable_reason(self, shop: Shop) -> str | None:
        """Canada gets a pointer to Accounting Link."""
        if shop.country == "CA":
            return "QuickBooks Online is not offered for Canadian shops; use Accounting Link."
        return super().unavailable_reason(shop)

    def authorization_url(self, ctx: ConnectionContext, redirect_uri: str, state: str) -> str:
        """The (fake) consent page."""
        return CONSENT_URL + "?" + urlencode({"redirect_uri": redirect_uri, "state": state})

    def complete_authorization(self, ctx: ConnectionContext, params: Mapping[str, str]) -> None:
        """Accept the code ``good``."""
        if params.get("code") != "good":
            raise NeedsAttentionError("Intuit refused the code")
        ctx.secrets.set("token", "t0ken")

    def income_account_choices(self, ctx: ConnectionContext) -> list[tuple[str, str]]:
        """The chart of accounts' income accounts."""
        return list(ACCOUNTS)

    def deliver(self, ctx: ConnectionContext, delivery: Delivery) -> DeliveryResult:
        """Refuse records listed in :attr:`refuse`, accept the rest."""
        if delivery.record.id == "C-revoked":
            raise FatalConnectionError("QuickBooks revoked access; reconnect to QuickBooks")
        if delivery.record.id in self.refuse:
            raise NeedsAttentionError(f"QuickBooks says the customer of {delivery.record.id} is inactive")
        self.delivered.append((delivery.kind.value, delivery.record.id))
        return DeliveryResult(target_id=f"Q{len(self.delivered)}")


def consent_params(location: str) -> dict[str, Any]:
    """The query of a redirect to the fake consent page."""
    from urllib.parse import parse_qs, urlparse

    return {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}
