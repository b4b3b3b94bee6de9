"""The QuickBooks Online target: what the sync engine calls."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

from hub.domain.kinds import EntityKind
from hub.domain.records import Shop
from hub.errors import DeliveryError, FatalConnectionError, NeedsAttentionError
from hub.plugin.target import ConnectionContext, Delivery, DeliveryResult, Target
from ledgerhub_qbo import backfill, items
from ledgerhub_qbo import delivery as single
from ledgerhub_qbo import tokens as oauth
from ledgerhub_qbo.faults import FaultKind, QboFault, to_delivery_error
from ledgerhub_qbo.limiter import RateLimiter, default_limiter
from ledgerhub_qbo.session import QboSession, settings_of
from ledgerhub_qbo.settings import QboSettingsSchema

CANADA_REASON = (
    "QuickBooks Online is not offered to shops in Canada: Canadian sales tax (GST/HST/PST/QST) "
    "needs a tax code on every line, which this connection does not send. Use Accounting Link "
    "instead; it works with QuickBooks for Canada."
)


def company_country_refusal(country: str) -> str | None:
    """Why a QuickBooks company of *country* cannot be used, or ``None`` for a US company."""
    country = country.upper()
    if country in ("US", "USA"):
        return None
    if country in ("CA", "CAN"):
        return f"This QuickBooks company is set up for {country}, not the US. {CANADA_REASON}"
    return (f"This QuickBooks company is set up for {country}; QuickBooks Online is offered for US "
            "companies only.")


class QboTarget(Target):
    """One-way delivery of customers, invoices and payments to QuickBooks Online."""

    name = "qbo"
    title = "QuickBooks Online"
    entities = frozenset({EntityKind.CUSTOMER, EntityKind.INVOICE, EntityKind.PAYMENT})
    countries = frozenset({"US"})
    settings_schema = QboSettingsSchema
    needs_authorization = True
    batch_size = 30

    def __init__(self, limiter: RateLimiter | None = None) -> None:
        self.limiter = limiter or default_limiter()
        self._sessions: dict[tuple[int, int], QboSession] = {}
        self._lock = threading.Lock()

    def unavailable_reason(self, shop: Shop) -> str | None:
        """Canada is refused with a pointer to Accounting Link; elsewhere, US only."""
        if shop.country.upper() in ("CA", "CAN"):
            return CANADA_REASON
        return super().unavailable_reason(shop)

    # Connection lifecycle ------------------------------------------------------------------

    def authorization_url(self, ctx: ConnectionContext, redirect_uri: str, state: str) -> str:
        """Intuit's consent page for this connection."""
        return oauth.authorization_url(ctx, settings_of(ctx), redirect_uri, state)

    def complete_authorization(self, ctx: ConnectionContext, params: Mapping[str, str]) -> None:
        """Exchange the code for tokens (stored encrypted) and remember the company."""
        oauth.complete_authorization(ctx, settings_of(ctx), params)

    def connect(self, ctx: ConnectionContext) -> None:
        """Check the company is a US one, pick a default income account, and find or create
        the eight items."""
        session = QboSession.open(ctx, self.limiter)
        try:
            company = session.call(lambda: session.api.read("CompanyInfo", session.api.realm_id))
            refusal = company_country_refusal(str(company.get("Country") or "US"))
            if refusal:
                raise NeedsAttentionError(refusal)
            accounts = session.call(lambda: items.income_accounts(session.api))
            ctx.state.set(items.DEFAULT_ACCOUNT_KEY, items.default_income_account(accounts))
            self._ensure_items(session)
        except QboFault as fault:
            raise self._error(fault, "Connecting") from fault

    def disconnect(self, ctx: ConnectionContext) -> None:
        """Revoke the grant at Intuit and forget the tokens."""
        oauth.revoke(ctx, settings_of(ctx))
        self._forget(ctx)

    def income_account_choices(self, ctx: ConnectionContext) -> list[tuple[str, str]]:
        """``(Id, name)`` of the company's income accounts, for the settings UI's mapping page;
        empty (the page then takes typed Ids) when QuickBooks cannot be reached."""
        try:
            session = QboSession.open(ctx, self.limiter)
            accounts = session.call(lambda: items.income_accounts(session.api))
        except (QboFault, DeliveryError) as exc:
            ctx.logger.warning("Listing QuickBooks income accounts failed: %s", exc)
            return []
        return [(a["Id"], a["Name"]) for a in accounts]

    def begin_batch(self, ctx: ConnectionContext) -> None:
        """Refresh the token if close to expiry; check the items are still there."""
        session = QboSession.open(ctx, self.limiter)
        with self._lock:
            self._sessions[self._key(ctx)] = session
        try:
            self._ensure_items(session)
        except QboFault as fault:
            raise self._error(fault, "Checking the QuickBooks products/services") from fault

    def end_batch(self, ctx: ConnectionContext) -> None:
        """Drop this worker's session."""
        self._forget(ctx)

    # Delivery ------------------------------------------------------------------------------

    def deliver(self, ctx: ConnectionContext, delivery: Delivery) -> DeliveryResult:
        """Deliver one record (see :mod:`ledgerhub_qbo.delivery`)."""
        session = self._session(ctx)
        try:
            return single.deliver(session, delivery)
        except QboFault as fault:
            if fault.kind is FaultKind.UNKNOWN_OUTCOME:
                ctx.state.set(single.uncertain_key(delivery), True)
            raise self._error(fault, single.kind_label(delivery)) from fault

    def deliver_many(self, ctx: ConnectionContext,
                     deliveries: Sequence[Delivery]) -> list[DeliveryResult | DeliveryError]:
        """Backfill creates go through the batch API; everything else one by one."""
        session = self._session(ctx)

        def one(d: Delivery) -> DeliveryResult | DeliveryError:
            try:
                return self.deliver(ctx, d)
            except FatalConnectionError:
                raise
            except DeliveryError as exc:
                return exc

        return backfill.deliver_many(session, deliveries, one)

    # Helpers -------------------------------------------------------------------------------

    def _ensure_items(self, session: QboSession) -> None:
        check = session.call(lambda: items.ensure_items(
            session.api, session.ctx.state, session.settings.income_accounts, session.ctx.warn))
        session.item_ids = check.ids

    def _error(self, fault: QboFault, what: str) -> DeliveryError:
        return to_delivery_error(fault, what)

    @staticmethod
    def _key(ctx: ConnectionContext) -> tuple[int, int]:
        return (ctx.connection_id, threading.get_ident())

    def _session(self, ctx: ConnectionContext) -> QboSession:
        with self._lock:
            session = self._sessions.get(self._key(ctx))
        if session is None:
            self.begin_batch(ctx)
            with self._lock:
                session = self._sessions[self._key(ctx)]
        session.ctx = ctx
        return session

    def _forget(self, ctx: ConnectionContext) -> None:
        with self._lock:
            self._sessions.pop(self._key(ctx), None)
