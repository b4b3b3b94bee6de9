"""Fake target plugins for the core's tests.

:class:`FakeBooks` is an in-memory push target that dedups on the idempotency key (as a well
behaved target must) and can be told to fail in each way the hub classifies.
:class:`LedgerTarget` writes what it receives to a SQLite file keyed by idempotency key, so a
test can check deliveries across processes (the crash test).
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from marshmallow import Schema, fields, post_load, validate

from hub import (
    Action,
    ConnectionContext,
    Delivery,
    DeliveryError,
    DeliveryMode,
    DeliveryResult,
    EntityKind,
    FatalConnectionError,
    PreviewDocument,
    Target,
    hookimpl,
)

ALL_KINDS = frozenset(EntityKind)


class FakeSettings(Schema):
    """Settings of the fake target: an optional label and a company code of 2-8 letters."""

    label = fields.String(load_default="")
    company = fields.String(load_default="ACME", validate=validate.Length(min=2, max=8))
    api_key = fields.String(load_only=True)
    key_fingerprint = fields.String(load_default="")

    @post_load
    def _fingerprint(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        """Keep only a fingerprint of the write-only key (as a real plugin keeps a hash)."""
        key = data.pop("api_key", "")
        if key:
            data["key_fingerprint"] = "fp-" + hashlib.sha256(key.encode()).hexdigest()[:12]
        return data


@dataclass
class StoredObject:
    """What the fake books hold for one record."""

    target_id: str
    kind: EntityKind
    source_id: str
    version: int
    voided: bool = False
    references: dict[str, str] = field(default_factory=dict)


class FakeBooks(Target):
    """An in-memory accounting target. ``fail(kind, source_id, exc, times)`` queues failures."""

    name: ClassVar[str] = "fake"
    title: ClassVar[str] = "Fake Books"
    entities: ClassVar[frozenset[EntityKind]] = ALL_KINDS
    settings_schema: ClassVar[type[Schema]] = FakeSettings

    def __init__(self) -> None:
        self.objects: dict[str, StoredObject] = {}
        self.by_key: dict[str, DeliveryResult] = {}
        self.calls: list[Delivery] = []
        self.failures: dict[tuple[str, str], list[BaseException]] = defaultdict(list)
        self.fail_begin: list[BaseException] = []
        self.on_deliver: Callable[[Delivery], None] | None = None
        self.connected: list[int] = []
        self.batches = 0
        self.batch_sizes: list[int] = []

    def fail(self, kind: EntityKind | str, source_id: str, exc: BaseException, times: int = 1) -> None:
        """Make the next *times* deliveries of one record raise *exc*."""
        self.failures[(str(kind), source_id)].extend([exc] * times)

    def connect(self, ctx: ConnectionContext) -> None:
        """Remember the connection was made."""
        self.connected.append(ctx.connection_id)

    def begin_batch(self, ctx: ConnectionContext) -> None:
        """Count batches; raise a queued begin failure if any."""
        self.batches += 1
        if self.fail_begin:
            raise self.fail_begin.pop(0)

    def deliver(self, ctx: ConnectionContext, delivery: Delivery) -> DeliveryResult:
        """Create, update or void the record's object; replay the same answer for a known key."""
        self.calls.append(delivery)
        if self.on_deliver is not None:
            self.on_deliver(delivery)
        queued = self.failures.get((delivery.kind.value, delivery.record.id))
        if queued:
            raise queued.pop(0)
        if delivery.idempotency_key in self.by_key:
            return self.by_key[delivery.idempotency_key]
        refs = {name: ref.target_id for name, ref in delivery.references.items()}
        if delivery.action is Action.CREATE:
            target_id = f"{delivery.kind.value}-{len(self.objects) + 1}"
        else:
            assert delivery.external is not None, "update/void without an external ref"
            target_id = delivery.external.target_id
        self.objects[target_id] = StoredObject(
            target_id,
            delivery.kind,
            delivery.record.id,
            delivery.version,
            voided=delivery.action is Action.VOID,
            references=refs,
        )
        result = DeliveryResult(target_id=target_id, data={"sync_token": str(delivery.version)})
        self.by_key[delivery.idempotency_key] = result
        return result

    def objects_for(self, kind: EntityKind | str) -> list[StoredObject]:
        """The stored objects of one kind."""
        return [o for o in self.objects.values() if o.kind == EntityKind(kind)]


class NarrowBooks(FakeBooks):
    """A target that takes only customers and invoices (never payments or vendors)."""

    name: ClassVar[str] = "narrow"
    title: ClassVar[str] = "Narrow Books"
    entities: ClassVar[frozenset[EntityKind]] = frozenset({EntityKind.CUSTOMER, EntityKind.INVOICE})


class BatchBooks(FakeBooks):
    """A target with a batch API: answers a whole group at once, errors as values."""

    name: ClassVar[str] = "batch"
    title: ClassVar[str] = "Batch Books"
    short_answer = False

    def deliver_many(
        self, ctx: ConnectionContext, deliveries: Sequence[Delivery]
    ) -> list[DeliveryResult | DeliveryError]:
        """Deliver each; a queued failure comes back as a value, a fatal one is raised."""
        self.batch_sizes.append(len(deliveries))
        results: list[DeliveryResult | DeliveryError] = []
        for delivery in deliveries:
            try:
                results.append(self.deliver(ctx, delivery))
            except FatalConnectionError:
                raise
            except DeliveryError as exc:
                results.append(exc)
        return results[:-1] if self.short_answer else results


class PullBooks(FakeBooks):
    """A pull target: a remote client claims work through HubServices."""

    name: ClassVar[str] = "pull"
    title: ClassVar[str] = "Pull Books"
    delivery_mode: ClassVar[DeliveryMode] = DeliveryMode.PULL
    batch_size: ClassVar[int] = 5


class OAuthBooks(FakeBooks):
    """A target that needs a browser step; the "code" becomes its access token."""

    name: ClassVar[str] = "oauth"
    title: ClassVar[str] = "OAuth Books"
    needs_authorization: ClassVar[bool] = True
    countries: ClassVar[frozenset[str] | None] = frozenset({"US"})

    def authorization_url(self, ctx: ConnectionContext, redirect_uri: str, state: str) -> str:
        """A fake consent page URL."""
        return f"https://auth.example/authorize?redirect_uri={redirect_uri}&state={state}"

    def complete_authorization(self, ctx: ConnectionContext, params: Mapping[str, str]) -> None:
        """Keep the code as the token."""
        ctx.secrets.set("tokens", {"access_token": params["code"]})


class LedgerSettings(Schema):
    """Where the ledger file is."""

    path = fields.String(required=True)
    delay = fields.Float(load_default=0.0)


class LedgerTarget(Target):
    """Writes each delivery to a SQLite ledger keyed by idempotency key (idempotent by the
    table's primary key), so deliveries can be counted from another process."""

    name: ClassVar[str] = "ledger"
    title: ClassVar[str] = "Ledger File"
    entities: ClassVar[frozenset[EntityKind]] = ALL_KINDS
    settings_schema: ClassVar[type[Schema]] = LedgerSettings
    batch_size: ClassVar[int] = 5

    def deliver(self, ctx: ConnectionContext, delivery: Delivery) -> DeliveryResult:
        """Insert the delivery unless its key is already there."""
        with sqlite3.connect(ctx.settings["path"], timeout=30) as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS ledger (key TEXT PRIMARY KEY, kind TEXT, source_id TEXT,"
                " version INTEGER, received INTEGER DEFAULT 1)"
            )
            cur = db.execute(
                "INSERT OR IGNORE INTO ledger (key, kind, source_id, version) VALUES (?, ?, ?, ?)",
                (delivery.idempotency_key, delivery.kind.value, delivery.record.id, delivery.version),
            )
            if cur.rowcount == 0:
                db.execute(
                    "UPDATE ledger SET received = received + 1 WHERE key = ?", (delivery.idempotency_key,)
                )
        return DeliveryResult(target_id=f"L-{delivery.kind.value}-{delivery.record.id}")


def read_ledger(path: str) -> list[tuple[str, str, str, int, int]]:
    """Every row of a ledger file: (key, kind, source_id, version, times received)."""
    with sqlite3.connect(path) as db:
        return list(db.execute("SELECT key, kind, source_id, version, received FROM ledger ORDER BY rowid"))


class FakePlugin:
    """A pluggy plugin object offering the given targets (and previews for ``fake``)."""

    def __init__(self, targets: Iterable[Target]) -> None:
        self.targets = list(targets)

    @hookimpl
    def ledgerhub_targets(self) -> list[Target]:
        """The targets given to the constructor."""
        return self.targets

    @hookimpl
    def ledgerhub_preview(self, target_name: str, context: Any, delivery: Delivery) -> PreviewDocument | None:
        """A one-line text preview for the ``fake`` target."""
        if target_name != "fake":
            return None
        return PreviewDocument(
            filename=f"{delivery.kind.value}-{delivery.record.id}.txt",
            content_type="text/plain",
            body=f"{delivery.action.value} {delivery.record.id}",
        )
