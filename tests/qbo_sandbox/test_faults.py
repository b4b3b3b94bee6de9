"""requestid replay and fault injection: 500/503, slow answers, dropped connections, 401."""

from __future__ import annotations

import json
import time

import pytest
import requests
from quickbooks.exceptions import AuthorizationException, QuickbooksException, SevereException
from quickbooks.objects.customer import Customer

from .conftest import Connected
from .helpers import customer, fault_code, invoice, item, raw, sales_line


def test_a_repeated_requestid_returns_the_first_answer_and_has_no_second_effect(us: Connected) -> None:
    jane, labor = customer(us.qb, "Jane"), item(us.qb, "Labor")
    first = invoice(us.qb, jane.Id, [sales_line(labor.Id, "10.00")], doc_number="RO-1", request_id="req-1")
    again = invoice(us.qb, jane.Id, [sales_line(labor.Id, "10.00")], doc_number="RO-1", request_id="req-1")
    assert again.Id == first.Id and again.MetaData.CreateTime == first.MetaData.CreateTime
    assert len(us.sandbox.objects(us.realm_id, "Invoice")) == 1
    log = us.sandbox.request_log(us.realm_id)
    assert [entry["outcome"] for entry in log[-2:]] == ["ok", "replayed"]


def test_requestid_longer_than_50_characters_is_refused(us: Connected) -> None:
    answer = raw(us, "POST", "customer", {"DisplayName": "Ann"}, params={"requestid": "r" * 51})
    assert answer.status_code == 400 and fault_code(answer) == "2130"
    assert us.sandbox.objects(us.realm_id, "Customer") == []


def test_dropped_connection_after_the_change_then_retry_with_the_same_requestid(us: Connected) -> None:
    us.sandbox.faults.inject_next("drop")
    with pytest.raises(requests.ConnectionError):
        customer_body = Customer()
        customer_body.DisplayName = "Dropped Dan"
        customer_body.save(qb=us.qb, request_id="drop-1")
    stored = us.sandbox.objects(us.realm_id, "Customer")
    assert [c["DisplayName"] for c in stored] == ["Dropped Dan"]  # applied, though nobody heard
    retry = Customer()
    retry.DisplayName = "Dropped Dan"
    assert retry.save(qb=us.qb, request_id="drop-1").Id == stored[0]["Id"]
    assert len(us.sandbox.objects(us.realm_id, "Customer")) == 1
    without_requestid = Customer()
    without_requestid.DisplayName = "Dropped Dan"
    with pytest.raises(QuickbooksException) as raised:
        without_requestid.save(qb=us.qb)
    assert raised.value.error_code == 6240


@pytest.mark.parametrize("status", [500, 503])
def test_injected_server_errors_apply_nothing(us: Connected, status: int) -> None:
    us.sandbox.faults.inject_next(str(status))
    answer = raw(us, "POST", "customer", {"DisplayName": "Ann"})
    assert answer.status_code == status and fault_code(answer) == "10000"
    assert us.sandbox.objects(us.realm_id, "Customer") == []
    us.sandbox.faults.inject_next(str(status))
    with pytest.raises(SevereException):
        customer(us.qb, "Ann")
    assert customer(us.qb, "Ann").Id


def test_injected_401_looks_like_an_expired_token(us: Connected) -> None:
    us.sandbox.faults.inject_next("401")
    with pytest.raises(AuthorizationException) as raised:
        Customer.count(qb=us.qb)
    assert raised.value.error_code == 401
    assert Customer.count(qb=us.qb) == 0


def test_slow_answers_take_the_configured_time_divided_by_the_time_scale(us: Connected) -> None:
    us.sandbox.faults.update({"slow": 1.0, "slow_seconds": 0.3})
    started = time.monotonic()
    assert Customer.count(qb=us.qb) == 0
    assert time.monotonic() - started >= 0.3


def test_shares_fail_about_that_share_of_requests(us: Connected) -> None:
    us.sandbox.faults.update({"error_500": 0.3, "seed": 7})
    statuses = [raw(us, "GET", f"customer/{n}").status_code for n in range(100)]
    failures = statuses.count(500)
    assert 15 <= failures <= 45
    assert set(statuses) == {400, 500}  # the others reach the API (and find no customer)


def test_fault_settings_are_validated(us: Connected) -> None:
    with pytest.raises(ValueError):
        us.sandbox.faults.update({"error_500": 1.5})
    with pytest.raises(ValueError):
        us.sandbox.faults.inject_next("explode")
    answer = requests.put(
        f"{us.sandbox.base_url}/admin/faults", data=json.dumps({"drop_after_commit": 0.2}), timeout=10
    )
    assert answer.status_code == 200 and answer.json()["drop_after_commit"] == 0.2
