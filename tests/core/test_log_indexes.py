"""The delivery log's date filter: exact even when ``at`` is not in id order, and paged by id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.storage import logs

DAY = datetime(2026, 1, 5, tzinfo=UTC)


def _row(at: datetime, source_id: str, shop_id: str = "shop-1", plugin: str = "fake") -> dict[str, object]:
    return {"at": at, "connection_id": 1, "plugin": plugin, "shop_id": shop_id, "record_kind": "invoice",
            "source_id": source_id, "version": 1, "delivery_id": None, "action": "create",
            "outcome": "delivered", "attempt": 1, "duration_ms": 3, "target_id": "", "error": ""}


def test_a_day_holds_every_entry_of_the_day_newest_id_first_even_out_of_order(hub) -> None:
    hour = timedelta(hours=1)
    rows = [
        _row(DAY + 2 * hour, "in-1"),
        _row(DAY - hour, "before"),        # a later id with an earlier time (a slow worker)
        _row(DAY + 3 * hour, "in-2"),
        _row(DAY + 25 * hour, "after"),
        _row(DAY + 4 * hour, "other-shop", shop_id="shop-2"),
        _row(DAY + 4 * hour, "other-plugin", plugin="qbo"),
        _row(DAY + hour, "in-3"),          # a later id with an earlier time, inside the day
        _row(DAY + 26 * hour, "after-2"),
    ]
    with hub.session_factory.begin() as session:
        logs.add_entries(session, rows)

    def day(**extra: object) -> list[str]:
        with hub.session_factory() as session:
            found = logs.query_entries(session, shop_id="shop-1", plugin="fake", since=DAY,
                                       until=DAY + timedelta(days=1), **extra)
        return [e.source_id for e in found]

    assert day() == ["in-3", "in-2", "in-1"]
    assert day(limit=2) == ["in-3", "in-2"]
    with hub.session_factory() as session:
        newest = logs.query_entries(session, shop_id="shop-1", plugin="fake", since=DAY, limit=1)[0]
    assert newest.source_id == "after-2"
    first_two = day(limit=2)
    with hub.session_factory() as session:
        ids = {e.source_id: e.id for e in logs.query_entries(session, shop_id="shop-1", plugin="fake")}
    assert day(before_id=ids[first_two[-1]]) == ["in-1"]
    with hub.session_factory() as session:
        empty = logs.query_entries(session, shop_id="shop-1", plugin="fake", since=DAY + timedelta(days=9))
    assert empty == []
