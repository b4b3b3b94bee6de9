"""The Accounting page's cards: one per installed target, built from plain data.

Kept free of Flask so the rules (offered here? subscribed? which status words?) are tested
without a request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from hub.domain.records import Shop
from hub.plugin.target import Target
from hub.web.ui.gateway import ENDED_STATUSES, SUBSCRIPTION_FEATURES, ConnectionView
from hub.web.ui.labels import all_kinds, kind_label

NOT_CONNECTED = "Not connected"


@dataclass(frozen=True, slots=True)
class EntityRow:
    """One line of a card's "what it syncs" table."""

    label: str
    synced: bool


@dataclass(frozen=True, slots=True)
class Card:
    """Everything the template needs for one target."""

    name: str
    title: str
    entities: tuple[EntityRow, ...]
    offered: bool
    unavailable_reason: str = ""
    alternatives: tuple[tuple[str, str], ...] = ()
    """(name, title) of targets offered here instead, when this one is not."""
    subscribed: bool = True
    connection: ConnectionView | None = None
    status_line: str = NOT_CONNECTED
    needs_authorization: bool = False
    links: tuple[tuple[str, str, str], ...] = field(default=())
    """Extra buttons: (label, url, method)."""

    @property
    def can_connect(self) -> bool:
        """Show the Connect button: offered, subscribed and not yet connected."""
        return self.offered and self.subscribed and self.connection is None

    @property
    def needs_sign_in_again(self) -> bool:
        """Show "Reconnect": the sign-in was never finished, or the target revoked it."""
        return (
            self.connection is not None
            and self.needs_authorization
            and self.subscribed
            and self.connection.status in ("pending_authorization", "disconnected")
        )

    @property
    def is_active(self) -> bool:
        """The connection is sending."""
        return self.connection is not None and self.connection.status == "active"

    @property
    def status_class(self) -> str:
        """A CSS hook for the status line's colour."""
        words = self.status_line.lower()
        if words.startswith(("needs attention", "disconnected")):
            return "status-bad"
        if words.startswith("connected"):
            return "status-good"
        return "status-neutral"


def entity_rows(target: Target) -> tuple[EntityRow, ...]:
    """Every kind, marked with whether *target* declares it."""
    return tuple(EntityRow(kind_label(k), k in target.entities) for k in all_kinds())


def build_cards(
    shop: Shop,
    targets: Mapping[str, Target],
    features: Mapping[str, bool],
    connections: Sequence[ConnectionView],
) -> list[Card]:
    """One card per target, in the order given."""
    offered = {name: t.unavailable_reason(shop) is None for name, t in targets.items()}
    by_target = {c.target_name: c for c in connections if c.status not in ENDED_STATUSES}
    cards = []
    for name, target in targets.items():
        reason = target.unavailable_reason(shop) or ""
        feature = SUBSCRIPTION_FEATURES.get(name)
        conn = by_target.get(name)
        cards.append(
            Card(
                name=name,
                title=target.title,
                entities=entity_rows(target),
                offered=not reason,
                unavailable_reason=reason,
                alternatives=tuple(
                    (other, targets[other].title) for other, ok in offered.items() if ok and other != name
                )
                if reason
                else (),
                subscribed=feature is None or bool(features.get(feature, False)),
                connection=conn,
                status_line=conn.status_line if conn is not None else NOT_CONNECTED,
                needs_authorization=target.needs_authorization,
            )
        )
    return cards
