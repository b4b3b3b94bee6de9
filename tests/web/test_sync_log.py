"""The sync log: filters, keyset pages, a record's history, Retry / Skip, the CSV export."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal

import pytest

from hub import Customer, EntityKind, Invoice, NeedsAttentionError
from tests.web.conftest import UiClient

LOG = "/shops/shop-1/logs/fake"
I_1042 = {"kind": "invoice", "source_id": "I-1042"}


def invoice(number: str, customer: str = "C-1") -> Invoice:
    return Invoice(id=f"I-{number}", number=number, customer_id=customer, invoice_date=date(2026, 1, 5),
                   shop_supplies=Decimal("25.00"), total=Decimal("25.00"))


@pytest.fixture
def connection_id(hub, shop) -> int:
    return hub.connect("shop-1", "fake", {"company": "MAIN"})


@pytest.fixture
def failed_1042(hub, fake_target, connection_id: int) -> int:
    """Customer C-1 and invoices 1041..1043 sent; 1042 refused with a reason."""
    fake_target.fail(EntityKind.INVOICE, "I-1042",
                     NeedsAttentionError("QuickBooks says customer Ann Lee is inactive"))
    hub.ingest("shop-1", [Customer(id="C-1", first_name="Ann", last_name="Lee")]
               + [invoice(n) for n in ("1041", "1042", "1043")])
    hub.sync(connection_id)
    [stuck] = hub.needs_attention(connection_id)
    return stuck.id


def rows(html: str) -> list[str]:
    return re.findall(r'<tr class="outcome-[^"]+">(.*?)</tr>', html, re.S)


def test_filter_by_status_shows_the_reason_and_retry(owner: UiClient, failed_1042: int) -> None:
    html = owner.get(LOG + "?status=needs_attention").get_data(as_text=True)
    [row] = rows(html)
    assert "I-1042" in row and "QuickBooks says customer Ann Lee is inactive" in row
    assert f"/deliveries/{failed_1042}/retry" in row and f"/deliveries/{failed_1042}/skip" in row
    assert '<input type="hidden" name="source_id" value="I-1042">' in row
    assert len(rows(owner.get(LOG + "?status=delivered").get_data(as_text=True))) == 3


def test_filter_by_kind_record_and_date(owner: UiClient, failed_1042: int) -> None:
    assert len(rows(owner.get(LOG + "?kind=customer").get_data(as_text=True))) == 1
    by_record = rows(owner.get(LOG + "?record=I-1042").get_data(as_text=True))
    assert len(by_record) == 1 and "I-1042" in by_record[0]
    assert len(rows(owner.get(LOG + "?from=2026-01-05&to=2026-01-05").get_data(as_text=True))) == 4
    assert rows(owner.get(LOG + "?from=2026-01-06").get_data(as_text=True)) == []
    html = owner.get(LOG + "?kind=spaceship&from=yesterday").get_data(as_text=True)
    assert "There is no record kind &#39;spaceship&#39;" in html and "must look like 2026-11-26" in html


def test_retry_sends_it_again(owner: UiClient, hub, failed_1042: int, connection_id: int) -> None:
    response = owner.post(f"{LOG}/deliveries/{failed_1042}/retry", {"back": LOG, **I_1042}, page=LOG)
    assert response.headers["Location"] == LOG
    hub.sync(connection_id)
    assert hub.needs_attention(connection_id) == []
    history = owner.get(LOG + "/records/invoice/I-1042").get_data(as_text=True)
    outcomes = re.findall(r'<tr class="outcome-([^"]+)">', history)
    assert outcomes == ["needs_attention", "delivered"]  # oldest first
    again = owner.post(f"{LOG}/deliveries/{failed_1042}/retry", I_1042, page=LOG)
    assert again.status_code == 302
    assert "does not need attention" in owner.get(LOG).get_data(as_text=True)


def test_skip_gives_up(owner: UiClient, hub, failed_1042: int, connection_id: int) -> None:
    owner.post(f"{LOG}/deliveries/{failed_1042}/skip", I_1042, page=LOG)
    assert hub.needs_attention(connection_id) == []
    assert "was skipped" in owner.get(LOG).get_data(as_text=True)


def test_record_history_explains_in_plain_words(owner: UiClient, failed_1042: int) -> None:
    html = owner.get(LOG + "/records/invoice/I-1042").get_data(as_text=True)
    assert "Invoice I-1042 in Fake Books" in html
    assert "<strong>Why:</strong> QuickBooks says customer Ann Lee is inactive" in html
    assert f"/deliveries/{failed_1042}/retry" in html


def test_another_shops_delivery_cannot_be_retried(owner: UiClient, hub, failed_1042: int) -> None:
    response = owner.post(f"/shops/shop-1/logs/fake/deliveries/{failed_1042 + 999}/retry", I_1042, page=LOG)
    assert response.status_code == 302
    assert "does not need attention" in owner.get(LOG).get_data(as_text=True)


def test_keyset_pages_do_not_overlap(owner: UiClient, hub, connection_id: int) -> None:
    hub.ingest("shop-1", [Customer(id=f"C-{i:03}", first_name="Ann") for i in range(120)])
    hub.sync(connection_id)
    first = owner.get(LOG).get_data(as_text=True)
    older = re.search(r'<a href="([^"]+)" rel="next">', first)
    assert older
    second_url = older.group(1).replace("&amp;", "&")
    assert "before=" in second_url
    second = owner.get(second_url).get_data(as_text=True)
    third_url = re.search(r'<a href="([^"]+)" rel="next">', second).group(1).replace("&amp;", "&")
    third = owner.get(third_url).get_data(as_text=True)
    ids = [re.findall(r"Customer (C-\d+)", page) for page in (first, second, third)]
    assert [len(p) for p in ids] == [50, 50, 20]
    flat = [i for page in ids for i in page]
    assert len(set(flat)) == 120 and flat[0] == "C-119" and flat[-1] == "C-000"
    assert 'rel="next"' not in third


def test_csv_export_for_support(owner: UiClient, failed_1042: int, hub) -> None:
    hub.ingest("shop-1", [Customer(id="=HYPERLINK(1)", first_name="Evil")])
    response = owner.get(LOG + "/export.csv?kind=invoice")
    assert response.headers["Content-Disposition"] == 'attachment; filename="ledgerhub-shop-1-fake-log.csv"'
    table = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["source_id"] for r in table] == ["I-1043", "I-1042", "I-1041"]
    assert table[1]["outcome"] == "needs_attention" and "inactive" in table[1]["error"]
    hub.sync()
    everything = owner.get(LOG + "/export.csv").get_data(as_text=True)
    assert "'=HYPERLINK(1)" in everything and "\n=HYPERLINK" not in everything


def test_history_says_what_the_hub_holds_and_what_a_record_waits_for(owner: UiClient, hub, fake_target,
                                                                     connection_id: int) -> None:
    fake_target.fail(EntityKind.CUSTOMER, "C-9", NeedsAttentionError("name already used by a vendor"))
    hub.ingest("shop-1", [Customer(id="C-9", first_name="Bo"), invoice("2001", customer="C-9")])
    hub.sync(connection_id)
    html = owner.get(LOG + "/records/invoice/I-2001").get_data(as_text=True)
    assert "version 1, received 2026-01-05 12:00:00 UTC" in html
    assert re.search(r'data-testid="delivery-1">Waiting for a related record: waiting for customer C-9 to '
                     r"reach Fake Books", html)
    assert "Nothing was sent for this record yet." in html
    unknown = owner.get(LOG + "/records/invoice/I-none").get_data(as_text=True)
    assert "never received from the shop system" in unknown
