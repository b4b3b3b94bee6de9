"""Engine semantics: ordering, waiting, retries, needs-attention, fatal errors, idempotency,
external ids, versioning and the kinds a target declares."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from hub import (
    Action,
    EntityKind,
    FatalConnectionError,
    InvoiceStatus,
    NeedsAttentionError,
    RetryableError,
    Shop,
)
from hub.storage.models import DeliveryRow
from hub.sync.runtime import Hub
from tests.fakes.records import customer, invoice, payment, purchase, vendor
from tests.fakes.targets import FakeBooks


def deliveries(hub: Hub) -> list[DeliveryRow]:
    with hub.session_factory() as session:
        return list(session.scalars(select(DeliveryRow).order_by(DeliveryRow.id)))


def test_dependencies_go_first_and_references_are_handed_over(
    hub: Hub, shop: Shop, fake_target: FakeBooks
) -> None:
    hub.connect(shop.id, "fake", {})
    hub.ingest(shop.id, [payment(), invoice(), purchase(), vendor(), customer()])
    report = hub.sync()
    assert report.delivered == 5
    order = [(d.kind.value, d.record.id) for d in fake_target.calls]
    assert (
        order.index(("customer", "C-1")) < order.index(("invoice", "RO-1")) < order.index(("payment", "P-1"))
    )
    assert order.index(("vendor", "V-1")) < order.index(("parts_purchase", "PO-1"))
    inv = fake_target.objects_for("invoice")[0]
    cust = fake_target.objects_for("customer")[0]
    assert inv.references == {"customer_id": cust.target_id}
    assert fake_target.objects_for("payment")[0].references == {"invoice_id": inv.target_id}


def test_failed_dependency_makes_dependents_wait(hub: Hub, shop: Shop, fake_target: FakeBooks) -> None:
    cid = hub.connect(shop.id, "fake", {})
    fake_target.fail("customer", "C-1", NeedsAttentionError("Duplicate Name Exists: Ada Lovelace"))
    hub.ingest(shop.id, [customer(), invoice(), payment(), customer("C-2")])
    hub.sync()
    assert {o.source_id for o in fake_target.objects.values()} == {"C-2"}
    stuck = {(d.kind, d.source_id): d for d in hub.needs_attention(cid)}
    assert stuck[("customer", "C-1")].status == "needs_attention"
    assert "Duplicate Name" in stuck[("customer", "C-1")].last_error
    assert stuck[("invoice", "RO-1")].status == "waiting"
    assert stuck[("invoice", "RO-1")].waiting_on == "customer C-1"
    assert hub.connection_status(cid) == "Needs attention: 1 record"
    hub.retry(stuck[("customer", "C-1")].id)
    hub.sync()
    assert {o.source_id for o in fake_target.objects.values()} == {"C-1", "C-2", "RO-1", "P-1"}
    assert hub.needs_attention(cid) == []
    assert hub.connection_status(cid) == "Connected, last sync: less than a minute ago"


def test_retryable_errors_back_off_then_succeed(hub: Hub, shop: Shop, fake_target: FakeBooks, clock) -> None:
    cid = hub.connect(shop.id, "fake", {})
    fake_target.fail("customer", "C-1", RetryableError("503 from the books"), times=2)
    hub.ingest(shop.id, [customer()])
    start = clock()
    assert hub.sync().retried == 1
    (row,) = deliveries(hub)
    first_wait = row.next_attempt_at - start
    # base 10 s with equal jitter: between 5 and 10 seconds for the first retry
    assert timedelta(seconds=5) <= first_wait <= timedelta(seconds=10)
    assert hub.sync().batches == 1  # nothing due yet: the engine does not spin
    clock.advance(seconds=10)
    hub.sync()
    (row,) = deliveries(hub)
    second_wait = row.next_attempt_at - clock()
    assert timedelta(seconds=10) <= second_wait <= timedelta(seconds=20)
    clock.advance(seconds=20)
    hub.sync()
    (row,) = deliveries(hub)
    assert row.status == "delivered" and row.attempts == 3
    outcomes = [e.outcome for e in hub.log_entries(connection_id=cid)]
    assert outcomes == ["delivered", "retry", "retry"]


def test_retry_after_is_honoured_and_retries_give_up(
    hub: Hub, shop: Shop, fake_target: FakeBooks, clock
) -> None:
    cid = hub.connect(shop.id, "fake", {})
    fake_target.fail("customer", "C-1", RetryableError("throttled", retry_after=42), times=1)
    fake_target.fail("customer", "C-1", RetryableError("still down"), times=10)
    hub.ingest(shop.id, [customer()])
    hub.sync()
    (row,) = deliveries(hub)
    assert row.next_attempt_at == clock() + timedelta(seconds=42)
    for _ in range(6):
        clock.advance(hours=2)
        hub.sync()
    (row,) = deliveries(hub)
    assert row.status == "needs_attention"
    assert row.last_error == "gave up after 5 attempts: still down"
    assert hub.connection_status(cid) == "Needs attention: 1 record"


def test_skip_releases_the_record_and_others_keep_flowing(
    hub: Hub, shop: Shop, fake_target: FakeBooks
) -> None:
    cid = hub.connect(shop.id, "fake", {})
    fake_target.fail("vendor", "V-1", NeedsAttentionError("vendor name is a customer's name"))
    hub.ingest(shop.id, [vendor(), customer(), invoice()])
    hub.sync()
    assert {o.source_id for o in fake_target.objects.values()} == {"C-1", "RO-1"}
    (stuck,) = hub.needs_attention(cid)
    hub.skip(stuck.id)
    assert hub.needs_attention(cid) == []
    assert [d.status for d in hub.delivery_history(shop.id, "vendor", "V-1")] == ["skipped"]
    with pytest.raises(ValueError):
        hub.retry(stuck.id)


def test_plugin_bug_is_needs_attention_attributed_to_the_plugin(
    hub: Hub, shop: Shop, fake_target: FakeBooks
) -> None:
    cid = hub.connect(shop.id, "fake", {})
    fake_target.fail("customer", "C-1", KeyError("DisplayName"))
    hub.ingest(shop.id, [customer()])
    report = hub.sync()
    assert report.needs_attention == 1
    (stuck,) = hub.needs_attention(cid)
    assert stuck.last_error == "plugin 'fake' failed: KeyError: 'DisplayName'"
    (entry,) = hub.log_entries(plugin="fake")
    assert entry.outcome == "error" and "KeyError" in entry.error


def test_fatal_error_disconnects_and_reconnect_resumes_without_duplicates(
    hub: Hub, shop: Shop, fake_target: FakeBooks
) -> None:
    cid = hub.connect(shop.id, "fake", {})
    hub.ingest(shop.id, [customer()])
    hub.sync()
    fake_target.fail("customer", "C-2", FatalConnectionError("invalid_grant: refresh token revoked"))
    hub.ingest(shop.id, [customer("C-2"), customer("C-3")])
    report = hub.sync()
    assert report.disconnected == [cid]
    assert hub.get_connection(cid).status == "disconnected"
    assert hub.connection_status(cid) == "Disconnected: reconnect to Fake Books"
    assert {o.source_id for o in fake_target.objects.values()} == {"C-1"}
    hub.ingest(shop.id, [customer("C-4")])  # still queued while disconnected
    assert hub.sync().batches == 0
    assert hub.connect(shop.id, "fake", {}) == cid
    hub.sync()
    assert sorted(o.source_id for o in fake_target.objects.values()) == ["C-1", "C-2", "C-3", "C-4"]
    assert len(fake_target.objects) == 4


def test_idempotency_key_is_stable_per_connection_record_version(
    hub: Hub, shop: Shop, fake_target: FakeBooks, clock
) -> None:
    first = hub.connect(shop.id, "fake", {})
    second = hub.connect(shop.id, "narrow", {})
    fake_target.fail("customer", "C-1", RetryableError("timeout"))
    hub.ingest(shop.id, [customer()])
    hub.sync()
    clock.advance(minutes=5)
    hub.sync()
    keys = [d.idempotency_key for d in fake_target.calls]
    assert len(keys) == 2 and keys[0] == keys[1]
    rows = {(r.connection_id, r.version): r.idempotency_key for r in deliveries(hub)}
    assert rows[(first, 1)] == keys[0] and rows[(second, 1)] != keys[0]
    hub.ingest(shop.id, [customer(first_name="Augusta")])
    hub.sync()
    assert fake_target.calls[-1].idempotency_key not in {keys[0], rows[(second, 1)]}


def test_update_modifies_and_void_voids_the_same_object(hub: Hub, shop: Shop, fake_target: FakeBooks) -> None:
    hub.connect(shop.id, "fake", {})
    hub.ingest(shop.id, [customer(), invoice(amount="100.00"), payment(amount="100.00")])
    hub.sync()
    inv_id = fake_target.objects_for("invoice")[0].target_id
    hub.ingest(shop.id, [invoice(amount="120.00")])  # re-closed after an edit
    hub.sync()
    last = fake_target.calls[-1]
    assert last.action is Action.UPDATE and last.external is not None
    assert last.external.target_id == inv_id and last.external.data == {"sync_token": "1"}
    hub.ingest(
        shop.id,
        [payment(voided=True, amount="100.00"), invoice(amount="120.00", status=InvoiceStatus.VOIDED)],
    )
    hub.sync()
    assert [(d.kind.value, d.action) for d in fake_target.calls[-2:]] == [
        ("invoice", Action.VOID),
        ("payment", Action.VOID),
    ]
    assert len(fake_target.objects) == 3
    assert all(o.voided for o in fake_target.objects.values() if o.kind is not EntityKind.CUSTOMER)


def test_void_of_a_record_never_delivered_is_not_sent(hub: Hub, shop: Shop, fake_target: FakeBooks) -> None:
    hub.connect(shop.id, "fake", {})
    hub.ingest(shop.id, [customer(), invoice(status=InvoiceStatus.VOIDED)])
    hub.sync()
    assert [d.kind for d in fake_target.calls] == [EntityKind.CUSTOMER]
    (history,) = hub.delivery_history(shop.id, "invoice", "RO-1")
    assert history.status == "delivered"


def test_new_versions_make_new_deliveries_and_supersede_unsent_ones(
    hub: Hub, shop: Shop, fake_target: FakeBooks
) -> None:
    cid = hub.connect(shop.id, "fake", {})
    hub.ingest(shop.id, [customer()])
    hub.ingest(shop.id, [customer(first_name="Augusta")])
    hub.ingest(shop.id, [customer(first_name="Augusta")])  # identical: nothing new
    assert [(r.version, r.status) for r in deliveries(hub)] == [(1, "superseded"), (2, "pending")]
    hub.sync()
    assert [(d.version, d.action) for d in fake_target.calls] == [(2, Action.CREATE)]
    hub.ingest(shop.id, [customer(first_name="Ada")])
    hub.sync()
    assert [(d.version, d.action) for d in fake_target.calls] == [(2, Action.CREATE), (3, Action.UPDATE)]
    assert [h.version for h in hub.delivery_history(shop.id, "customer", "C-1")] == [1, 2, 3]
    assert hub.get_connection(cid).status == "active"


def test_kinds_a_target_did_not_declare_are_never_queued(hub: Hub, shop: Shop, fake_targets: dict) -> None:
    narrow = fake_targets["narrow"]
    cid = hub.connect(shop.id, "narrow", {})
    hub.ingest(shop.id, [customer(), invoice(), payment(), vendor(), purchase()])
    hub.sync()
    assert {d.kind for d in narrow.calls} == {EntityKind.CUSTOMER, EntityKind.INVOICE}
    assert {r.kind for r in deliveries(hub) if r.connection_id == cid} == {"customer", "invoice"}


def test_forward_mode_sends_only_new_versions_plus_their_dependencies(
    hub: Hub, shop: Shop, fake_target: FakeBooks
) -> None:
    hub.ingest(shop.id, [customer(), customer("C-2"), invoice()])
    hub.connect(shop.id, "fake", {}, start_mode="forward")
    hub.ingest(shop.id, [payment()])
    hub.sync()
    # The payment needs its invoice, which needs its customer; C-2 is history and stays.
    assert [(d.kind.value, d.record.id) for d in fake_target.calls] == [
        ("customer", "C-1"),
        ("invoice", "RO-1"),
        ("payment", "P-1"),
    ]


def test_logs_are_filterable_and_keyset_paged(hub: Hub, shop: Shop, fake_target: FakeBooks) -> None:
    hub.connect(shop.id, "fake", {})
    hub.connect(shop.id, "narrow", {})
    hub.ingest(shop.id, [customer(f"C-{i}") for i in range(7)])
    hub.sync()
    assert len(hub.log_entries(plugin="fake")) == 7
    assert len(hub.log_entries(shop_id=shop.id)) == 14
    assert [e.plugin for e in hub.log_entries(record=("customer", "C-3"))] == ["narrow", "fake"]
    page1 = hub.log_entries(plugin="narrow", limit=3)
    page2 = hub.log_entries(plugin="narrow", limit=3, before_id=page1[-1].id)
    page3 = hub.log_entries(plugin="narrow", limit=3, before_id=page2[-1].id)
    ids = [e.id for e in page1 + page2 + page3]
    assert len(ids) == 7 and ids == sorted(ids, reverse=True)
    assert hub.log_entries(status="retry") == []


def test_secrets_never_reach_the_log(hub: Hub, shop: Shop, fake_target: FakeBooks) -> None:
    cid = hub.connect(shop.id, "fake", {})
    ctx = hub.services.connection(cid)
    assert ctx is not None
    ctx.secrets.set("tokens", {"access_token": "at-SUPERSECRET-1"})
    fake_target.fail(
        "customer", "C-1", NeedsAttentionError("401 for at-SUPERSECRET-1; refresh_token=rt-abcdef")
    )
    hub.ingest(shop.id, [customer()])
    hub.sync()
    (entry,) = hub.log_entries(plugin="fake")
    assert "SUPERSECRET" not in entry.error and "rt-abcdef" not in entry.error
    assert "[redacted]" in entry.error


def test_begin_batch_failure_is_classified(hub: Hub, shop: Shop, fake_target: FakeBooks, clock) -> None:
    cid = hub.connect(shop.id, "fake", {})
    hub.ingest(shop.id, [customer()])
    fake_target.fail_begin.append(RetryableError("token endpoint timed out"))
    assert hub.sync().retried == 1 and fake_target.calls == []
    (row,) = deliveries(hub)
    assert row.status == "pending" and row.next_attempt_at > clock() and "timed out" in row.last_error
    clock.advance(minutes=1)
    hub.sync()
    assert len(fake_target.objects) == 1
    fake_target.fail_begin.append(FatalConnectionError("grant revoked"))
    hub.ingest(shop.id, [customer("C-2")])
    hub.sync()
    assert hub.get_connection(cid).status == "disconnected"
    assert [r.status for r in deliveries(hub)] == ["delivered", "pending"]


def test_batch_api_outcomes_are_applied_per_delivery(hub: Hub, shop: Shop, fake_targets: dict, clock) -> None:
    batch = fake_targets["batch"]
    cid = hub.connect(shop.id, "batch", {})
    batch.fail("customer", "C-2", NeedsAttentionError("name in use"))
    batch.fail("customer", "C-3", RetryableError("throttled", retry_after=5))
    hub.ingest(shop.id, [customer(f"C-{i}") for i in range(1, 5)])
    report = hub.sync()
    assert batch.batch_sizes == [4]
    assert (report.delivered, report.needs_attention, report.retried) == (2, 1, 1)
    assert [d.source_id for d in hub.needs_attention(cid)] == ["C-2"]
    clock.advance(seconds=5)
    hub.sync()
    assert sorted(o.source_id for o in batch.objects.values()) == ["C-1", "C-3", "C-4"]
    batch.fail("customer", "C-5", FatalConnectionError("grant revoked"))
    hub.ingest(shop.id, [customer("C-5"), customer("C-6")])
    assert hub.sync().disconnected == [cid]
    later = hub.delivery_history(shop.id, "customer", "C-5") + hub.delivery_history(
        shop.id, "customer", "C-6"
    )
    assert [d.status for d in later] == ["pending", "pending"]  # handed back, to resume on reconnect


def test_batch_api_with_a_wrong_answer_count_is_a_plugin_error(
    hub: Hub, shop: Shop, fake_targets: dict
) -> None:
    batch = fake_targets["batch"]
    batch.short_answer = True
    cid = hub.connect(shop.id, "batch", {})
    hub.ingest(shop.id, [customer("C-1"), customer("C-2")])
    hub.sync()
    stuck = hub.needs_attention(cid)
    assert len(stuck) == 2
    assert stuck[0].last_error == "plugin 'batch' failed: RuntimeError: deliver_many returned 1 results for 2"


def test_reopened_invoice_waits_and_reclosing_updates(hub: Hub, shop: Shop, fake_target: FakeBooks) -> None:
    hub.connect(shop.id, "fake", {})
    hub.ingest(shop.id, [customer(), invoice(amount="100.00")])
    hub.sync()
    hub.ingest(shop.id, [invoice(amount="100.00", status=InvoiceStatus.OPEN)])  # reopened for an edit
    hub.sync()
    assert [d.action for d in fake_target.calls] == [Action.CREATE, Action.CREATE]
    hub.ingest(shop.id, [invoice(amount="150.00")])  # closed again after the edit
    hub.sync()
    last = fake_target.calls[-1]
    assert (last.kind, last.action, last.version) == (EntityKind.INVOICE, Action.UPDATE, 3)
    assert len(fake_target.objects_for("invoice")) == 1
