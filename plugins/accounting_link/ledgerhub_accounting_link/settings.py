"""Connection settings: the form the shop fills in, and the typed view the builders read.

The API key is write-only: the schema turns it into a salted scrypt hash while loading, so the
plain key is never stored anywhere (settings or secrets) and never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from marshmallow import Schema, ValidationError, post_load, pre_load, validate, validates_schema
from marshmallow import fields as mfields

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
API_KEY_HASH = "api_key_hash"


def hash_api_key(api_key: str, salt: bytes | None = None, cost: tuple[int, int, int] | None = None) -> str:
    """``scrypt$<n>$<r>$<p>$<salt hex>$<hash hex>`` of *api_key* with a fresh random salt; the
    cost parameters are kept in the string so they can be raised later."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    n, r, p = cost or (_SCRYPT_N, _SCRYPT_R, _SCRYPT_P)
    digest = hashlib.scrypt(api_key.encode(), salt=salt, n=n, r=r, p=p, maxmem=256 * 1024 * 1024)
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


def verify_api_key(api_key: str, stored: str | None) -> bool:
    """True when *api_key* matches the *stored* hash (constant-time comparison)."""
    if not stored or not api_key:
        return False
    try:
        scheme, n, r, p, salt_hex, _ = stored.split("$")
        salt = bytes.fromhex(salt_hex)
        cost = (int(n), int(r), int(p))
    except ValueError:
        return False
    if scheme != "scrypt" or not (2 <= cost[0] <= 2**20 and cost[1] <= 64 and cost[2] <= 16):
        return False
    return hmac.compare_digest(hash_api_key(api_key, salt, cost), stored)


_recent_hashes: dict[str, str] = {}


def _hash_for_settings(api_key: str) -> str:
    """The key's hash for a settings load. The hub loads stored settings for every context it
    builds; scrypt each time would cost ~50 ms per call, so one salted hash per key is reused
    within the process (remembered under a SHA-256 of the key, never the key itself)."""
    fingerprint = hashlib.sha256(api_key.encode()).hexdigest()
    cached = _recent_hashes.get(fingerprint)
    if cached is None:
        if len(_recent_hashes) > 256:
            _recent_hashes.clear()
        cached = _recent_hashes[fingerprint] = hash_api_key(api_key)
    return cached


@dataclass(frozen=True, slots=True)
class AccountingLinkSettings:
    """The settings the qbXML builders use, with the defaults a fresh QuickBooks file has."""

    location: str = ""
    income_account: str = "Parts Sales"
    cogs_account: str = "Cost of Goods Sold"
    asset_account: str = "Inventory Asset"
    adjustment_account: str = "Inventory Adjustments"
    labor_item: str = "Labor"
    parts_item: str = "Parts"
    sublet_item: str = "Sublet"
    shop_supplies_item: str = "Shop Supplies"
    fees_item: str = "Hazmat & Fees"
    discount_item: str = "Discount"
    sublet_expense_account: str = "Cost of Goods Sold"
    purchase_fees_account: str = "Cost of Goods Sold"
    tax_code_taxable: str = "Tax"
    tax_code_non_taxable: str = "Non"
    sales_tax_item: str = ""
    payment_method_cash: str = ""
    payment_method_check: str = ""
    payment_method_card: str = ""
    payment_method_other: str = ""

    def payment_method(self, method: str) -> str:
        """The QuickBooks payment method for the shop's *method* ("" = none is sent)."""
        return str(getattr(self, f"payment_method_{method}", "") or "")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> AccountingLinkSettings:
        """Build from stored settings, ignoring unknown keys and empty values."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: str(v) for k, v in values.items() if k in known and v not in (None, "")})


_DEFAULTS = AccountingLinkSettings()


def _name(limit: int, default: str, description: str) -> mfields.String:
    return mfields.String(
        load_default=default, validate=validate.Length(min=1, max=limit),
        metadata={"description": description},
    )


def _optional(limit: int, description: str) -> mfields.String:
    return mfields.String(load_default="", validate=validate.Length(max=limit),
                          metadata={"description": description})


class AccountingLinkSettingsSchema(Schema):
    """What the shop enters to connect Accounting Link (QuickBooks Desktop)."""

    api_key = mfields.String(
        load_only=True, validate=validate.Length(min=8, max=200),
        metadata={"description": "The API key Accounting Link issued (required; stored hashed, never shown "
                                 "again; leave empty to keep the stored one).",
                  "widget": "password"},
    )
    location = mfields.String(
        required=True, validate=validate.Length(min=1),
        metadata={"description": "The one location this connection serves. Another location "
                                 "needs its own connection."},
    )
    income_account = _name(159, _DEFAULTS.income_account, "Income account for inventory parts")
    cogs_account = _name(159, _DEFAULTS.cogs_account, "Cost of goods sold account for inventory parts")
    asset_account = _name(159, _DEFAULTS.asset_account, "Inventory asset account")
    adjustment_account = _name(159, _DEFAULTS.adjustment_account,
                               "Account for quantity adjustments when the shop's count changes")
    labor_item = _name(31, _DEFAULTS.labor_item, "QuickBooks item for labor lines")
    parts_item = _name(31, _DEFAULTS.parts_item, "QuickBooks item for parts not in inventory")
    sublet_item = _name(31, _DEFAULTS.sublet_item, "QuickBooks item for sublet lines")
    shop_supplies_item = _name(31, _DEFAULTS.shop_supplies_item, "QuickBooks item for shop supplies")
    fees_item = _name(31, _DEFAULTS.fees_item, "QuickBooks item for hazmat and other fees")
    discount_item = _name(31, _DEFAULTS.discount_item, "QuickBooks discount item")
    sublet_expense_account = _name(159, _DEFAULTS.sublet_expense_account, "Expense account for sublet bills")
    purchase_fees_account = _name(159, _DEFAULTS.purchase_fees_account, "Account for fees on parts bills")
    tax_code_taxable = _name(3, _DEFAULTS.tax_code_taxable, "Sales tax code for taxable lines")
    tax_code_non_taxable = _name(3, _DEFAULTS.tax_code_non_taxable, "Sales tax code for non-taxable lines")
    sales_tax_item = mfields.String(
        load_default="", validate=validate.Length(max=31),
        metadata={"description": "Sales tax item QuickBooks computes the invoice tax with (US; optional)"},
    )
    payment_method_cash = _optional(31, "QuickBooks payment method for cash (empty: none is sent)")
    payment_method_check = _optional(31, "QuickBooks payment method for checks (empty: none is sent)")
    payment_method_card = _optional(31, "QuickBooks payment method for cards, e.g. Visa")
    payment_method_other = _optional(31, "QuickBooks payment method for other payments")
    api_key_hash = mfields.String(dump_only=True)

    # Stored settings hold only the hash; loading them again (the hub does, for every context)
    # must keep it rather than ask for the plain key, which is gone.
    @pre_load
    def _keep_stored_hash(self, data: Any, **_: Any) -> Any:
        if isinstance(data, dict) and API_KEY_HASH in data:
            data = dict(data)
            self._stored_hash = data.pop(API_KEY_HASH)
            if not data.get("api_key"):
                data.pop("api_key", None)
        return data

    @validates_schema(skip_on_field_errors=False)
    def _key_given(self, data: dict[str, Any], **_: Any) -> None:
        if not data.get("api_key") and not getattr(self, "_stored_hash", None):
            raise ValidationError("Missing data for required field.", "api_key")

    @post_load
    def _hash_key(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        key = data.pop("api_key", None)
        if key:
            if key != key.strip():
                raise ValidationError("must not start or end with spaces", "api_key")
            data[API_KEY_HASH] = _hash_for_settings(key)
        elif getattr(self, "_stored_hash", None):
            data[API_KEY_HASH] = self._stored_hash
        return data
