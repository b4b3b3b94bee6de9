"""The DisplayName clash rule, query literals, and QBO fault classification."""

from __future__ import annotations

import pytest
from ledgerhub_qbo.faults import FaultKind, QboFault, kind_for, parse_retry_after, to_delivery_error
from ledgerhub_qbo.names import disambiguated, query_literal

from hub.errors import FatalConnectionError, NeedsAttentionError, RetryableError


def test_disambiguated_names_append_the_shop_customer_id_then_a_counter():
    assert disambiguated("John Smith", "C-104", 1) == "John Smith (C-104)"
    assert disambiguated("John Smith", "C-104", 2) == "John Smith (C-104) 2"
    long = disambiguated("A" * 500, "C-104", 3)
    assert len(long) == 500 and long.endswith("(C-104) 3")


def test_query_literal_escapes_quotes():
    assert query_literal("O'Brien") == "'O\\'Brien'"


@pytest.mark.parametrize(("code", "status", "kind"), [
    (0, 429, FaultKind.THROTTLED), (3001, 200, FaultKind.THROTTLED), (0, 401, FaultKind.UNAUTHORIZED),
    (3200, 401, FaultKind.UNAUTHORIZED), (5010, 400, FaultKind.STALE),
    (6140, 400, FaultKind.DUPLICATE_DOC_NUMBER),
    (6240, 400, FaultKind.DUPLICATE_NAME), (610, 400, FaultKind.NOT_FOUND), (0, 503, FaultKind.RETRYABLE),
    (10000, 500, FaultKind.RETRYABLE), (6000, 400, FaultKind.INVALID), (2050, 400, FaultKind.INVALID),
])
def test_kind_for(code, status, kind):
    assert kind_for(code, status) is kind


def test_throttle_waits_as_qbo_asks_or_sixty_seconds():
    told = to_delivery_error(QboFault(FaultKind.THROTTLED, "x", status=429, retry_after=7))
    assert isinstance(told, RetryableError) and told.retry_after == 7
    untold = to_delivery_error(QboFault(FaultKind.THROTTLED, "x", status=429))
    assert isinstance(untold, RetryableError) and untold.retry_after == 60
    assert parse_retry_after("12") == 12 and parse_retry_after("soon") is None


def test_validation_faults_need_attention_in_plain_words_and_auth_means_reconnect():
    error = to_delivery_error(QboFault(FaultKind.INVALID, "Business Validation Error", code=6210,
                                       detail="Account period closed"), "Invoice 7")
    assert isinstance(error, NeedsAttentionError)
    assert error.message.startswith("Invoice 7: The accounting period for this date is closed")
    assert "Account period closed" in error.message
    fatal = to_delivery_error(QboFault(FaultKind.UNAUTHORIZED, "nope", status=401))
    assert isinstance(fatal, FatalConnectionError) and fatal.message == "Reconnect to QuickBooks"
    assert isinstance(to_delivery_error(QboFault(FaultKind.UNKNOWN_OUTCOME, "timeout")), RetryableError)
