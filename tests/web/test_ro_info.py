"""Shop Settings → RO Info: the tax rate in percent, stored as a Decimal fraction."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hub.domain.records import TaxCategory
from hub.web.ui.ro_info import parse_rate_percent, rate_as_percent
from tests.web.conftest import UiClient

RO_INFO = "/shops/shop-1/settings/ro-info/"


@pytest.mark.parametrize(("typed", "stored"), [("8.25", Decimal("0.0825")), ("8.875 %", Decimal("0.08875")),
                                               ("0", Decimal("0")), ("30", Decimal("0.30"))])
def test_percent_is_parsed_exactly(typed: str, stored: Decimal) -> None:
    rate, error = parse_rate_percent(typed)
    assert error == "" and rate == stored and isinstance(rate, Decimal)


BAD_RATES = [("", "Enter the sales-tax rate"), ("eight", "must be a number"), ("-1", "between 0 and 30"),
             ("31", "between 0 and 30"), ("8.2501", "three decimal places"), ("NaN", "between 0 and 30")]


@pytest.mark.parametrize(("typed", "words"), BAD_RATES)
def test_bad_rates_are_named(typed: str, words: str) -> None:
    rate, error = parse_rate_percent(typed)
    assert rate is None and words in error


def test_page_shows_rate_categories_and_the_qbo_note(owner: UiClient) -> None:
    html = owner.get(RO_INFO).get_data(as_text=True)
    assert 'name="rate" value="8.25"' in html
    assert 'value="parts" checked' in html and 'value="labor" checked' not in html
    assert "not</strong> sent to QuickBooks Online" in html


def test_saving_updates_the_shop(owner: UiClient, hub) -> None:
    response = owner.post(RO_INFO, {"rate": "6.5", "taxable": ["labor", "parts", "bogus"]})
    assert response.status_code == 302
    tax = hub.get_shop("shop-1").tax
    assert tax.rate == Decimal("0.065")
    assert tax.taxable == frozenset({TaxCategory.LABOR, TaxCategory.PARTS})
    assert rate_as_percent(tax.rate) == "6.5"


def test_a_bad_rate_changes_nothing_and_says_why(owner: UiClient, hub) -> None:
    response = owner.post(RO_INFO, {"rate": "abc", "taxable": ["labor"]})
    assert response.status_code == 422
    assert '<p class="error" id="rate-err">The rate must be a number' in response.get_data(as_text=True)
    assert hub.get_shop("shop-1").tax.rate == Decimal("0.0825")
