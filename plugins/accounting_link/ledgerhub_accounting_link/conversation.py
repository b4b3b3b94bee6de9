"""One Web Connector run, kept in the connection's state so any web process can answer any call.

The ticket names the connection (``<connection id>-<random>``); the run itself — which
deliveries it holds, which requests await an answer, how far it got — is one JSON value under
:data:`STATE_KEY`. A new login for the connection replaces it. Deliveries travel as the hub's own
JSON form of their record (:func:`hub.domain.schemas.dump_record`), so nothing but the hub's
public API is needed to rebuild them.
"""

from __future__ import annotations

import secrets
from collections import deque
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from hub.domain.kinds import EntityKind
from hub.domain.schemas import dump_record, load_record
from hub.plugin.target import Action, Delivery, ExternalRef, KeyValueStore
from ledgerhub_accounting_link.exchange import Purpose, Step
from ledgerhub_accounting_link.qbxml.responses import Found

STATE_KEY = "web-connector-conversation"


def new_ticket(connection_id: int) -> str:
    """An unguessable ticket that names its connection."""
    return f"{connection_id}-{secrets.token_urlsafe(24)}"


def connection_of(ticket: str) -> int | None:
    """The connection id a ticket names, or ``None`` for a malformed ticket."""
    head, _, rest = ticket.partition("-")
    return int(head) if head.isdigit() and rest else None


def _ref_json(ref: ExternalRef | None) -> dict[str, Any] | None:
    return None if ref is None else {"target_id": ref.target_id, "data": dict(ref.data)}


def _ref(value: Mapping[str, Any] | None) -> ExternalRef | None:
    return None if value is None else ExternalRef(value["target_id"], dict(value["data"]))


def delivery_json(delivery: Delivery) -> dict[str, Any]:
    """A delivery as plain JSON."""
    return {
        "id": delivery.id, "connection_id": delivery.connection_id, "kind": delivery.kind.value,
        "record": dump_record(delivery.record), "version": delivery.version, "action": delivery.action.value,
        "idempotency_key": delivery.idempotency_key, "external": _ref_json(delivery.external),
        "references": {k: _ref_json(v) for k, v in delivery.references.items()},
        "attempt": delivery.attempt, "backfill": delivery.backfill,
    }


def delivery_from(value: Mapping[str, Any]) -> Delivery:
    """The delivery :func:`delivery_json` wrote."""
    kind = EntityKind(value["kind"])
    return Delivery(
        id=value["id"], connection_id=value["connection_id"], kind=kind,
        record=load_record(kind, value["record"]), version=value["version"], action=Action(value["action"]),
        idempotency_key=value["idempotency_key"], external=_ref(value["external"]),
        references={k: r for k, v in value["references"].items() if (r := _ref(v)) is not None},
        attempt=value["attempt"], backfill=value["backfill"],
    )


def step_json(step: Step) -> dict[str, Any]:
    """A step as plain JSON."""
    return {"delivery": delivery_json(step.delivery), "purpose": step.purpose.value,
            "edit_sequence": step.edit_sequence, "avoid_name": step.avoid_name, "tries": step.tries,
            "warnings": list(step.warnings), "found": _found_json(step.found)}


def step_from(value: Mapping[str, Any]) -> Step:
    """The step :func:`step_json` wrote."""
    return Step(delivery_from(value["delivery"]), Purpose(value["purpose"]), value["edit_sequence"],
                value["avoid_name"], value["tries"], tuple(value["warnings"]), _found(value.get("found")))


def _found_json(found: Found | None) -> dict[str, Any] | None:
    if found is None:
        return None
    values = asdict(found)
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in values.items()}


def _found(value: Mapping[str, Any] | None) -> Found | None:
    if value is None:
        return None
    decimals = {k: (Decimal(v) if v is not None else None) for k in ("total", "quantity_on_hand")
                for v in [value.get(k)]}
    return Found(**{**value, **decimals})


@dataclass
class Conversation:
    """One Web Connector run, from ``authenticate`` to ``closeConnection``."""

    ticket: str
    connection_id: int
    ready: deque[Step] = field(default_factory=deque)
    outstanding: dict[str, Step] = field(default_factory=dict)
    in_flight: set[int] = field(default_factory=set)
    done: int = 0
    last_error: str = ""
    counter: int = 0
    country: str = ""
    ended: bool = False

    def as_json(self) -> dict[str, Any]:
        """The conversation as one JSON value."""
        return {
            "ticket": self.ticket, "connection_id": self.connection_id,
            "ready": [step_json(s) for s in self.ready],
            "outstanding": {rid: step_json(s) for rid, s in self.outstanding.items()},
            "in_flight": sorted(self.in_flight), "done": self.done, "last_error": self.last_error,
            "counter": self.counter, "country": self.country, "ended": self.ended,
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Conversation:
        """The conversation :meth:`as_json` wrote."""
        return cls(
            ticket=value["ticket"], connection_id=value["connection_id"],
            ready=deque(step_from(s) for s in value["ready"]),
            outstanding={rid: step_from(s) for rid, s in value["outstanding"].items()},
            in_flight=set(value["in_flight"]), done=value["done"], last_error=value["last_error"],
            counter=value["counter"], country=value["country"], ended=value["ended"],
        )


def load(state: KeyValueStore, ticket: str | None = None) -> Conversation | None:
    """The connection's current conversation (only if it is *ticket*'s, when given)."""
    value = state.get(STATE_KEY)
    if not value or (ticket is not None and value.get("ticket") != ticket):
        return None
    return Conversation.from_json(value)


def save(state: KeyValueStore, conversation: Conversation) -> None:
    """Store *conversation* as the connection's current one."""
    state.set(STATE_KEY, conversation.as_json())
