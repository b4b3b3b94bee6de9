"""Turning claimed deliveries into :class:`~hub.plugin.target.Delivery` objects.

Shared by the engine (push targets) and the services' ``claim`` (pull targets). A claimed row
either becomes a delivery for the target or is settled here: superseded by a newer version,
waiting for a record it references, or a void of something the target never had.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.domain.kinds import REFERENCES, EntityKind
from hub.domain.records import Invoice, InvoiceStatus, Payment, Record
from hub.domain.schemas import SCHEMAS, load_record
from hub.errors import RecordValidationError
from hub.plugin.target import Action, Delivery, ExternalRef, Target
from hub.storage import outbox
from hub.storage.models import ConnectionRow, DeliveryRow, ExternalIdRow, RecordRow, RecordVersionRow
from hub.storage.records import find_records
from hub.sync.core import Core
from hub.sync.outbox import enqueue_current
from hub.sync.outcomes import finish, log_attempt, release, settle

_Convert = Callable[[Any], Any]
_PLANS: dict[type, tuple[tuple[str, _Convert], ...]] = {}


def _identity_of(kind: type) -> _Convert:
    def check(value: Any) -> Any:
        if type(value) is not kind:
            raise TypeError(f"{value!r} is not {kind.__name__}")
        return value

    return check


def _converter(hint: Any) -> _Convert:
    """How to turn the JSON form written by ``dump_record`` back into a value of *hint*."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        inner = _converter(next(a for a in args if a is not type(None)))
        return lambda value: None if value is None else inner(value)
    if origin is tuple:
        item = _converter(args[0])
        return lambda value: tuple(item(v) for v in value)
    if origin is frozenset:
        member = _converter(args[0])
        return lambda value: frozenset(member(v) for v in value)
    if hint is Decimal:
        return lambda value: Decimal(_identity_of(str)(value))
    if hint is datetime:
        return datetime.fromisoformat
    if hint is date:
        return date.fromisoformat
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return lambda value: _build(hint, value)
    if hint in (str, bool, int):
        return _identity_of(hint)
    raise TypeError(f"no trusted loader for {hint!r}")


def _plan(cls: type) -> tuple[tuple[str, _Convert], ...]:
    hints = typing.get_type_hints(cls)
    plan = _PLANS[cls] = tuple((f.name, _converter(hints[f.name])) for f in dataclasses.fields(cls))
    return plan


def _build(cls: type, data: Mapping[str, Any]) -> Any:
    plan = _PLANS.get(cls) or _plan(cls)
    return cls(**{name: convert(data[name]) for name, convert in plan if name in data})


def load_stored(kind: EntityKind, payload: Mapping[str, Any]) -> Record:
    """The record a stored payload holds. The payload was validated when it came in and written
    by ``dump_record``, so it is rebuilt from the dataclasses' types without marshmallow (the
    engine's hot path); one that does not fit them (stored under older rules) goes through
    :func:`~hub.domain.schemas.load_record`, which names what is wrong."""
    try:
        model = typing.cast(type, SCHEMAS[kind].__model__)
        record = _build(model, payload)
        if len(payload) != len(_PLANS[model]):
            raise KeyError("fields differ from the record's")
        return typing.cast(Record, record)
    except (KeyError, TypeError, ValueError, ArithmeticError):
        return load_record(kind, payload)


def is_void(record: Record) -> bool:
    """True for a voided invoice or payment: its delivery voids the target's copy."""
    if isinstance(record, Invoice):
        return record.status is InvoiceStatus.VOIDED
    return isinstance(record, Payment) and record.voided


@dataclass(frozen=True, slots=True)
class Prepared:
    """A claimed delivery ready to hand to the target, with what the log needs."""

    delivery: Delivery
    row: DeliveryRow
    source_id: str


class _Lookups:
    """What preparing one group of deliveries reads, fetched in a few IN queries."""

    def __init__(self, session: Session, connection: ConnectionRow) -> None:
        self.session = session
        self.connection = connection
        self.externals: dict[int, ExternalIdRow | None] = {}
        self.refs: dict[tuple[EntityKind, str], RecordRow] = {}

    def load_externals(self, record_ids: Iterable[int]) -> None:
        """Fetch the external ids of *record_ids* not read yet, in one query."""
        missing = [i for i in set(record_ids) if i not in self.externals]
        if missing:
            found = outbox.external_rows(self.session, self.connection.id, missing)
            self.externals.update({i: found.get(i) for i in missing})

    def external(self, record_id: int) -> ExternalIdRow | None:
        """The record's external id in this connection, if any."""
        self.load_externals([record_id])
        return self.externals[record_id]

    def load_refs(self, wanted: dict[EntityKind, set[str]]) -> None:
        """Fetch the referenced records (and their external ids), a query per kind."""
        for ref_kind, ids in wanted.items():
            found = find_records(self.session, self.connection.shop_id, ref_kind.value, ids)
            self.refs.update({(ref_kind, sid): rec for sid, rec in found.items()})
        self.load_externals(rec.id for rec in self.refs.values())


def prepare_many(
    session: Session,
    core: Core,
    connection: ConnectionRow,
    target: Target,
    rows: Iterable[DeliveryRow],
    now: datetime,
    *,
    save_action: bool = True,
) -> list[Prepared]:
    """Build the :class:`Delivery` of each claimed row, in order, or settle a row here:
    superseded by a newer version, waiting for a referenced record, or a void of something
    the target never had. Reads are batched per call, not per row. *save_action*: write each
    row's action now (a pull client's claim); the engine saves it with the outcome instead."""
    rows = list(rows)
    if not rows:
        return []
    # Held in locals so the identity map keeps them: session.get() below then costs no query.
    records = session.scalars(select(RecordRow).where(RecordRow.id.in_({r.record_id for r in rows}))).all()
    versions = session.scalars(
        select(RecordVersionRow).where(RecordVersionRow.id.in_({r.record_version_id for r in rows}))
    ).all()
    lookups = _Lookups(session, connection)
    lookups.load_externals(r.record_id for r in rows)
    decoded: list[tuple[DeliveryRow, RecordRow, Record]] = []
    wanted: dict[EntityKind, set[str]] = defaultdict(set)
    for row in rows:
        record_row = session.get(RecordRow, row.record_id)
        version_row = session.get(RecordVersionRow, row.record_version_id)
        assert record_row is not None and version_row is not None  # FK-guaranteed
        if (
            record_row.current_version > row.version
            and outbox.newest_version_queued(session, connection.id, row.record_id) > row.version
        ):
            finish(row, outbox.SUPERSEDED, now)
            continue
        try:
            record = load_stored(EntityKind(row.kind), version_row.payload)
        except RecordValidationError as exc:
            # Stored under older rules; a person must re-send it (never crash the worker over it).
            settle(session, core, connection, row, record_row, f"stored record: {exc}", now)
            continue
        decoded.append((row, record_row, record))
        for field_name, ref_kind in REFERENCES[record.kind].items():
            ref_id = getattr(record, field_name, "")
            if ref_id and ref_kind in target.entities:
                wanted[ref_kind].add(ref_id)
    lookups.load_refs(wanted)
    del records, versions
    prepared = []
    for row, record_row, record in decoded:
        item = _prepare_one(
            session, core, connection, target, row, record_row, record, lookups, now, save_action
        )
        if item is not None:
            prepared.append(item)
    return prepared


def _prepare_one(
    session: Session,
    core: Core,
    connection: ConnectionRow,
    target: Target,
    row: DeliveryRow,
    record_row: RecordRow,
    record: Record,
    lookups: _Lookups,
    now: datetime,
    save_action: bool,
) -> Prepared | None:
    references: dict[str, ExternalRef] = {}
    for field_name, ref_kind in REFERENCES[record.kind].items():
        ref_id = getattr(record, field_name, "")
        if not ref_id or ref_kind not in target.entities:
            continue
        ref_row = lookups.refs.get((ref_kind, ref_id))
        if ref_row is None:
            reason = f"{field_name}: {ref_kind.value} {ref_id!r} was never received"
            settle(session, core, connection, row, record_row, reason, now)
            return None
        ref_external = lookups.external(ref_row.id)
        if ref_external is None:
            # The dependency has not reached the target: wait for it (never send broken), and
            # make sure it is on its way (it may predate a "forward" connection).
            if not outbox.has_delivery(session, connection.id, ref_row.id):
                enqueue_current(session, connection, target, ref_row, now)
            release(row, outbox.WAITING)
            row.waiting_on_record_id = ref_row.id
            row.attempts = max(0, row.attempts - 1)
            return None
        references[field_name] = ExternalRef(ref_external.target_id, dict(ref_external.data))
    external_row = lookups.external(row.record_id)
    external = None if external_row is None else ExternalRef(external_row.target_id, dict(external_row.data))
    if is_void(record):
        action = Action.VOID
        if external is None:
            finish(row, outbox.DELIVERED, now)
            log_attempt(
                session,
                connection,
                row,
                record_row.source_id,
                Action.VOID,
                "delivered",
                now,
                error="nothing to void: the record never reached the target",
            )
            return None
    else:
        action = Action.UPDATE if external is not None else Action.CREATE
    if save_action:
        row.action = action.value
    delivery = Delivery(
        id=row.id,
        connection_id=connection.id,
        kind=record.kind,
        record=record,
        version=row.version,
        action=action,
        idempotency_key=row.idempotency_key,
        external=external,
        references=references,
        attempt=row.attempts,
        backfill=row.backfill,
    )
    return Prepared(delivery, row, record_row.source_id)
