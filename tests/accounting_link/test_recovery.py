"""Lost answers and interrupted runs: the next run finishes the work with no duplicate in
QuickBooks' terms (a query goes first wherever an add may already have happened)."""

from __future__ import annotations

from typing import Any

import pytest
from ledgerhub_accounting_link.conversation import STATE_KEY
from ledgerhub_accounting_link.fake_quickbooks import FakeQuickBooks
from ledgerhub_accounting_link.service import WebConnectorService
from ledgerhub_accounting_link.simulator import run_web_connector

from hub import Shop
from hub.domain.kinds import EntityKind
from hub.sync.runtime import Hub

from .conftest import API_KEY, WebConnector, every_kind_records

EXPECTED = {"Customer": 2, "Vendor": 2, "ItemInventory": 1, "Invoice": 1, "ReceivePayment": 2, "Bill": 2,
            "VendorCredit": 1}


def _counts(books: FakeQuickBooks) -> dict[str, int]:
    return {kind: len(books.of_kind(kind)) for kind in EXPECTED}


def _all_delivered(al_hub: Hub, shop: Shop) -> bool:
    return all(al_hub.delivery_history(shop.id, record.kind, record.id)[-1].status == "delivered"
               for record in every_kind_records())


@pytest.mark.parametrize("lost", [1, 2, 3])
def test_lost_answer_is_not_added_twice(web_connector: WebConnector, quickbooks: FakeQuickBooks, al_hub: Hub,
                                        al_shop: Shop, lost: int) -> None:
    al_hub.ingest(al_shop.id, every_kind_records())
    first = web_connector.run(lose_response_of=lost)
    assert first.documents == lost and not first.closed
    second = web_connector.run()
    assert second.percents[-1] == 100
    assert _counts(quickbooks) == EXPECTED
    assert _all_delivered(al_hub, al_shop)
    probes = "".join(quickbooks.requests[lost:lost + 1])
    assert "QueryRq" in probes  # the second run asked QuickBooks before adding again
    warned = [d for r in every_kind_records()
              for d in al_hub.delivery_history(al_shop.id, r.kind, r.id)[-1:]
              if any("answer was lost" in w for w in d.warnings)]
    assert warned


def test_another_web_process_continues_the_run(web_connector: WebConnector, quickbooks: FakeQuickBooks,
                                               al_hub: Hub, al_shop: Shop, connection_id: int) -> None:
    al_hub.ingest(al_shop.id, every_kind_records())
    web_connector.run(crash_after=1)
    # A restarted (or another) web process knows nothing in memory; the run lives in the state.
    run = run_web_connector(WebConnectorService(al_hub.services), quickbooks, f"ledgerhub-{connection_id}",
                            API_KEY)
    assert run.percents[-1] == 100
    assert _counts(quickbooks) == EXPECTED
    assert _all_delivered(al_hub, al_shop)


def test_a_lost_run_record_waits_for_the_lease(web_connector: WebConnector, quickbooks: FakeQuickBooks,
                                               al_hub: Hub, al_shop: Shop, connection_id: int,
                                               clock: Any) -> None:
    al_hub.ingest(al_shop.id, every_kind_records())
    web_connector.run(lose_response_of=1)
    ctx = al_hub.services.connection(connection_id)
    assert ctx is not None
    ctx.state.set(STATE_KEY, None)  # the run's record is gone: its claims are all that is left
    assert web_connector.run().auth[1] == "none"  # still claimed by the lost run
    clock.advance(seconds=al_hub.config.lease_seconds + 1)
    assert web_connector.run().percents[-1] == 100
    assert _counts(quickbooks) == EXPECTED
    assert _all_delivered(al_hub, al_shop)


@pytest.mark.parametrize("crash_after", [1, 2])
def test_interrupted_run_is_resumed_next_time(web_connector: WebConnector, quickbooks: FakeQuickBooks,
                                              al_hub: Hub, al_shop: Shop, crash_after: int) -> None:
    al_hub.ingest(al_shop.id, every_kind_records())
    first = web_connector.run(crash_after=crash_after)
    assert first.documents == crash_after and not first.closed
    assert 0 < first.percents[-1] < 100
    second = web_connector.run()
    assert second.percents[-1] == 100
    assert _counts(quickbooks) == EXPECTED
    assert _all_delivered(al_hub, al_shop)


def test_unknown_ticket_is_refused(soap: Any) -> None:
    assert soap.sendRequestXML("no-such-ticket", "", "", "US", 13, 0) in ("", None)
    assert soap.receiveResponseXML("no-such-ticket", "<QBXML/>", "", "") == -1
    assert "unknown" in soap.getLastError("no-such-ticket")


def test_wrong_keys_are_rate_limited(soap: Any, connection_id: int, al_hub: Hub, al_shop: Shop) -> None:
    user = f"ledgerhub-{connection_id}"
    al_hub.ingest(al_shop.id, every_kind_records())
    assert soap.authenticate(user, API_KEY)[1] in ("", None)
    for _ in range(5):
        assert soap.authenticate(user, "guess")[1] == "nvu"
    assert soap.authenticate(user, API_KEY)[1] == "nvu"  # locked: not even checked


def test_delivery_history_keeps_ids_for_later(web_connector: WebConnector, quickbooks: FakeQuickBooks,
                                              al_hub: Hub, al_shop: Shop, connection_id: int) -> None:
    al_hub.ingest(al_shop.id, every_kind_records())
    web_connector.run()
    entries = al_hub.log_entries(plugin="accounting_link", limit=100)
    by_source = {(e.kind, e.source_id): e.target_id for e in entries if e.outcome == "delivered"}
    invoice = quickbooks.of_kind("Invoice")[0]
    assert by_source[(EntityKind.INVOICE.value, "INV-1")] == invoice.id
