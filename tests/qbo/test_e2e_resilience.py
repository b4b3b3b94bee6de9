"""End to end, when things go wrong: token expiry and rotation, revoked grants, 5xx storms,
throttling, answers lost after the write, and the two start modes with the batch API."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from intuitlib.client import AuthClient
from intuitlib.exceptions import AuthClientError
from ledgerhub_qbo.limiter import TIME_SCALE_ENV
from ledgerhub_qbo_sandbox import Limits, SandboxServer

from hub.sync.context import StoredValues

from .conftest import customer, full_invoice
from .sandbox_hub import bookkeeper, connect, make_hub


def _tokens(conn) -> dict:
    return StoredValues(conn.hub.core, conn.connection_id, "secrets", encrypted=True).get("tokens")


def _auth_client(sandbox: SandboxServer) -> AuthClient:
    creds = sandbox.client_credentials
    return AuthClient(creds.client_id, creds.client_secret, "http://127.0.0.1/callback",
                      sandbox.discovery_url)


def test_expired_access_tokens_mid_sync_are_refreshed_and_each_rotation_is_stored(
        qbo_hub, sandbox, us_shop, clock):
    conn = connect(qbo_hub, sandbox, us_shop)
    qbo_hub.ingest(us_shop.id, [customer(), full_invoice("1001")])
    conn.sync()
    first = _tokens(conn)
    sandbox.expire_access_tokens()
    qbo_hub.ingest(us_shop.id, [full_invoice("1002")])
    conn.sync()
    second = _tokens(conn)
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    sandbox.faults.inject_next("401")  # QBO says "expired" in the middle of a batch
    qbo_hub.ingest(us_shop.id, [full_invoice("1003")])
    conn.sync()
    third = _tokens(conn)
    assert third["refresh_token"] != second["refresh_token"]
    assert sorted(i["DocNumber"] for i in conn.objects("Invoice")) == ["1001", "1002", "1003"]
    # The stored (latest) refresh token is the one QBO honours now.
    client = _auth_client(sandbox)
    client.refresh(refresh_token=third["refresh_token"])


def test_a_token_near_expiry_is_refreshed_before_the_batch(qbo_hub, sandbox, us_shop, clock):
    conn = connect(qbo_hub, sandbox, us_shop)
    before = _tokens(conn)
    clock.advance(minutes=58)
    qbo_hub.ingest(us_shop.id, [customer()])
    conn.sync()
    assert _tokens(conn)["access_token"] != before["access_token"]
    assert not any(e.get("status") == 401 for e in sandbox.request_log(conn.realm))


@pytest.mark.parametrize("how", ["revoked", "expired"])
def test_a_revoked_or_expired_grant_disconnects_with_reconnect_to_quickbooks(qbo_hub, sandbox, us_shop, how):
    conn = connect(qbo_hub, sandbox, us_shop)
    if how == "revoked":
        _auth_client(sandbox).revoke(token=_tokens(conn)["refresh_token"])
    else:
        sandbox.advance(101 * 86400)  # past the refresh token's 100 days
    qbo_hub.ingest(us_shop.id, [customer()])
    report = qbo_hub.sync(conn.connection_id)
    assert report.disconnected == [conn.connection_id]
    assert qbo_hub.connection_status(conn.connection_id) == "Disconnected: reconnect to QuickBooks Online"
    assert qbo_hub.get_connection(conn.connection_id).status_reason == "Reconnect to QuickBooks"
    assert conn.objects("Customer") == []


def test_disconnecting_revokes_the_grant(qbo_hub, sandbox, us_shop):
    conn = connect(qbo_hub, sandbox, us_shop)
    refresh_token = _tokens(conn)["refresh_token"]
    qbo_hub.disconnect(conn.connection_id)
    with pytest.raises(AuthClientError):
        _auth_client(sandbox).refresh(refresh_token=refresh_token)


def test_a_5xx_storm_delays_but_never_duplicates(qbo_hub, sandbox, us_shop, clock):
    conn = connect(qbo_hub, sandbox, us_shop)
    invoices = [full_invoice(str(n)) for n in range(2001, 2005)]
    qbo_hub.ingest(us_shop.id, [customer(), *invoices])
    # Fewer failures in a row than the hub's attempts per record (5 in tests), more than one batch.
    sandbox.faults.inject_next("500", 2)
    sandbox.faults.inject_next("503", 2)
    conn.sync(clock, rounds=6)
    assert sorted(i["DocNumber"] for i in conn.objects("Invoice")) == ["2001", "2002", "2003", "2004"]
    assert all(conn.history("invoice", i.id).status == "delivered" for i in invoices)


@pytest.mark.parametrize("kind", ["customer", "invoice"])
def test_an_answer_lost_after_the_write_is_looked_up_not_created_again(
        qbo_hub, sandbox, us_shop, clock, kind):
    conn = connect(qbo_hub, sandbox, us_shop)
    if kind == "invoice":
        qbo_hub.ingest(us_shop.id, [customer()])
        conn.sync()
    sandbox.faults.slow_seconds = 0.0
    sandbox.faults.inject_next("slow")  # the item check before the batch goes through
    sandbox.faults.inject_next("drop")  # the create is applied, its answer never arrives
    qbo_hub.ingest(us_shop.id, [customer(), full_invoice()] if kind == "invoice" else [customer()])
    conn.sync()
    source_id = "INV-1042" if kind == "invoice" else "C-1"
    assert conn.history(kind, source_id).status == "pending"
    conn.sync(clock, rounds=3)
    assert conn.history(kind, source_id).status == "delivered"
    entity = "Invoice" if kind == "invoice" else "Customer"
    assert len(conn.objects(entity)) == 1


def test_throttling_by_quickbooks_backs_off_and_everything_arrives_once(hub_config, clock, shop, monkeypatch):
    monkeypatch.setenv(TIME_SCALE_ENV, "5")
    with SandboxServer(port=0, time_scale=5, auto_approve=True) as sandbox:
        hub = make_hub(replace(hub_config, max_attempts=12), clock)
        try:
            hub.create_shop(shop)
            conn = connect(hub, sandbox, shop)
            # From now on QuickBooks allows less than our limiter lets through (3/s against 9/s).
            sandbox.state.throttle.limits = Limits(per_minute=500, per_second=3, concurrent=10,
                                                   batch_per_minute=40)
            invoices = [full_invoice(str(n)) for n in range(3001, 3011)]
            hub.ingest(shop.id, [customer(), *invoices])
            for _ in range(12):
                conn.sync(clock)
                sandbox.advance(60)  # QBO's windows move on (in sandbox time, no sleeping)
            assert sandbox.throttle_counters(conn.realm)["throttled_total"] > 0
            assert sorted(i["DocNumber"] for i in conn.objects("Invoice")) == [i.number for i in invoices]
            assert all(conn.history("invoice", i.id).status == "delivered" for i in invoices)
            # After a 429 the rest of that batch waited instead of hammering QBO.
            log = sandbox.request_log(conn.realm)
            assert sum(1 for e in log if e.get("outcome") == "throttled") <= 12
        finally:
            hub.close()


def test_forward_mode_sends_only_what_comes_after_connecting(qbo_hub, sandbox, us_shop):
    old = full_invoice("4001")
    qbo_hub.ingest(us_shop.id, [customer(), old])
    conn = connect(qbo_hub, sandbox, us_shop, start_mode="forward")
    qbo_hub.ingest(us_shop.id, [customer("C-2", first_name="Ann"), full_invoice("4002", customer_id="C-2")])
    conn.sync()
    assert [i["DocNumber"] for i in conn.objects("Invoice")] == ["4002"]


def test_full_history_uses_the_batch_api_stays_under_the_limits_and_updates_existing_numbers(
        qbo_hub, sandbox, us_shop, clock):
    customers = [customer(f"C-{n}", first_name=f"Name{n}") for n in range(1, 6)]
    invoices = [full_invoice(str(5000 + n), customer_id=f"C-{1 + n % 5}") for n in range(40)]
    qbo_hub.ingest(us_shop.id, [*customers, *invoices])
    # A bookkeeper already keyed invoice 5003 into QuickBooks by hand.
    realm = sandbox.default_realm_id
    walk_in = bookkeeper(sandbox, realm, "POST", "customer", {"DisplayName": "Walk-in"})["Customer"]["Id"]
    account = bookkeeper(sandbox, realm, "GET", "query?query=select * from Account where AccountType = "
                                                "'Income'")["QueryResponse"]["Account"][0]["Id"]
    misc = bookkeeper(sandbox, realm, "POST", "item", {"Name": "Misc", "Type": "Service",
                                                       "IncomeAccountRef": {"value": account}})["Item"]["Id"]
    line = {"DetailType": "SalesItemLineDetail", "Amount": 10,
            "SalesItemLineDetail": {"ItemRef": {"value": misc}, "Qty": 1, "UnitPrice": 10}}
    bookkeeper(sandbox, realm, "POST", "invoice", {"DocNumber": "5003", "CustomerRef": {"value": walk_in},
                                                   "Line": [line]})
    conn = connect(qbo_hub, sandbox, us_shop, start_mode="history")
    assert conn.realm == realm
    conn.sync(clock, rounds=3)
    stored = conn.objects("Invoice")
    assert sorted(i["DocNumber"] for i in stored) == sorted(i.number for i in invoices)
    by_number = {i["DocNumber"]: i for i in stored}
    assert Decimal(str(by_number["5003"]["TotalAmt"])) == invoices[3].total
    batches = [e for e in sandbox.request_log(conn.realm) if e.get("operation") == "batch"]
    assert len(batches) >= 2
    assert all(0 < len(e["body"]["BatchItemRequest"]) <= 30 for e in batches)
    assert sandbox.throttle_counters(conn.realm)["throttled_total"] == 0
    done, total = qbo_hub.backfill_progress(conn.connection_id)
    assert total > 0 and done == total


def test_workers_refreshing_through_the_hubs_store_keep_one_token_chain(
        qbo_hub, sandbox, us_shop, clock):
    import threading

    from ledgerhub_qbo import tokens
    from ledgerhub_qbo.session import settings_of

    conn = connect(qbo_hub, sandbox, us_shop)
    clock.advance(minutes=57)  # every worker now finds the token about to expire
    contexts = [qbo_hub.services.connection(conn.connection_id) for _ in range(3)]
    results: list[dict] = []
    errors: list[BaseException] = []

    def worker(ctx) -> None:
        try:
            results.append(tokens.fresh_tokens(ctx, settings_of(ctx)))
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(ctx,)) for ctx in contexts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len({r["access_token"] for r in results}) == 1  # one refresh, shared by all three
    assert results[0]["refresh_token"] == _tokens(conn)["refresh_token"]
    _auth_client(sandbox).refresh(refresh_token=_tokens(conn)["refresh_token"])
