"""Two callers feeding one history backfill at once (the engine and a pull client's claim, in
separate processes): every history record is queued exactly once and neither caller fails."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

from sqlalchemy import func, select

from hub import Shop
from hub.config import HubConfig
from hub.plugin.manager import build_plugin_manager
from hub.storage.models import ConnectionRow, DeliveryRow
from hub.sync.outbox import backfill_step
from hub.sync.runtime import Hub
from tests.fakes.records import customer, invoice, payment
from tests.fakes.targets import FakePlugin, PullBooks

ROUNDS = 30


def history(n: int) -> list:
    records = []
    for i in range(n):
        records += [customer(f"C-{i}"), invoice(f"RO-{i}", f"C-{i}"), payment(f"P-{i}", f"RO-{i}")]
    return records


def other_hub(hub_config: HubConfig, clock) -> Hub:
    """A second hub on the same database, as a second web or worker process would be."""
    host = build_plugin_manager(load_entrypoints=False, extra_plugins=[("f", FakePlugin([PullBooks()]))])
    return Hub(hub_config, host=host, clock=clock)


def run_together(callers: list[Callable[[], None]]) -> list[BaseException]:
    """Run each caller ROUNDS times, all starting each round together; the errors raised."""
    barrier = threading.Barrier(len(callers))
    errors: list[BaseException] = []

    def loop(call: Callable[[], None]) -> None:
        for _ in range(ROUNDS):
            barrier.wait(timeout=60)
            try:
                call()
            except Exception as exc:  # noqa: BLE001 - collected and asserted empty
                errors.append(exc)

    threads = [threading.Thread(target=loop, args=(call,)) for call in callers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def queued_per_version(hub: Hub, cid: int) -> Counter[int]:
    with hub.session_factory() as session:
        return Counter(
            session.scalars(select(DeliveryRow.record_version_id).where(DeliveryRow.connection_id == cid))
        )


def test_two_hubs_stepping_one_backfill_queue_each_record_once(
    hub: Hub, shop: Shop, hub_config: HubConfig, clock
) -> None:
    hub.ingest(shop.id, history(40))  # 120 records, 7 a chunk: both callers race on every chunk
    cid = hub.connect(shop.id, "pull", {}, start_mode="history")
    second = other_hub(hub_config, clock)
    covered: list[int] = []

    def step(instance: Hub) -> Callable[[], None]:
        def call() -> None:
            with instance.session_factory.begin() as session:
                connection = session.get(ConnectionRow, cid)
                target = instance.targets["pull"]
                covered.append(backfill_step(session, connection, target, clock(), 7))

        return call

    try:
        errors = run_together([step(hub), step(second)])
    finally:
        second.close()
    assert errors == []
    counts = queued_per_version(hub, cid)
    assert len(counts) == 120 and set(counts.values()) == {1}
    assert sum(covered) == 120  # each chunk covered by exactly one of the two callers
    with hub.session_factory() as session:
        row = session.get(ConnectionRow, cid)
        assert row.backfill_cursor == row.backfill_high_water


def test_engine_and_pull_claim_feed_one_backfill_without_duplicates(
    hub: Hub, shop: Shop, hub_config: HubConfig, clock
) -> None:
    hub.ingest(shop.id, history(40))
    cid = hub.connect(shop.id, "pull", {}, start_mode="history")
    web = other_hub(hub_config, clock)
    (ctx,) = web.services.connections("pull")
    claimed: list[int] = []

    def engine() -> None:
        hub.run_batch(cid)

    def client() -> None:
        claimed.extend(d.id for d in web.services.claim(ctx, 3))

    try:
        errors = run_together([engine, client])
    finally:
        web.close()
    assert errors == []
    counts = queued_per_version(hub, cid)
    assert counts and set(counts.values()) == {1}
    assert len(claimed) == len(set(claimed))
    with hub.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(DeliveryRow)) == sum(counts.values())
