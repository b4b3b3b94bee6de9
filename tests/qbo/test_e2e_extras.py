"""End to end: income-account mapping (and its CLI listing), preview, status, the demo hook."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import ledgerhub_qbo
from click.testing import CliRunner
from ledgerhub_qbo.cli import qbo_accounts

from hub.domain.records import Payment, PaymentMethod, Shop

from .conftest import customer, full_invoice
from .sandbox_hub import connect, settings_for


def test_each_item_posts_to_the_income_account_the_shop_mapped(qbo_hub, sandbox, us_shop):
    conn = connect(qbo_hub, sandbox, us_shop)
    accounts = {a["Name"]: a["Id"] for a in conn.objects("Account")}
    items = {i["Name"]: i for i in conn.objects("Item")}
    assert {i["IncomeAccountRef"]["value"] for i in items.values()} == {accounts["Sales of Product Income"]}
    settings = {**settings_for(sandbox), "income_accounts": {"Labor": accounts["Labor Income"],
                                                             "Labor Discounts": accounts["Discounts given"]}}
    qbo_hub.connect(us_shop.id, "qbo", settings)
    qbo_hub.ingest(us_shop.id, [customer()])
    conn.sync()
    items = {i["Name"]: i for i in conn.objects("Item")}
    assert items["Labor"]["IncomeAccountRef"]["value"] == accounts["Labor Income"]
    assert items["Labor Discounts"]["IncomeAccountRef"]["value"] == accounts["Discounts given"]
    assert items["Parts"]["IncomeAccountRef"]["value"] == accounts["Sales of Product Income"]

    target = qbo_hub.targets["qbo"]
    choices = target.income_account_choices(qbo_hub.services.connection(conn.connection_id))
    assert (accounts["Labor Income"], "Labor Income") in choices
    assert "Cost of Goods Sold" not in {name for _, name in choices}

    result = CliRunner().invoke(qbo_accounts, [str(conn.connection_id)],
                                obj=SimpleNamespace(services=qbo_hub.services))
    assert result.exit_code == 0, result.output
    assert "Labor Income" in result.output and "(default)" in result.output
    assert "Labor            → Labor Income" in result.output
    assert "Parts            → Sales of Product Income" in result.output


def test_preview_shows_the_request_bodies_and_sends_nothing(qbo_hub, sandbox, us_shop):
    conn = connect(qbo_hub, sandbox, us_shop)
    before = len(sandbox.request_log(conn.realm))
    invoice = full_invoice()
    payment = Payment(id="P-1", invoice_id=invoice.id, amount=Decimal("50.00"), method=PaymentMethod.CASH,
                      received_on=date(2026, 11, 22))
    qbo_hub.ingest(us_shop.id, [customer(), invoice, payment])
    [document] = qbo_hub.preview(us_shop.id, "qbo", invoice)
    request = json.loads(document.body, parse_float=Decimal)
    assert document.content_type == "application/json"
    assert request["method"] == "POST" and request["path"].endswith("/invoice")
    assert request["body"]["DocNumber"] == "1042"
    assert sum(line["Amount"] for line in request["body"]["Line"]) == invoice.subtotal
    [pay_doc] = qbo_hub.preview(us_shop.id, "qbo", payment)
    assert json.loads(pay_doc.body, parse_float=Decimal)["body"]["TotalAmt"] == Decimal("50.00")
    assert len(sandbox.request_log(conn.realm)) == before
    assert conn.objects("Invoice") == []


def test_status_reads_like_a_sentence(qbo_hub, sandbox, us_shop):
    conn = connect(qbo_hub, sandbox, us_shop)
    qbo_hub.ingest(us_shop.id, [customer()])
    conn.sync()
    assert qbo_hub.connection_status(conn.connection_id) == "Connected, last sync: less than a minute ago"


def test_the_demo_connection_runs_its_own_sandbox_and_approves_by_itself(qbo_hub, tmp_path):
    shop = Shop(id="demo-shop", name="Demo Garage", country="US")
    qbo_hub.create_shop(shop)
    demo = ledgerhub_qbo.ledgerhub_demo_connection(shop=shop, workdir=tmp_path)
    assert demo is not None and demo.target_name == "qbo" and demo.authorize and demo.teardown
    try:
        connection_id = qbo_hub.connect(shop.id, "qbo", demo.settings)
        url = qbo_hub.begin_authorization(connection_id, "http://127.0.0.1:5000/oauth/callback")
        qbo_hub.complete_authorization(connection_id, demo.authorize(url))
        qbo_hub.ingest(shop.id, [customer(), full_invoice()])
        qbo_hub.sync(connection_id)
        assert qbo_hub.delivery_history(shop.id, "invoice", "INV-1042")[-1].status == "delivered"
    finally:
        demo.teardown()
    assert ledgerhub_qbo.ledgerhub_demo_connection(shop=Shop(id="ca", name="Maple", country="CA"),
                                                   workdir=tmp_path) is None


def test_preview_works_before_the_shop_has_connected(qbo_hub, us_shop):
    invoice = full_invoice()
    qbo_hub.ingest(us_shop.id, [customer(), invoice])
    [document] = qbo_hub.preview(us_shop.id, "qbo", invoice)
    request = json.loads(document.body, parse_float=Decimal)
    refs = {line["SalesItemLineDetail"]["ItemRef"]["value"] for line in request["body"]["Line"]}
    assert "<Labor item id>" in refs and "<Parts item id>" in refs
    assert request["body"]["DocNumber"] == "1042"
