"""QBO's per-realm limits with its own numbers: 500/minute, 10/second, 10 at once, 40 batches/minute.

The sandbox runs almost frozen in time (time scale 0.001) and the tests step its clock, so the
windows are exact and the tests fast.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from ledgerhub_qbo_sandbox import Limits, SandboxServer
from quickbooks.exceptions import QuickbooksException, ValidationException
from quickbooks.objects.customer import Customer

from .conftest import Connected, client_for

COUNT = "SELECT COUNT(*) FROM Customer"


@pytest.fixture
def frozen() -> Iterator[Connected]:
    """A company on a sandbox whose clock only moves when the test says."""
    with SandboxServer(port=0, time_scale=0.001) as sandbox:
        yield client_for(sandbox, sandbox.default_realm_id)


def call(
    conn: Connected,
    session: requests.Session,
    path: str = "query",
    body: str = COUNT,
    content_type: str = "application/text",
) -> requests.Response:
    return session.post(
        f"{conn.sandbox.base_url}/v3/company/{conn.realm_id}/{path}",
        data=body,
        timeout=10,
        params={"minorversion": "75"},
        headers={
            "Authorization": f"Bearer {conn.auth.access_token}",
            "Content-Type": content_type,
            "Accept": "application/json",
        },
    )


def test_ten_requests_a_second(frozen: Connected) -> None:
    with requests.Session() as session:
        statuses = [call(frozen, session).status_code for _ in range(10)]
        refused = call(frozen, session)
    assert statuses == [200] * 10
    assert refused.status_code == 429
    error = refused.json()["Fault"]["Error"][0]
    assert error["code"] == "3001" and "ThrottleExceeded" in error["Message"]
    with pytest.raises(ValidationException) as raised:
        Customer.count(qb=frozen.qb)
    assert raised.value.error_code == 3001
    frozen.sandbox.advance(1.01)
    assert Customer.count(qb=frozen.qb) == 0
    counters = frozen.sandbox.throttle_counters(frozen.realm_id)
    assert counters["throttled"]["per_second"] == 2 and counters["accepted"] == 11


def test_five_hundred_requests_a_minute(frozen: Connected) -> None:
    with requests.Session() as session:
        for _ in range(500):
            assert call(frozen, session).status_code == 200
            frozen.sandbox.advance(0.11)
        assert call(frozen, session).status_code == 429
        assert frozen.sandbox.throttle_counters(frozen.realm_id)["throttled"]["per_minute"] == 1
        frozen.sandbox.advance(6)  # the oldest requests leave the one-minute window
        assert call(frozen, session).status_code == 200


def test_forty_batch_requests_a_minute(frozen: Connected) -> None:
    batch = json.dumps({"BatchItemRequest": [{"bId": "q1", "Query": COUNT}]})
    with requests.Session() as session:
        for _ in range(40):
            answer = call(frozen, session, "batch", batch, "application/json")
            assert answer.status_code == 200
            assert answer.json()["BatchItemResponse"][0]["QueryResponse"]["totalCount"] == 0
            frozen.sandbox.advance(0.2)
        assert call(frozen, session, "batch", batch, "application/json").status_code == 429
        assert call(frozen, session).status_code == 200  # plain requests still pass
    assert frozen.sandbox.throttle_counters(frozen.realm_id)["throttled"]["batch_per_minute"] == 1


def test_ten_requests_at_once(frozen: Connected) -> None:
    frozen.sandbox.faults.update({"slow": 1.0, "slow_seconds": 0.0015})  # 1.5 s of real time each
    with ThreadPoolExecutor(max_workers=10) as pool:
        slow = [pool.submit(call, frozen, requests.Session()) for _ in range(10)]
        deadline = time.monotonic() + 1.5
        while frozen.sandbox.throttle_counters(frozen.realm_id)["in_flight"] < 10:
            assert time.monotonic() < deadline, "the ten slow requests never were in flight together"
            time.sleep(0.01)
        frozen.sandbox.faults.reset()
        eleventh = call(frozen, requests.Session())
        statuses = [future.result().status_code for future in slow]
    assert statuses == [200] * 10 and eleventh.status_code == 429
    counters = frozen.sandbox.throttle_counters(frozen.realm_id)
    assert counters["throttled"]["concurrent"] == 1 and counters["peak_in_flight"] == 10


def test_limits_are_per_realm(frozen: Connected) -> None:
    other = client_for(frozen.sandbox, frozen.sandbox.create_realm("Other"))
    with requests.Session() as session:
        for _ in range(10):
            call(frozen, session)
        assert call(frozen, session).status_code == 429
        assert call(other, session).status_code == 200


def test_xml_throttle_fault_as_qbo_has_sent_it(frozen: Connected) -> None:
    frozen.sandbox.faults.update({"throttle_format": "xml"})
    with requests.Session() as session:
        for _ in range(10):
            call(frozen, session)
    with pytest.raises(QuickbooksException) as raised:
        Customer.count(qb=frozen.qb)
    assert raised.value.error_code == 10000 and "ThrottleExceeded" in raised.value.message


def test_time_scale_compresses_the_windows() -> None:
    # At time scale 30 QBO's one-minute window lasts two real seconds.
    limits = Limits(per_minute=20, per_second=1000, concurrent=10, batch_per_minute=40)
    with SandboxServer(port=0, time_scale=30, limits=limits) as fast:
        conn = client_for(fast, fast.default_realm_id)
        with requests.Session() as session:
            started = time.monotonic()
            assert [call(conn, session).status_code for _ in range(21)] == [200] * 20 + [429]
            elapsed = time.monotonic() - started
            assert elapsed < 1.9
            time.sleep(2.05 - elapsed)
            assert call(conn, session).status_code == 200
