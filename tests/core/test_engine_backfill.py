"""History backfill: progress, chunked enqueueing with a persisted cursor, resume after a crash;
and the connection lease that keeps one worker per connection."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from hub import Action, EntityKind, Shop
from hub.config import HubConfig
from hub.plugin.manager import build_plugin_manager
from hub.storage import connections as conn_repo
from hub.storage.models import ConnectionRow, DeliveryRow
from hub.sync.runtime import Hub
from tests.fakes.records import customer, invoice, payment
from tests.fakes.targets import FakeBooks, FakePlugin


class Crash(BaseException):
    """Stands in for the process dying: not an Exception, so nothing in the hub catches it."""


def history(n: int) -> list:
    records = []
    for i in range(n):
        records += [customer(f"C-{i}"), invoice(f"RO-{i}", f"C-{i}"), payment(f"P-{i}", f"RO-{i}")]
    return records


def second_process(hub_config: HubConfig, target: FakeBooks, clock) -> Hub:
    host = build_plugin_manager(load_entrypoints=False, extra_plugins=[("f", FakePlugin([target]))])
    return Hub(hub_config, host=host, clock=clock)


def test_history_backfill_reports_progress_in_chunks(hub: Hub, shop: Shop, fake_target: FakeBooks) -> None:
    hub.ingest(shop.id, history(10))
    cid = hub.connect(shop.id, "fake", {}, start_mode="history")
    assert hub.backfill_progress(cid) == (0, 30)
    report = hub.run_batch(cid, limit=4)
    assert report.enqueued == 7  # one chunk (backfill_chunk=7 in tests), not the whole history
    with hub.session_factory() as session:
        assert len(session.scalars(select(DeliveryRow)).all()) == 7
        assert session.get(ConnectionRow, cid).backfill_cursor > 0
    done, total = hub.backfill_progress(cid)
    assert (done, total) == (4, 30)
    assert hub.connection_status(cid) == "Sending history: 4 of 30 records"
    hub.sync()
    assert hub.backfill_progress(cid) == (30, 30)
    assert len(fake_target.objects) == 30
    assert hub.connection_status(cid).startswith("Connected, last sync")


def test_history_includes_only_latest_versions_and_later_ingests_once(
    hub: Hub, shop: Shop, fake_target: FakeBooks
) -> None:
    hub.ingest(shop.id, history(3))
    hub.ingest(shop.id, [customer("C-0", first_name="Augusta")])
    cid = hub.connect(shop.id, "fake", {}, start_mode="history")
    hub.run_batch(cid, limit=2)
    hub.ingest(shop.id, [customer("C-2", first_name="Grace"), customer("C-9")])
    hub.sync()
    created = Counter((d.kind.value, d.record.id) for d in fake_target.calls if d.action is Action.CREATE)
    assert set(created.values()) == {1}
    assert len(created) == 10
    versions = {(d.record.id, d.version) for d in fake_target.calls if d.kind is EntityKind.CUSTOMER}
    assert ("C-0", 2) in versions and ("C-0", 1) not in versions
    assert hub.backfill_progress(cid) == (9, 9)


def test_backfill_resumes_after_a_crash_without_duplicates(
    hub: Hub, shop: Shop, fake_target: FakeBooks, hub_config: HubConfig, clock
) -> None:
    hub.ingest(shop.id, history(8))
    cid = hub.connect(shop.id, "fake", {}, start_mode="history")
    delivered_before_crash = 11

    def crash_after_some(delivery) -> None:
        if len(fake_target.calls) > delivered_before_crash:
            fake_target.on_deliver = None
            raise Crash

    fake_target.on_deliver = crash_after_some
    with pytest.raises(Crash):
        hub.sync()
    # The crashed process never settled its claims.
    with hub.session_factory() as session:
        claimed = {r.id for r in session.scalars(select(DeliveryRow).where(DeliveryRow.status == "claimed"))}
    assert claimed
    done_at_crash = hub.backfill_progress(cid)[0]
    assert 0 < done_at_crash < 24
    restarted = second_process(hub_config, fake_target, clock)
    try:
        restarted.sync()
        with restarted.session_factory() as session:
            # Until their lease runs out, the dead worker's claims are not handed out again.
            still = {
                r.id for r in session.scalars(select(DeliveryRow).where(DeliveryRow.status == "claimed"))
            }
        assert still == claimed
        clock.advance(seconds=61)
        restarted.sync()
        assert restarted.backfill_progress(cid) == (24, 24)
    finally:
        restarted.close()
    in_target = Counter((o.kind.value, o.source_id) for o in fake_target.objects.values())
    assert len(in_target) == 24 and set(in_target.values()) == {1}
    keys = Counter(d.idempotency_key for d in fake_target.calls)
    assert max(keys.values()) <= 2  # only the one in flight at the crash was handed over again


def test_connection_lease_allows_one_worker_at_a_time(hub: Hub, shop: Shop, clock) -> None:
    cid = hub.connect(shop.id, "fake", {})
    hub.ingest(shop.id, [customer()])
    with hub.session_factory.begin() as session:
        assert conn_repo.take_lease(session, cid, "other-worker", clock(), 30)
    with hub.session_factory.begin() as session:
        assert not conn_repo.take_lease(session, cid, "third-worker", clock(), 30)
    report = hub.run_batch(cid)
    assert report.busy and report.claimed == 0
    clock.advance(seconds=31)
    report = hub.run_batch(cid)
    assert not report.busy and report.delivered == 1
    with hub.session_factory() as session:
        row = session.get(ConnectionRow, cid)
        assert row.lease_owner is None  # released after the batch


def test_forward_mode_has_no_backfill(hub: Hub, shop: Shop, fake_target: FakeBooks) -> None:
    hub.ingest(shop.id, history(2))
    cid = hub.connect(shop.id, "fake", {}, start_mode="forward")
    assert hub.backfill_progress(cid) == (0, 0)
    hub.sync()
    assert fake_target.calls == []


def test_pull_backfill_is_fed_at_the_clients_pace(hub: Hub, shop: Shop, fake_targets: dict) -> None:
    hub.ingest(shop.id, history(10))
    cid = hub.connect(shop.id, "pull", {}, start_mode="history")
    hub.sync()
    with hub.session_factory() as session:
        queued = len(session.scalars(select(DeliveryRow)).all())
    assert queued == 7  # one chunk: enough for the client's next batch, not the whole history
    (ctx,) = hub.services.connections("pull")
    assert hub.services.pending_count(ctx) == 30  # 7 queued + 23 history still to queue
    from hub import DeliveryResult

    while batch := hub.services.claim(ctx, 10):
        for delivery in batch:
            hub.services.complete(ctx, delivery.id, DeliveryResult(target_id=f"T-{delivery.record.id}"))
        hub.sync()
    assert hub.backfill_progress(cid) == (30, 30)
    assert hub.services.pending_count(ctx) == 0
    assert fake_targets["pull"].calls == []
