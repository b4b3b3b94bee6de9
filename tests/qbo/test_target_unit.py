"""The target's declarations and its availability rules."""

from __future__ import annotations

from ledgerhub_qbo import ledgerhub_preview, ledgerhub_targets
from ledgerhub_qbo.settings import QboSettingsSchema
from ledgerhub_qbo.target import QboTarget, company_country_refusal

from hub.domain.kinds import EntityKind
from hub.domain.records import Shop


def test_the_hook_offers_one_oauth_target_for_customers_invoices_and_payments():
    [target] = ledgerhub_targets()
    assert isinstance(target, QboTarget)
    assert (target.name, target.title, target.needs_authorization) == ("qbo", "QuickBooks Online", True)
    assert target.entities == {EntityKind.CUSTOMER, EntityKind.INVOICE, EntityKind.PAYMENT}
    assert target.batch_size <= 30
    assert ledgerhub_preview(target_name="csv_export", context=None, delivery=None) is None


def test_canadian_shops_are_pointed_to_accounting_link_and_us_shops_are_welcome():
    target = QboTarget()
    reason = target.unavailable_reason(Shop(id="s", name="Maple Auto", country="CA"))
    assert reason is not None and "Canada" in reason and "Accounting Link" in reason
    assert target.unavailable_reason(Shop(id="s", name="Main St", country="US")) is None
    assert "not available in GB" in (target.unavailable_reason(Shop(id="s", name="x", country="GB")) or "")


def test_company_country_refusal():
    assert company_country_refusal("US") is None and company_country_refusal("USA") is None
    assert "Accounting Link" in (company_country_refusal("CAN") or "")
    assert "US companies only" in (company_country_refusal("GB") or "")


def test_settings_validate_urls_and_item_names():
    schema = QboSettingsSchema()
    local = {"api_base_url": "http://127.0.0.1:8080", "discovery_url": "https://x.example/d"}
    assert schema.validate(local) == {}
    errors = schema.validate({"api_base_url": "http://intuit.example", "discovery_url": "ftp://x",
                              "income_accounts": {"Partz": "1"}})
    assert "https" in errors["api_base_url"][0]
    assert "discovery_url" in errors and "income_accounts" in errors
    loaded = schema.load({})
    assert loaded["api_base_url"] == "https://quickbooks.api.intuit.com"
