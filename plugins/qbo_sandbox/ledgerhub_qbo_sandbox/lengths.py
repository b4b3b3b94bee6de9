"""How long QBO lets strings be, per entity; longer ones are refused with 2050."""

from __future__ import annotations

from typing import Any

from ledgerhub_qbo_sandbox import errors

#: Maximum lengths (entity → dotted field path → characters), from Intuit's entity references.
MAX_LENGTHS: dict[str, dict[str, int]] = {
    "Customer": {
        "DisplayName": 500,
        "Title": 16,
        "GivenName": 100,
        "MiddleName": 100,
        "FamilyName": 100,
        "Suffix": 16,
        "CompanyName": 100,
        "PrintOnCheckName": 110,
        "Notes": 2000,
        "ResaleNum": 16,
        "PrimaryEmailAddr.Address": 100,
        "PrimaryPhone.FreeFormNumber": 30,
        "Mobile.FreeFormNumber": 30,
        "WebAddr.URI": 1000,
    },
    "Vendor": {
        "DisplayName": 500,
        "Title": 16,
        "GivenName": 100,
        "MiddleName": 100,
        "FamilyName": 100,
        "Suffix": 16,
        "CompanyName": 100,
        "PrintOnCheckName": 110,
        "AcctNum": 100,
        "PrimaryEmailAddr.Address": 100,
        "PrimaryPhone.FreeFormNumber": 30,
        "WebAddr.URI": 1000,
    },
    "Item": {"Name": 100, "Description": 4000, "PurchaseDesc": 1000, "Sku": 100},
    "Account": {"Name": 100, "Description": 100, "AcctNum": 20},
    "Invoice": {
        "DocNumber": 21,
        "PrivateNote": 4000,
        "CustomerMemo.value": 1000,
        "TrackingNum": 31,
        "BillEmail.Address": 100,
    },
    "Payment": {"PaymentRefNum": 21, "PrivateNote": 4000},
}
ADDRESS_LENGTHS = {
    "Line1": 500,
    "Line2": 500,
    "Line3": 500,
    "Line4": 500,
    "Line5": 500,
    "City": 255,
    "Country": 255,
    "CountrySubDivisionCode": 255,
    "PostalCode": 30,
}


def check_lengths(entity: str, body: dict[str, Any]) -> None:
    """Refuse (2050) any string longer than QBO allows."""
    for path, maximum in MAX_LENGTHS.get(entity, {}).items():
        _check_length(path, _dig(body, path), maximum)
    for address_key in ("BillAddr", "ShipAddr"):
        address = body.get(address_key)
        if isinstance(address, dict):
            for key, maximum in ADDRESS_LENGTHS.items():
                _check_length(f"{address_key}.{key}", address.get(key), maximum)
    for index, line in enumerate(body.get("Line") or []):
        if isinstance(line, dict):
            _check_length(f"Line[{index}].Description", line.get("Description"), 4000)


def _check_length(path: str, value: Any, maximum: int) -> None:
    if isinstance(value, str) and len(value) > maximum:
        raise errors.invalid_length(path, maximum, len(value))


def _dig(body: dict[str, Any], path: str) -> Any:
    value: Any = body
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value
