"""HubServices.iter_records over a period: each record at its last version received in it."""

from __future__ import annotations

from datetime import UTC, datetime

from hub.domain.kinds import EntityKind
from hub.domain.records import Customer

JAN = datetime(2026, 1, 1, tzinfo=UTC)
FEB = datetime(2026, 2, 1, tzinfo=UTC)
MAR = datetime(2026, 3, 1, tzinfo=UTC)


def _period(hub, since=None, until=None) -> dict[str, tuple[str, int]]:
    rows = hub.services.iter_records("shop-1", [EntityKind.CUSTOMER], since=since, until=until)
    return {record.id: (record.last_name, version) for record, version in rows}


def _receive(hub, clock, when: datetime, *customers: Customer) -> None:
    clock.current = when
    hub.ingest("shop-1", list(customers))


def test_each_period_yields_the_version_received_in_it(hub, shop, clock) -> None:
    _receive(hub, clock, datetime(2026, 1, 10, tzinfo=UTC),
             Customer(id="C-1", last_name="Lopez"), Customer(id="C-2", last_name="Kim"))
    _receive(hub, clock, datetime(2026, 1, 20, tzinfo=UTC), Customer(id="C-2", last_name="Kim-Park"))
    _receive(hub, clock, datetime(2026, 2, 10, tzinfo=UTC),
             Customer(id="C-1", last_name="Lopez Ruiz"), Customer(id="C-3", last_name="Diaz"))

    assert _period(hub, JAN, FEB) == {"C-1": ("Lopez", 1), "C-2": ("Kim-Park", 2)}
    assert _period(hub, FEB, MAR) == {"C-1": ("Lopez Ruiz", 2), "C-3": ("Diaz", 1)}
    assert _period(hub) == {"C-1": ("Lopez Ruiz", 2), "C-2": ("Kim-Park", 2), "C-3": ("Diaz", 1)}
    assert _period(hub, until=FEB) == {"C-1": ("Lopez", 1), "C-2": ("Kim-Park", 2)}
    assert _period(hub, since=FEB) == {"C-1": ("Lopez Ruiz", 2), "C-3": ("Diaz", 1)}


def test_bounds_are_half_open_and_later_records_are_absent(hub, shop, clock) -> None:
    _receive(hub, clock, FEB, Customer(id="C-1", last_name="Lopez"))
    _receive(hub, clock, MAR,
             Customer(id="C-1", last_name="Lopez Ruiz"), Customer(id="C-9", last_name="Late"))

    assert _period(hub, JAN, FEB) == {}
    assert _period(hub, FEB, MAR) == {"C-1": ("Lopez", 1)}


def test_streams_across_chunks_in_id_order(hub, shop, clock, monkeypatch) -> None:
    monkeypatch.setattr("hub.sync.services.STREAM_CHUNK", 3)
    _receive(hub, clock, datetime(2026, 1, 5, tzinfo=UTC),
             *(Customer(id=f"C-{n:02}", last_name=f"Jan {n}") for n in range(10)))
    # Only the odd ones change in February; a January export must still list all ten.
    _receive(hub, clock, datetime(2026, 2, 5, tzinfo=UTC),
             *(Customer(id=f"C-{n:02}", last_name=f"Feb {n}") for n in range(1, 10, 2)))

    january = list(hub.services.iter_records("shop-1", [EntityKind.CUSTOMER], since=JAN, until=FEB))
    assert [(r.id, r.last_name, v) for r, v in january] == [(f"C-{n:02}", f"Jan {n}", 1) for n in range(10)]
    february = _period(hub, FEB, MAR)
    assert february == {f"C-{n:02}": (f"Feb {n}", 2) for n in range(1, 10, 2)}
