"""An in-memory :class:`~hub.plugin.target.ConnectionContext` and a Delivery builder, for
calling a target directly in a unit test, without a database or a sync engine."""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from hub.domain.kinds import EntityKind
from hub.domain.records import Record, Shop
from hub.plugin.target import Action, Delivery, ExternalRef, Target
from hub.testing.records import make_shop

_delivery_ids = itertools.count(1)


class MemoryStore:
    """A :class:`~hub.plugin.target.KeyValueStore` in a dict.

    Values go through JSON as in the hub's store, so a value the hub could not keep (a
    ``Decimal``, a ``set``) fails here too, and a tuple comes back as a list.
    """

    def __init__(self, initial: Mapping[str, Any] | None = None) -> None:
        self._values: dict[str, str] = {}
        for key, value in (initial or {}).items():
            self.set(key, value)

    def get(self, key: str, default: Any = None) -> Any:
        """The value stored under *key*, or *default*."""
        return json.loads(self._values[key]) if key in self._values else default

    def set(self, key: str, value: Any) -> None:
        """Store *value* under *key* (``TypeError`` when it is not JSON-serialisable)."""
        self._values[key] = json.dumps(value, sort_keys=True)

    def compare_and_set(self, key: str, expected: Any, value: Any) -> bool:
        """Store *value* only if the stored value is still *expected* (``None``: absent)."""
        if self.get(key) != expected:
            return False
        self.set(key, value)
        return True

    def as_dict(self) -> dict[str, Any]:
        """Everything stored, for assertions."""
        return {key: json.loads(text) for key, text in self._values.items()}


class FakeContext:
    """A connection context that lives in memory.

    ``externals`` maps ``(kind, record_id)`` to the target's ref (what ``lookup_external``
    answers; add more with :meth:`remember`); ``warnings`` collects what the target passed to
    ``warn``. ``now`` is a fixed time or a callable returning one.
    """

    def __init__(
        self,
        target_name: str = "test",
        *,
        settings: Mapping[str, Any] | None = None,
        shop: Shop | None = None,
        connection_id: int = 1,
        externals: Mapping[tuple[EntityKind | str, str], ExternalRef | str] | None = None,
        state: Mapping[str, Any] | None = None,
        secrets: Mapping[str, Any] | None = None,
        now: datetime | Callable[[], datetime] | None = None,
    ) -> None:
        self.connection_id = connection_id
        self.target_name = target_name
        self.shop = shop if shop is not None else make_shop()
        self.settings: Mapping[str, Any] = dict(settings or {})
        from hub.sync.context import plugin_logger  # the hub's redacting logger; imported late
        # so loading the pytest plugin does not pull in the storage layer

        self.logger: logging.Logger = plugin_logger(target_name)
        self.state = MemoryStore(state)
        self.secrets = MemoryStore(secrets)
        self.warnings: list[str] = []
        self.externals: dict[tuple[EntityKind, str], ExternalRef] = {}
        for (kind, record_id), ref in (externals or {}).items():
            self.remember(kind, record_id, ref)
        self._now = now

    @classmethod
    def for_target(
        cls, target: Target, settings: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> FakeContext:
        """A context for *target* whose settings are *settings* as its ``settings_schema``
        loads them, as the hub stores them (a marshmallow ``ValidationError`` if invalid)."""
        loaded = target.settings_schema().load(dict(settings or {}))
        return cls(target.name, settings=loaded, **kwargs)

    def now(self) -> datetime:
        """The fixed or callable time given, else the real current time (UTC)."""
        if self._now is None:
            return datetime.now(UTC)
        return self._now() if callable(self._now) else self._now

    def lookup_external(self, kind: EntityKind, record_id: str) -> ExternalRef | None:
        """The ref remembered for a record, or ``None``."""
        return self.externals.get((EntityKind(kind), record_id))

    def remember(self, kind: EntityKind | str, record_id: str, ref: ExternalRef | str) -> None:
        """Make ``lookup_external(kind, record_id)`` answer *ref* (a target id or a ref)."""
        self.externals[(EntityKind(kind), record_id)] = (
            ref if isinstance(ref, ExternalRef) else ExternalRef(ref)
        )

    def warn(self, message: str) -> None:
        """Keep a connection-level warning in :attr:`warnings`."""
        self.warnings.append(message)


def make_delivery(
    record: Record,
    *,
    action: Action | str = Action.CREATE,
    version: int = 1,
    external: ExternalRef | str | None = None,
    references: Mapping[str, ExternalRef | str] | None = None,
    connection_id: int = 1,
    attempt: int = 1,
    backfill: bool = False,
) -> Delivery:
    """A :class:`~hub.plugin.target.Delivery` of *record* as the engine would build it.

    The idempotency key depends only on the connection, the record and *version*, so two
    calls for the same version carry the same key (a redelivery). An update or a void needs
    *external*, as the hub never hands over one without it.
    """
    action = Action(action)
    if action is not Action.CREATE and external is None:
        raise ValueError(f"a {action} delivery needs external=: the hub only sends one for a record "
                         "the target already has")
    if isinstance(external, str):
        external = ExternalRef(external)
    refs = {name: ref if isinstance(ref, ExternalRef) else ExternalRef(ref)
            for name, ref in (references or {}).items()}
    seed = f"ledgerhub-test:{connection_id}:{record.kind}:{record.id}:{version}"
    return Delivery(
        id=next(_delivery_ids),
        connection_id=connection_id,
        kind=record.kind,
        record=record,
        version=version,
        action=action,
        idempotency_key="lh-" + hashlib.sha256(seed.encode()).hexdigest()[:37],
        external=external,
        references=refs,
        attempt=attempt,
        backfill=backfill,
    )
