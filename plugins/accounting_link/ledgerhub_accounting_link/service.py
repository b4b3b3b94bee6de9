"""The Web Connector conversation: authenticate, hand out qbXML, read the answers.

Conversations live in memory, keyed by ticket, and survive nothing on purpose: everything that
must outlive one (what was delivered, which adds may have happened) is in the hub's outbox and
the connection's state. A conversation that ends early (``closeConnection`` with requests still
unanswered, ``connectionError``, a ticket replaced by a new login) hands its deliveries back as
retryable, so the next run picks them up; an add whose answer never came is re-checked with a
query before it is sent again (see :mod:`ledgerhub_accounting_link.exchange`).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from hub.errors import DeliveryError, NeedsAttentionError, RetryableError
from hub.plugin.target import ConnectionContext, DeliveryResult, HubServices
from ledgerhub_accounting_link import exchange
from ledgerhub_accounting_link.exchange import Finished, Purpose, Step
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
SESSION_IDLE_SECONDS = 3600.0
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


@dataclass
class Conversation:
    """One Web Connector run, from ``authenticate`` to ``closeConnection``."""

    ticket: str
    connection_id: int
    touched: float
    ready: deque[Step] = field(default_factory=deque)
    outstanding: dict[str, Step] = field(default_factory=dict)
    in_flight: set[int] = field(default_factory=set)
    done: int = 0
    last_error: str = ""
    counter: int = 0
    country: str = ""


class WebConnectorService:
    """The eight Web Connector operations over :class:`HubServices`."""

    def __init__(self, services: HubServices, *, clock: Callable[[], float] = time.monotonic,
                 batch_size: int = 20, limiter: LoginLimiter | None = None) -> None:
        self.services = services
        self.clock = clock
        self.batch_size = batch_size
        self.limiter = limiter or LoginLimiter(clock)
        self._conversations: dict[str, Conversation] = {}
        self._ended_errors: dict[str, str] = {}
        self._lock = threading.RLock()

    # -- bookkeeping -------------------------------------------------------------------------

    def _context(self, conversation: Conversation) -> ConnectionContext | None:
        ctx = self.services.connection(conversation.connection_id)
        return ctx if ctx is not None and ctx.target_name == TARGET_NAME else None

    def _conversation(self, ticket: str) -> Conversation | None:
        with self._lock:
            conversation = self._conversations.get(ticket)
            if conversation is not None:
                conversation.touched = self.clock()
            return conversation

    def _complete(self, ctx: ConnectionContext, conversation: Conversation, delivery_id: int,
                  outcome: DeliveryResult | DeliveryError) -> None:
        try:
            self.services.complete(ctx, delivery_id, outcome)
        except KeyError:  # the delivery is gone (its connection was reset); nothing to record
            log.warning("connection %s: delivery %s no longer exists", ctx.connection_id, delivery_id)
        conversation.in_flight.discard(delivery_id)
        conversation.done += 1
        if isinstance(outcome, DeliveryError):
            log.info("connection %s delivery %s: %s", ctx.connection_id, delivery_id, outcome.message)

    def _release(self, conversation: Conversation, reason: str) -> None:
        """Hand unfinished deliveries back to the outbox as due again."""
        ctx = self._context(conversation)
        steps = [*conversation.outstanding.values(), *conversation.ready]
        conversation.outstanding.clear()
        conversation.ready.clear()
        if ctx is None:
            return
        for step in steps:
            self._complete(ctx, conversation, step.delivery.id, RetryableError(reason, retry_after=0))

    def _end(self, ticket: str, reason: str) -> Conversation | None:
        with self._lock:
            conversation = self._conversations.pop(ticket, None)
        if conversation is not None:
            self._release(conversation, reason)
        return conversation

    def _expire_idle(self) -> None:
        cutoff = self.clock() - SESSION_IDLE_SECONDS
        with self._lock:
            stale = [t for t, c in self._conversations.items() if c.touched < cutoff]
        for ticket in stale:
            self._end(ticket, "The Web Connector stopped answering; sent again on its next run")

    def _fill(self, ctx: ConnectionContext, conversation: Conversation) -> None:
        """Claim due deliveries until there is something to send or nothing is due."""
        bctx = build_context(ctx)
        while not conversation.ready:
            claimed = [d for d in self.services.claim(ctx, self.batch_size)
                       if d.id not in conversation.in_flight]
            if not claimed:
                return
            for delivery in claimed:
                conversation.in_flight.add(delivery.id)
                planned = exchange.first_step(bctx, delivery)
                if isinstance(planned, Finished):
                    self._complete(ctx, conversation, delivery.id, planned.outcome)
                else:
                    conversation.ready.append(planned)

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

    def authenticate(self, username: str, password: str) -> list[str]:
        """``[ticket, ""]`` when there is work, ``[ticket, "none"]`` when not, ``nvu`` for a wrong
        user name or key (and, after repeated failures, for a while without checking)."""
        self._expire_idle()
        ticket = secrets.token_urlsafe(24)
        if self.limiter.locked(username):
            return [ticket, NOT_VALID_USER]
        connection_id = connection_id_from(username)
        ctx = self.services.connection(connection_id) if connection_id is not None else None
        # Only the secrets count: connect() puts the hash there and disconnect() removes it.
        stored = ctx.secrets.get(API_KEY_HASH) if ctx is not None else None
        if ctx is None or ctx.target_name != TARGET_NAME or not verify_api_key(password, stored):
            self.limiter.failed(username)
            log.warning("Web Connector login refused for user %r", username)
            return [ticket, NOT_VALID_USER]
        self.limiter.succeeded(username)
        with self._lock:
            replaced = [t for t, c in self._conversations.items() if c.connection_id == connection_id]
        for old in replaced:
            self._end(old, "A new Web Connector run replaced an unfinished one")
        self._note_exchange(ctx)
        conversation = Conversation(ticket=ticket, connection_id=ctx.connection_id, touched=self.clock())
        self._fill(ctx, conversation)
        if not conversation.ready:
            return [ticket, NOTHING_TO_DO]
        with self._lock:
            self._conversations[ticket] = conversation
        return [ticket, ""]

    def send_request_xml(self, ticket: str, major_version: int = 13, minor_version: int = 0,
                         country: str = "") -> str:
        """The next qbXML document (up to ``batch_size`` requests), or "" when there is none."""
        conversation = self._conversation(ticket)
        if conversation is None:
            return ""
        ctx = self._context(conversation)
        if ctx is None:
            conversation.last_error = "This connection was removed from LedgerHub."
            return ""
        if (major_version, minor_version) < (13, 0):
            conversation.last_error = (f"QuickBooks supports qbXML {major_version}.{minor_version}; "
                                       "LedgerHub needs 13.0 (QuickBooks 2014 or later).")
            return ""
        conversation.country = country or conversation.country
        bctx = build_context(ctx, country=conversation.country)
        requests = []
        while conversation.ready and len(requests) < self.batch_size:
            step = conversation.ready.popleft()
            conversation.counter += 1
            request_id = f"{step.delivery.id}.{conversation.counter}"
            try:
                requests.append(exchange.build(bctx, step, request_id))
            except DeliveryError as exc:
                self._complete(ctx, conversation, step.delivery.id, exc)
                continue
            except Exception as exc:  # noqa: BLE001 - one record's bug must not stop the others
                log.exception("connection %s: building the request for delivery %s failed",
                              ctx.connection_id, step.delivery.id)
                self._complete(ctx, conversation, step.delivery.id,
                               NeedsAttentionError(f"could not build the qbXML request: {exc!r}"))
                continue
            if step.purpose == Purpose.ADD:
                ctx.state.set(exchange.maybe_added_key(step.delivery), request_id)
            conversation.outstanding[request_id] = step
            if not conversation.ready:
                self._fill(ctx, conversation)
        if not requests:
            conversation.last_error = "Nothing left to send."
            return ""
        return render(requests)

    def receive_response_xml(self, ticket: str, response: str, hresult: str, message: str) -> int:
        """Apply QuickBooks' answers; the percentage done (100 = finished, negative = error)."""
        conversation = self._conversation(ticket)
        if conversation is None:
            return -1
        ctx = self._context(conversation)
        if ctx is None:
            conversation.last_error = "This connection was removed from LedgerHub."
            return -1
        if hresult:
            conversation.last_error = f"QuickBooks could not run the request ({hresult}): {message}"
            self._release(conversation, conversation.last_error)
            return -1
        try:
            replies = parse(response)
        except ResponseError as exc:
            conversation.last_error = f"Unreadable answer from QuickBooks: {exc}"
            self._release(conversation, conversation.last_error)
            return -1
        self._note_exchange(ctx)
        bctx = build_context(ctx, country=conversation.country)
        for reply in replies:
            step = conversation.outstanding.pop(reply.request_id, None)
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
                self._complete(ctx, conversation, step.delivery.id, planned.outcome)
            else:
                conversation.ready.append(planned)
        # QuickBooks stopped before these (stopOnError, a crash): re-plan; an add becomes a probe.
        for step in list(conversation.outstanding.values()):
            replanned = exchange.first_step(bctx, step.delivery)
            if isinstance(replanned, Finished):
                self._complete(ctx, conversation, step.delivery.id, replanned.outcome)
            else:
                conversation.ready.append(replanned)
        conversation.outstanding.clear()
        if not conversation.ready:
            self._fill(ctx, conversation)
        if not conversation.ready:
            return 100
        remaining = len(conversation.ready) + self.services.pending_count(ctx)
        return max(1, min(99, 100 * conversation.done // (conversation.done + remaining)))

    def connection_error(self, ticket: str, hresult: str, message: str) -> str:
        """The Web Connector could not reach QuickBooks: end the run, keep the work for later."""
        reason = f"The Web Connector could not open QuickBooks ({hresult}): {message}"
        self._end(ticket, reason)
        self._remember_error(ticket, reason)
        return "DONE"

    def get_last_error(self, ticket: str) -> str:
        """The last problem of the run, shown in the Web Connector."""
        conversation = self._conversation(ticket)
        if conversation is None:
            return self._ended_errors.get(ticket) or \
                "This run is unknown or already over; the next scheduled run continues."
        return conversation.last_error or "No error."

    def _remember_error(self, ticket: str, message: str) -> None:
        with self._lock:
            if len(self._ended_errors) > 1000:
                self._ended_errors.clear()
            self._ended_errors[ticket] = message

    def close_connection(self, ticket: str) -> str:
        """End the run; anything unanswered is handed back for the next one."""
        conversation = self._end(ticket, "The Web Connector ended the run before QuickBooks answered")
        if conversation is None:
            return "OK"
        return f"OK: {conversation.done} record(s) processed"
