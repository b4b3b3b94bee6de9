"""Items adopted from the company keep the bookkeeper's income account; created ones get the
default; an explicit mapping moves either."""

from __future__ import annotations

from .conftest import customer
from .sandbox_hub import bookkeeper, connect, settings_for


def test_an_adopted_item_keeps_its_account_until_the_shop_maps_it(qbo_hub, sandbox, us_shop):
    realm = sandbox.default_realm_id
    accounts = {a["Name"]: a["Id"] for a in sandbox.objects(realm, "Account")}
    bookkeeper(sandbox, realm, "POST", "item",
               {"Name": "Labor", "Type": "Service", "IncomeAccountRef": {"value": accounts["Services"]}})
    conn = connect(qbo_hub, sandbox, us_shop)
    assert conn.realm == realm
    adopted = {i["Name"]: i for i in conn.objects("Item")}["Labor"]
    for round_ in range(2):
        qbo_hub.ingest(us_shop.id, [customer(f"C-{round_}")])
        conn.sync()
        items = {i["Name"]: i for i in conn.objects("Item")}
        assert items["Labor"]["Id"] == adopted["Id"]
        assert items["Labor"]["IncomeAccountRef"]["value"] == accounts["Services"]
        assert items["Labor"]["SyncToken"] == adopted["SyncToken"]  # not even touched
        assert items["Parts"]["IncomeAccountRef"]["value"] == accounts["Sales of Product Income"]

    settings = {**settings_for(sandbox), "income_accounts": {"Labor": accounts["Labor Income"]}}
    qbo_hub.connect(us_shop.id, "qbo", settings)
    qbo_hub.ingest(us_shop.id, [customer("C-mapped")])
    conn.sync()
    items = {i["Name"]: i for i in conn.objects("Item")}
    assert items["Labor"]["IncomeAccountRef"]["value"] == accounts["Labor Income"]
    assert items["Parts"]["IncomeAccountRef"]["value"] == accounts["Sales of Product Income"]
