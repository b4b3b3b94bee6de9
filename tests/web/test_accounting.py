"""Shop Settings → Accounting: cards, the subscription switch, connecting with a settings
form, status words, disconnecting."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from decimal import Decimal

from hub import Customer, EntityKind, Invoice, NeedsAttentionError
from hub.domain.records import Shop
from tests.web.conftest import UiClient

ACCOUNTING = "/shops/shop-1/settings/accounting/"


def card(html: str, name: str) -> str:
    """The HTML of one target's card."""
    match = re.search(rf'<section class="card[^"]*"[^>]*id="target-{name}">(.*?)</section>', html, re.S)
    assert match, f"no card for {name}"
    return match.group(1)


def status_of(html: str, name: str) -> str:
    match = re.search(rf'<span data-testid="status-{name}">([^<]*)<', html)
    assert match
    return match.group(1)


def test_a_card_per_target_with_what_it_sends(owner: UiClient) -> None:
    html = owner.get(ACCOUNTING).get_data(as_text=True)
    qbo = card(html, "qbo")
    assert "QuickBooks Online" in qbo
    assert re.search(r"Invoices \(closed repair orders\)</th><td><span aria-label=\"sent\">", qbo)
    assert re.search(r"Vendors</th><td><span class=\"muted\">not sent", qbo)
    assert status_of(html, "fake") == "Not connected"
    assert status_of(html, "qbo") == "Not connected"


def test_qbo_without_subscription_has_no_connect_button(owner: UiClient, hub) -> None:
    qbo = card(owner.get(ACCOUNTING).get_data(as_text=True), "qbo")
    assert "separate subscription" in qbo and "contact LedgerHub support" in qbo
    assert "Connect to QuickBooks" not in qbo
    assert owner.get(ACCOUNTING + "qbo/connect").status_code == 403
    hub.set_feature("shop-1", "qbo", True)
    qbo = card(owner.get(ACCOUNTING).get_data(as_text=True), "qbo")
    assert "Connect to QuickBooks" in qbo
    assert "separate subscription" not in qbo


def test_qbo_is_greyed_out_for_a_canadian_shop_with_a_pointer(owner: UiClient, hub, shop) -> None:
    hub.set_feature("shop-1", "qbo", True)
    hub.update_shop(replace(shop, country="CA", region="ON"))
    html = owner.get(ACCOUNTING).get_data(as_text=True)
    assert 'class="card unavailable"' in html
    qbo = card(html, "qbo")
    assert "not offered for Canadian shops" in qbo
    assert 'href="#target-fake">Fake Books</a>' in qbo
    assert "Connect to QuickBooks" not in qbo
    assert owner.get(ACCOUNTING + "qbo/connect").status_code == 403


def test_settings_errors_appear_next_to_the_field(owner: UiClient, hub) -> None:
    response = owner.post(ACCOUNTING + "fake/connect", {"label": "Books", "company": "WAYTOOLONGNAME"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'id="f-company"[^>]*aria-invalid="true"', html, re.S)
    assert re.search(r'<p class="error" id="err-company">Length must be between 2 and 8', html)
    assert hub.connections("shop-1") == []


def test_connect_then_status_words_then_disconnect(owner: UiClient, hub, fake_target, clock) -> None:
    response = owner.post(ACCOUNTING + "fake/connect", {"label": "Books", "company": "MAIN"})
    assert response.status_code == 302
    [conn] = hub.connections("shop-1")
    assert (conn.settings["label"], conn.settings["company"]) == ("Books", "MAIN")
    assert status_of(owner.get(ACCOUNTING).get_data(as_text=True), "fake") == "Connected, last sync: not yet"

    customers = [Customer(id=f"C-{i}", first_name="Ann", last_name=f"Lee {i}") for i in range(4)]
    hub.ingest("shop-1", customers)
    for c in customers[:3]:
        fake_target.fail(EntityKind.CUSTOMER, c.id, NeedsAttentionError("inactive in the books"))
    hub.sync(conn.id)
    assert status_of(owner.get(ACCOUNTING).get_data(as_text=True), "fake") == "Needs attention: 3 records"
    for delivery in hub.needs_attention(conn.id):
        hub.skip(delivery.id)
    assert status_of(owner.get(ACCOUNTING).get_data(as_text=True), "fake") == \
        "Connected, last sync: less than a minute ago"

    owner.post(ACCOUNTING + f"connections/{conn.id}/disconnect", page=ACCOUNTING)
    html = owner.get(ACCOUNTING).get_data(as_text=True)
    assert status_of(html, "fake") == "Not connected"
    assert "Disconnected from Fake Books" in html


def test_edit_settings_keeps_the_connection(owner: UiClient, hub) -> None:
    owner.post(ACCOUNTING + "fake/connect", {"label": "Books", "company": "MAIN"})
    [conn] = hub.connections("shop-1")
    url = ACCOUNTING + f"connections/{conn.id}/settings"
    assert 'value="MAIN"' in owner.get(url).get_data(as_text=True)
    bad = owner.post(url, {"label": "Books", "company": "X"})
    assert bad.status_code == 422
    assert owner.post(url, {"label": "New", "company": "NEW"}).status_code == 302
    [again] = hub.connections("shop-1")
    assert again.id == conn.id and again.settings["company"] == "NEW"


def test_send_now_delivers_what_waits(owner: UiClient, hub, fake_target) -> None:
    owner.post(ACCOUNTING + "fake/connect", {"company": "MAIN"})
    [conn] = hub.connections("shop-1")
    invoice = Invoice(id="I-1042", number="1042", customer_id="C-1", invoice_date=date(2026, 1, 5),
                      shop_supplies=Decimal("10.00"), total=Decimal("10.00"))
    hub.ingest("shop-1", [Customer(id="C-1", first_name="Ann"), invoice])
    owner.post(ACCOUNTING + f"connections/{conn.id}/send-now", page=ACCOUNTING)
    assert {o.source_id for o in fake_target.objects.values()} == {"C-1", "I-1042"}


def test_unknown_shop_and_target_are_not_found(hub, ui: UiClient) -> None:
    from tests.web.conftest import OPERATOR, PASSWORD

    ui.sign_in(OPERATOR, PASSWORD)
    assert ui.get("/shops/nope/settings/accounting/").status_code == 404
    hub.create_shop(Shop(id="shop-3", name="Third"))
    assert ui.get("/shops/shop-3/settings/accounting/nope/connect").status_code == 404


def test_connection_warnings_show_on_the_card(owner: UiClient, hub) -> None:
    connection_id = hub.connect("shop-1", "fake", {"company": "MAIN"})
    hub.services.connection(connection_id).warn("The item Parts was renamed in the books; it was recreated.")
    fake = card(owner.get(ACCOUNTING).get_data(as_text=True), "fake")
    assert '<ul class="warnings" aria-label="Warnings"><li>The item Parts was renamed' in fake
