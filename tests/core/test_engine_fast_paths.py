"""The engine's fast paths mean what the slow ones meant: the trusted load of stored payloads,
batched ingest (validated or not), and a batch's outcomes written in a few statements."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from hub import NeedsAttentionError, RecordValidationError, Shop
from hub.domain.generator import generate_history
from hub.domain.kinds import EntityKind
from hub.domain.schemas import dump_record, load_record
from hub.storage.models import DeliveryLogRow, DeliveryRow, ExternalIdRow, RecordVersionRow
from hub.sync.ingest import ingest_records
from hub.sync.prepare import load_stored
from hub.sync.runtime import Hub
from tests.fakes.records import customer, invoice, payment
from tests.fakes.targets import FakeBooks


def test_trusted_load_equals_the_validating_load_for_every_kind() -> None:
    records = list(generate_history(3, Shop(id="s-1", name="S"), 200))
    assert {r.kind for r in records} == set(EntityKind)
    for record in records:
        payload = dump_record(record)
        fast, slow = load_stored(record.kind, payload), load_record(record.kind, payload)
        assert fast == slow
        assert repr(fast) == repr(slow)  # same Decimal places, same types


def test_trusted_load_falls_back_to_the_rules_for_a_payload_that_does_not_fit() -> None:
    payload = dump_record(invoice())
    del payload["customer_id"]
    with pytest.raises(RecordValidationError) as err:
        load_stored(EntityKind.INVOICE, payload)
    assert "customer_id" in err.value.errors
    payload = dump_record(invoice()) | {"total": 12.5}  # a float where the dump writes a string
    with pytest.raises(RecordValidationError):
        load_stored(EntityKind.INVOICE, payload)


def test_stored_payload_broken_later_goes_to_needs_attention(
    hub: Hub, shop: Shop, fake_target: FakeBooks
) -> None:
    cid = hub.connect(shop.id, "fake", {})
    hub.ingest(shop.id, [customer()])
    with hub.session_factory.begin() as session:
        version = session.scalars(select(RecordVersionRow)).one()
        version.payload = {k: v for k, v in version.payload.items() if k != "first_name"} | {"first_name": 7}
    hub.sync()
    assert fake_target.calls == []
    stuck = hub.needs_attention(cid)
    assert [d.status for d in stuck] == ["needs_attention"]
    assert "stored record" in stuck[0].last_error


def test_validated_ingest_skips_the_second_check_and_stores_the_same(hub: Hub, shop: Shop) -> None:
    records = [customer(), invoice(), payment()]
    with hub.session_factory.begin() as session:
        fast = ingest_records(session, hub.targets, shop.id, records, hub.now(), validated=True)
    assert [o.status for o in fast] == ["created"] * 3
    assert [o.status for o in hub.ingest(shop.id, records)] == ["unchanged"] * 3
    changed = [customer(first_name="Grace"), invoice(), payment()]
    assert [o.status for o in hub.ingest(shop.id, changed)] == ["updated", "unchanged", "unchanged"]
    assert hub.ingest(shop.id, changed)[0].version == 2


def test_batch_ingest_queues_one_delivery_per_version_and_connection(hub: Hub, shop: Shop) -> None:
    first = hub.connect(shop.id, "fake", {})
    second = hub.connect(shop.id, "batch", {})
    history = list(generate_history(5, shop, 12))
    outcomes = hub.ingest(shop.id, history)
    assert len(outcomes) == len(history)
    with hub.session_factory() as session:
        per_connection = dict(
            session.execute(
                select(DeliveryRow.connection_id, func.count()).group_by(DeliveryRow.connection_id)
            ).all()
        )
        keys = session.scalars(select(DeliveryRow.idempotency_key)).all()
    deliverable = sum(1 for r in history if not (r.kind is EntityKind.INVOICE and r.status.value == "open"))
    assert per_connection == {first: deliverable, second: deliverable}
    assert len(set(keys)) == len(keys)


def test_batch_outcomes_write_one_log_row_and_one_external_id_each(
    hub: Hub, shop: Shop, fake_targets: dict, clock
) -> None:
    cid = hub.connect(shop.id, "batch", {})
    fake_targets["batch"].fail("customer", "C-2", NeedsAttentionError("Duplicate Name Exists"))
    hub.ingest(shop.id, [customer(), customer("C-2"), customer("C-3"), invoice("RO-2", customer_id="C-2")])
    report = hub.sync()
    assert report.delivered == 2 and report.needs_attention == 1
    with hub.session_factory() as session:
        logs = session.execute(
            select(DeliveryLogRow.source_id, DeliveryLogRow.outcome).order_by(DeliveryLogRow.id)
        ).all()
        externals = session.scalar(
            select(func.count()).select_from(ExternalIdRow).where(ExternalIdRow.connection_id == cid)
        )
    assert sorted(logs) == [("C-1", "delivered"), ("C-2", "needs_attention"), ("C-3", "delivered")]
    assert externals == 2
    # The waiting invoice is released in the same statement that releases all of a batch's waiters.
    for item in hub.needs_attention(cid):
        if item.status == "needs_attention":
            hub.retry(item.id)
    clock.advance(seconds=1)
    report = hub.sync()
    assert report.delivered == 2  # C-2, then the invoice that waited on it
    assert hub.needs_attention(cid) == []
