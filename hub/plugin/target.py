"""The target interface: what an accounting target plugin implements and what it is handed.

A target is a class derived from :class:`Target`, registered through the
``ledgerhub_targets`` hook. The sync engine calls it with a :class:`ConnectionContext`
(one shop's connection: settings, state, secrets, logger) and :class:`Delivery` objects
(one record version each). It answers with a :class:`DeliveryResult` or raises one of the
errors in :mod:`hub.errors`. A plugin never sees the hub's tables or sessions.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Protocol

from marshmallow import Schema

from hub.domain.kinds import EntityKind
from hub.domain.records import Record, Shop
from hub.errors import DeliveryError


class Action(StrEnum):
    """What a delivery asks the target to do with the record."""

    CREATE = "create"
    UPDATE = "update"
    VOID = "void"


class DeliveryMode(StrEnum):
    """Push: the engine calls :meth:`Target.deliver`. Pull: a remote client fetches work
    through :class:`HubServices` (the Web Connector polling Accounting Link)."""

    PUSH = "push"
    PULL = "pull"


@dataclass(frozen=True, slots=True)
class ExternalRef:
    """Where a record lives in the target: its id there plus target-specific data
    (a QBO ``SyncToken``, a qbXML ``EditSequence``)."""

    target_id: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery:
    """One record version to deliver to one connection.

    ``idempotency_key`` is stable for (connection, record, version): a redelivery after a crash
    carries the same key. ``external`` is this record's :class:`ExternalRef` from an earlier
    delivery (so an update modifies instead of creating). ``references`` maps the record's
    reference fields (``customer_id``, ``invoice_id``, ``vendor_id``) to the referenced
    records' refs in this target; the engine only hands over a delivery once they exist.
    """

    id: int
    connection_id: int
    kind: EntityKind
    record: Record
    version: int
    action: Action
    idempotency_key: str
    external: ExternalRef | None = None
    references: Mapping[str, ExternalRef] = field(default_factory=dict)
    attempt: int = 1
    backfill: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryResult:
    """A successful delivery: the target's id for the record and anything to keep with it.

    ``warnings`` are shown to the shop beside the record (a total that differs in QuickBooks,
    a name that had to be changed); the delivery still counts as delivered.
    """

    target_id: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    detail: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class PreviewDocument:
    """What a target would send for one delivery, as a file: a QBO JSON body, a qbXML
    document, CSV rows."""

    filename: str
    content_type: str
    body: str


class KeyValueStore(Protocol):
    """A connection's own persistent store. Every write is committed at once, on its own."""

    def get(self, key: str, default: Any = None) -> Any:
        """The value stored under *key*, or *default*."""

    def set(self, key: str, value: Any) -> None:
        """Store *value* (JSON-serialisable) under *key*, committed before returning."""

    def compare_and_set(self, key: str, expected: Any, value: Any) -> bool:
        """Store *value* only if the stored value is still *expected*; True if it was stored.
        Two workers racing on the same key: exactly one wins."""


class ConnectionContext(Protocol):
    """One shop's connection to one target, as a plugin sees it."""

    connection_id: int
    target_name: str
    shop: Shop
    settings: Mapping[str, Any]
    logger: logging.Logger
    state: KeyValueStore
    """Plugin state (item ids, cursors). Stored as plain JSON."""
    secrets: KeyValueStore
    """Tokens and keys. Encrypted at rest; never logged."""

    def now(self) -> datetime:
        """The current time (UTC, timezone-aware); tests may move it."""

    def lookup_external(self, kind: EntityKind, record_id: str) -> ExternalRef | None:
        """This connection's ref for another record, if it was delivered."""

    def warn(self, message: str) -> None:
        """Record a connection-level warning the shop sees (e.g. an item was recreated)."""


class Target(ABC):
    """Base class of an accounting target. Subclass it, set the class attributes, implement
    :meth:`deliver`, and return an instance from the ``ledgerhub_targets`` hook."""

    name: ClassVar[str]
    """Short identifier, e.g. ``"qbo"``; also the plugin's logger suffix."""
    title: ClassVar[str]
    """What a shop owner reads, e.g. ``"QuickBooks Online"``."""
    entities: ClassVar[frozenset[EntityKind]]
    """The kinds this target accepts. The hub never hands it another kind."""
    countries: ClassVar[frozenset[str] | None] = None
    """ISO country codes where it is offered; ``None`` means everywhere."""
    settings_schema: ClassVar[type[Schema]]
    """marshmallow schema of the connection settings; the UI renders its form from it. Settings
    are stored as the schema loads them; fields marked ``metadata={"secret": True}`` (or widget
    ``"password"``) are stored encrypted, never shown back, and read clear in ``ctx.settings``."""
    delivery_mode: ClassVar[DeliveryMode] = DeliveryMode.PUSH
    batch_size: ClassVar[int] = 50
    """How many deliveries the engine hands over in one batch at most."""
    needs_authorization: ClassVar[bool] = False
    """True when connecting needs a browser step (OAuth); see :meth:`authorization_url`."""

    def unavailable_reason(self, shop: Shop) -> str | None:
        """Why this target is not offered to *shop*, in words for the shop owner; ``None``
        when it is offered. The default checks :attr:`countries`."""
        if self.countries is not None and shop.country not in self.countries:
            return f"{self.title} is not available in {shop.country}."
        return None

    def authorization_url(self, ctx: ConnectionContext, redirect_uri: str, state: str) -> str:
        """The URL to send the shop owner to, for targets with :attr:`needs_authorization`."""
        raise NotImplementedError(f"{self.name} needs no authorization step")

    def complete_authorization(self, ctx: ConnectionContext, params: Mapping[str, str]) -> None:
        """Finish the browser step with the callback's query *params* (``state`` already
        checked by the hub). Store tokens in ``ctx.secrets``."""
        raise NotImplementedError(f"{self.name} needs no authorization step")

    def connect(self, ctx: ConnectionContext) -> None:
        """Called once when a connection is made (after authorization, if any): check access,
        set up what the target needs. Raise :class:`~hub.errors.DeliveryError` subclasses."""

    def disconnect(self, ctx: ConnectionContext) -> None:
        """Called when the shop disconnects: revoke tokens, forget secrets."""

    def status_line(self, ctx: ConnectionContext) -> str | None:
        """Target-specific status words, or ``None`` for the hub's default
        ("Connected, last sync: …")."""
        return None

    def begin_batch(self, ctx: ConnectionContext) -> None:
        """Called before each batch of deliveries (refresh tokens, check items exist)."""

    @abstractmethod
    def deliver(self, ctx: ConnectionContext, delivery: Delivery) -> DeliveryResult:
        """Deliver one record version. Must be idempotent for ``delivery.idempotency_key``."""

    def deliver_many(
        self, ctx: ConnectionContext, deliveries: Sequence[Delivery]
    ) -> list[DeliveryResult | DeliveryError]:
        """Deliver several at once (a batch API). The default delivers one by one; a
        :class:`~hub.errors.FatalConnectionError` stops the batch and propagates."""
        results: list[DeliveryResult | DeliveryError] = []
        for delivery in deliveries:
            try:
                results.append(self.deliver(ctx, delivery))
            except DeliveryError as exc:
                from hub.errors import FatalConnectionError

                if isinstance(exc, FatalConnectionError):
                    raise
                results.append(exc)
        return results

    def end_batch(self, ctx: ConnectionContext) -> None:
        """Called after each batch, even when it failed (flush files, close sessions)."""


class HubServices(Protocol):
    """What the hub offers plugin blueprints (for pull targets such as Accounting Link).

    Every method opens and commits its own unit of work; a plugin never sees a session.
    """

    def connections(self, target_name: str) -> list[ConnectionContext]:
        """Every active connection of *target_name*, across shops."""

    def connection(self, connection_id: int) -> ConnectionContext | None:
        """One connection by id, or ``None``."""

    def claim(self, ctx: ConnectionContext, limit: int) -> list[Delivery]:
        """Lease up to *limit* due deliveries of a connection, in dependency order. A lease
        that is not completed expires and the delivery is handed out again."""

    def complete(
        self, ctx: ConnectionContext, delivery_id: int, outcome: DeliveryResult | DeliveryError
    ) -> None:
        """Record the outcome of a claimed delivery, exactly as the engine does for push
        targets (external-id map, retries, needs-attention, log row)."""

    def pending_count(self, ctx: ConnectionContext) -> int:
        """How many deliveries of the connection are waiting to go."""

    def mark_contact(self, ctx: ConnectionContext) -> None:
        """Note a successful exchange with the remote client (drives the status line)."""

    def iter_records(
        self,
        shop_id: str,
        kinds: Iterable[EntityKind],
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Iterator[tuple[Record, int]]:
        """Stream, for every record of *kinds* stored for *shop_id*, its latest version received
        in ``[since, until)`` (either bound may be ``None``), as ``(record, version)`` pairs in
        dependency order; a record with no version in the period is left out. Memory stays flat
        however many there are."""
