"""The unknown-reference message reads as English: "an invoice", "a customer"."""

from __future__ import annotations

import pytest

from hub.domain.records import Shop
from hub.errors import RecordValidationError
from hub.sync.runtime import Hub
from tests.fakes.records import invoice, payment


def test_unknown_invoice_reference_says_an_invoice(hub: Hub, shop: Shop) -> None:
    with pytest.raises(RecordValidationError) as error:
        hub.ingest(shop.id, [payment("P-1", "RO-404")])
    assert error.value.errors == {
        "invoice_id": [
            "must name an invoice of this shop sent before or in the same call (no invoice 'RO-404')"
        ]
    }


def test_unknown_customer_reference_says_a_customer(hub: Hub, shop: Shop) -> None:
    with pytest.raises(RecordValidationError) as error:
        hub.ingest(shop.id, [invoice("RO-1", "C-404")])
    assert error.value.errors["customer_id"] == [
        "must name a customer of this shop sent before or in the same call (no customer 'C-404')"
    ]
