"""The Web Connector conversation: authenticate, hand out qbXML, read the answers.

Each run (one ticket) is stored in the connection's state (:mod:`.conversation`), so any web
process can answer any call and a restart loses nothing. Everything else that must outlive a run
is in the hub's outbox and the connection's state. A run that ends early (``closeConnection``
with requests unanswered, ``connectionError``, an ``hresult``, a new login replacing it) hands
its deliveries back as retryable with no delay, so the next run picks them up; an add whose
answer never came is re-checked with a query before it is sent again (see
:mod:`ledgerhub_accounting_link.exchange`).
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import replace

from flask import has_request_context, request

from hub.errors import DeliveryError, NeedsAttentionError, RetryableError
from hub.plugin.target import ConnectionContext, DeliveryResult, HubServices
from ledgerhub_accounting_link import conversation as store
from ledgerhub_accounting_link import exchange
from ledgerhub_accounting_link.conversation import Conversation
from ledgerhub_accounting_link.exchange import Finished, Purpose
from ledgerhub_accounting_link.login_limit import LoginLimiter
from ledgerhub_accounting_link.qbxml.context import BuildContext
from ledgerhub_accounting_link.qbxml.document import render
from ledgerhub_accounting_link.qbxml.responses import ResponseError, parse
from ledgerhub_accounting_link.settings import API_KEY_HASH, AccountingLinkSettings, verify_api_key

TARGET_NAME = "accounting_link"
USERNAME_PREFIX = "ledgerhub-"
SERVER_VERSION = "LedgerHub Accounting Link 1.0"
LAST_EXCHANGE_KEY = "last-exchange"
NOT_VALID_USER = "nvu"
NOTHING_TO_DO = "none"
UNKNOWN_RUN = "This run is unknown or already over; the next scheduled run continues."
log = logging.getLogger("ledgerhub.plugin.accounting_link")


def username_for(connection_id: int) -> str:
    """The Web Connector user name of a connection."""
    return f"{USERNAME_PREFIX}{connection_id}"


def connection_id_from(username: str) -> int | None:
    """The connection id in a Web Connector user name, or ``None``."""
    suffix = username.strip().removeprefix(USERNAME_PREFIX)
    return int(suffix) if username.strip().startswith(USERNAME_PREFIX) and suffix.isdigit() else None


def build_context(ctx: ConnectionContext, *, reserve_names: bool = True, country: str = "") -> BuildContext:
    """The builders' view of a connection. A Canadian QuickBooks (``qbXMLCountry`` CA) has no
    sales tax items, so the invoice's ``ItemSalesTaxRef`` is left out there."""
    settings = AccountingLinkSettings.from_mapping(ctx.settings)
    if country.upper() == "CA":
        settings = replace(settings, sales_tax_item="")
    return BuildContext(settings, ctx.shop, ctx.state, reserve_names=reserve_names)


def _remote_address() -> str:
    """The SOAP request's client address, or "" outside a request (the simulator, tests)."""
    return str(request.remote_addr or "") if has_request_context() else ""


def _current_key_hash(ctx: ConnectionContext) -> str | None:
    """The hash to check a login against, or ``None`` when the connection takes no logins.

    connect() copies the hash into the secrets and disconnect() removes it, so the secrets say
    whether logins are allowed at all. A reconnect with a new key updates the stored settings
    without calling connect() again, so the settings' hash is the current one.
    """
    in_secrets = ctx.secrets.get(API_KEY_HASH)
    if not in_secrets:
        return None
    return str(ctx.settings.get(API_KEY_HASH) or in_secrets)


class WebConnectorService:
    """The eight Web Connector operations over :class:`HubServices`."""

    def __init__(self, services: HubServices, *, clock: Callable[[], float] = time.monotonic,
                 batch_size: int = 20, limiter: LoginLimiter | None = None) -> None:
        self.services = services
        self.batch_size = batch_size
        self.limiter = limiter or LoginLimiter(clock)

    # -- bookkeeping -------------------------------------------------------------------------

    def _connection(self, connection_id: int | None) -> ConnectionContext | None:
        ctx = self.services.connection(connection_id) if connection_id is not None else None
        return ctx if ctx is not None and ctx.target_name == TARGET_NAME else None

    def _open(self, ticket: str) -> tuple[ConnectionContext, Conversation] | None:
        """The live conversation of *ticket* with its connection."""
        ctx = self._connection(store.connection_of(ticket))
        run = store.load(ctx.state, ticket) if ctx is not None else None
        if ctx is None or run is None or run.ended:
            return None
        return ctx, run

    def _complete(self, ctx: ConnectionContext, run: Conversation, delivery_id: int,
                  outcome: DeliveryResult | DeliveryError) -> None:
        try:
            self.services.complete(ctx, delivery_id, outcome)
        except KeyError:  # the delivery is gone (its connection was reset); nothing to record
            log.warning("connection %s: delivery %s no longer exists", ctx.connection_id, delivery_id)
        run.in_flight.discard(delivery_id)
        run.done += 1
        if isinstance(outcome, DeliveryError):
            log.info("connection %s delivery %s: %s", ctx.connection_id, delivery_id, outcome.message)

    def _release(self, ctx: ConnectionContext, run: Conversation, reason: str) -> None:
        """Hand unfinished deliveries back to the outbox as due again."""
        steps = [*run.outstanding.values(), *run.ready]
        run.outstanding.clear()
        run.ready.clear()
        for step in steps:
            self._complete(ctx, run, step.delivery.id, RetryableError(reason, retry_after=0))

    def _end(self, ctx: ConnectionContext, run: Conversation, reason: str, last_error: str = "") -> None:
        self._release(ctx, run, reason)
        run.ended = True
        run.last_error = last_error or run.last_error
        store.save(ctx.state, run)

    def _fill(self, ctx: ConnectionContext, run: Conversation) -> None:
        """Claim due deliveries until there is something to send or nothing is due."""
        bctx = build_context(ctx, country=run.country)
        while not run.ready:
            claimed = [d for d in self.services.claim(ctx, self.batch_size) if d.id not in run.in_flight]
            if not claimed:
                return
            for delivery in claimed:
                run.in_flight.add(delivery.id)
                planned = exchange.first_step(bctx, delivery)
                if isinstance(planned, Finished):
                    self._complete(ctx, run, delivery.id, planned.outcome)
                else:
                    run.ready.append(planned)

    def _note_exchange(self, ctx: ConnectionContext) -> None:
        self.services.mark_contact(ctx)
        ctx.state.set(LAST_EXCHANGE_KEY, ctx.now().isoformat())

    # -- operations --------------------------------------------------------------------------

    def server_version(self) -> str:
        """Shown in the Web Connector's log."""
        return SERVER_VERSION

    def client_version(self, version: str) -> str:
        """Accept every Web Connector from 2.0; warn about older ones."""
        major = version.split(".", 1)[0]
        if major.isdigit() and int(major) < 2:
            return "W:LedgerHub is tested with QuickBooks Web Connector 2.x; please update."
        return ""

    def authenticate(self, username: str, password: str, client_address: str | None = None) -> list[str]:
        """``[ticket, ""]`` when there is work, ``[ticket, "none"]`` when not, ``nvu`` for a wrong
        user name or key (and, after repeated failures from one client address, for a while
        without checking). *client_address* defaults to the current request's remote address."""
        client = client_address if client_address is not None else _remote_address()
        if self.limiter.locked(username, client):
            return [secrets.token_urlsafe(24), NOT_VALID_USER]
        ctx = self._connection(connection_id_from(username))
        stored = _current_key_hash(ctx) if ctx is not None else None
        if ctx is None or not verify_api_key(password, stored):
            self.limiter.failed(username, client)
            log.warning("Web Connector login refused for user %r from %s", username, client or "?")
            return [secrets.token_urlsafe(24), NOT_VALID_USER]
        self.limiter.succeeded(username, client)
        previous = store.load(ctx.state)
        if previous is not None and not previous.ended:
            self._end(ctx, previous, "A new Web Connector run replaced an unfinished one")
        self._note_exchange(ctx)
        run = Conversation(ticket=store.new_ticket(ctx.connection_id), connection_id=ctx.connection_id)
        self._fill(ctx, run)
        run.ended = not run.ready
        store.save(ctx.state, run)
        return [run.ticket, NOTHING_TO_DO if run.ended else ""]

    def send_request_xml(self, ticket: str, major_version: int = 13, minor_version: int = 0,
                         country: str = "") -> str:
        """The next qbXML document (up to ``batch_size`` requests), or "" when there is none."""
        opened = self._open(ticket)
        if opened is None:
            return ""
        ctx, run = opened
        if (major_version, minor_version) < (13, 0):
            run.last_error = (f"QuickBooks supports qbXML {major_version}.{minor_version}; "
                              "LedgerHub needs 13.0 (QuickBooks 2014 or later).")
            store.save(ctx.state, run)
            return ""
        run.country = country or run.country
        bctx = build_context(ctx, country=run.country)
        requests = []
        while run.ready and len(requests) < self.batch_size:
            step = run.ready.popleft()
            run.counter += 1
            request_id = f"{step.delivery.id}.{run.counter}"
            try:
                requests.append(exchange.build(bctx, step, request_id))
            except DeliveryError as exc:
                self._complete(ctx, run, step.delivery.id, exc)
                continue
            except Exception as exc:  # noqa: BLE001 - one record's bug must not stop the others
                log.exception("connection %s: building the request for delivery %s failed",
                              ctx.connection_id, step.delivery.id)
                self._complete(ctx, run, step.delivery.id,
                               NeedsAttentionError(f"could not build the qbXML request: {exc!r}"))
                continue
            if step.purpose == Purpose.ADD:
                ctx.state.set(exchange.maybe_added_key(step.delivery), request_id)
            run.outstanding[request_id] = step
            if not run.ready:
                self._fill(ctx, run)
        if not requests:
            run.last_error = "Nothing left to send."
        store.save(ctx.state, run)
        return render(requests) if requests else ""

    def receive_response_xml(self, ticket: str, response: str, hresult: str, message: str) -> int:
        """Apply QuickBooks' answers; the percentage done (100 = finished, negative = error)."""
        opened = self._open(ticket)
        if opened is None:
            return -1
        ctx, run = opened
        if hresult:
            run.last_error = f"QuickBooks could not run the request ({hresult}): {message}"
            self._release(ctx, run, run.last_error)
            store.save(ctx.state, run)
            return -1
        try:
            replies = parse(response)
        except ResponseError as exc:
            run.last_error = f"Unreadable answer from QuickBooks: {exc}"
            self._release(ctx, run, run.last_error)
            store.save(ctx.state, run)
            return -1
        self._note_exchange(ctx)
        bctx = build_context(ctx, country=run.country)
        for reply in replies:
            step = run.outstanding.pop(reply.request_id, None)
            if step is None:
                log.warning("connection %s: answer to unknown request %r",
                            ctx.connection_id, reply.request_id)
                continue
            try:
                planned = exchange.handle(bctx, step, reply)
            except Exception as exc:  # noqa: BLE001 - one record's bug must not stop the others
                log.exception("connection %s: reading the answer for delivery %s failed",
                              ctx.connection_id, step.delivery.id)
                planned = Finished(NeedsAttentionError(
                    f"could not read QuickBooks' answer ({reply.status_code} {reply.message}): {exc!r}"))
            if isinstance(planned, Finished):
                self._complete(ctx, run, step.delivery.id, planned.outcome)
            else:
                run.ready.append(planned)
        # QuickBooks stopped before these (stopOnError, a crash): re-plan; an add becomes a probe.
        for step in list(run.outstanding.values()):
            replanned = exchange.first_step(bctx, step.delivery)
            if isinstance(replanned, Finished):
                self._complete(ctx, run, step.delivery.id, replanned.outcome)
            else:
                run.ready.append(replanned)
        run.outstanding.clear()
        if not run.ready:
            self._fill(ctx, run)
        store.save(ctx.state, run)
        if not run.ready:
            return 100
        remaining = len(run.ready) + self.services.pending_count(ctx)
        return max(1, min(99, 100 * run.done // (run.done + remaining)))

    def connection_error(self, ticket: str, hresult: str, message: str) -> str:
        """The Web Connector could not reach QuickBooks: end the run, keep the work for later."""
        opened = self._open(ticket)
        if opened is not None:
            reason = f"The Web Connector could not open QuickBooks ({hresult}): {message}"
            self._end(*opened, reason, last_error=reason)
        return "DONE"

    def get_last_error(self, ticket: str) -> str:
        """The last problem of the run, shown in the Web Connector."""
        ctx = self._connection(store.connection_of(ticket))
        run = store.load(ctx.state, ticket) if ctx is not None else None
        if run is None:
            return UNKNOWN_RUN
        return run.last_error or "No error."

    def close_connection(self, ticket: str) -> str:
        """End the run; anything unanswered is handed back for the next one."""
        opened = self._open(ticket)
        if opened is None:
            return "OK"
        ctx, run = opened
        self._end(ctx, run, "The Web Connector ended the run before QuickBooks answered")
        return f"OK: {run.done} record(s) processed"
