"""QBO's rules for name-list objects: customers, vendors, items and accounts.

Each ``prepare_*`` function takes the cleaned body of a create (``existing`` None) or the merged
body of an update and returns what to store, or raises :class:`~ledgerhub_qbo_sandbox.errors.QboError`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ledgerhub_qbo_sandbox import errors
from ledgerhub_qbo_sandbox.store import CLASSIFICATIONS, Realm
from ledgerhub_qbo_sandbox.values import (
    check_bool,
    check_date,
    check_name_characters,
    name_key,
    optional_decimal,
    ref_value,
)

PERSON_NAME_PARTS = ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix")
PERSON_NAME_FIELDS = ("DisplayName", *PERSON_NAME_PARTS, "PrintOnCheckName")
PEOPLE = ("Customer", "Vendor", "Employee")
ITEM_TYPES = ("Service", "NonInventory", "Inventory")
INCOME_TYPES = ("Income", "Other Income")

READ_ONLY: dict[str, frozenset[str]] = {
    "Customer": frozenset({"Balance", "BalanceWithJobs", "FullyQualifiedName", "Level", "IsProject"}),
    "Vendor": frozenset({"Balance"}),
    "Item": frozenset({"FullyQualifiedName", "Level"}),
    "Account": frozenset(
        {"FullyQualifiedName", "CurrentBalance", "CurrentBalanceWithSubAccounts", "Classification"}
    ),
}


def prepare_person(
    realm: Realm, entity: str, body: dict[str, Any], existing: dict[str, Any] | None
) -> dict[str, Any]:
    """Customer and Vendor: a name, no forbidden characters, a DisplayName unique among people."""
    check_name_characters(body, PERSON_NAME_FIELDS)
    check_bool(body, "Active")
    if "DisplayName" not in body:
        parts = [body[key] for key in PERSON_NAME_PARTS if body.get(key)]
        if not parts:
            raise errors.name_missing()
        body["DisplayName"] = " ".join(parts)
    email = (body.get("PrimaryEmailAddr") or {}).get("Address")
    if email is not None and ("@" not in email or "." not in email):
        raise errors.invalid_value("PrimaryEmailAddr.Address", email, "an address with an @ and a dot")
    own_id = existing["Id"] if existing else None
    wanted = name_key(body["DisplayName"])
    for people in PEOPLE:
        for other in realm.table(people).values():
            if other["Id"] != own_id or people != entity:
                if name_key(other.get("DisplayName", "")) == wanted:
                    raise errors.duplicate_name(people, other["Id"])
    body.setdefault("Active", True)
    if entity == "Customer":
        check_date(body, "OpenBalanceDate")
        body["FullyQualifiedName"] = body["DisplayName"]
        body.setdefault("Taxable", True)
        body.setdefault("Job", False)
        body.setdefault("BillWithParent", False)
        body["Level"] = 0
        parent = ref_value(body, "ParentRef")
        if parent is not None:
            parent_obj = realm.get("Customer", parent)
            if parent_obj is None:
                raise errors.invalid_reference("ParentRef", "Customer", parent)
            body["FullyQualifiedName"] = f"{parent_obj['FullyQualifiedName']}:{body['DisplayName']}"
            body["Level"] = parent_obj.get("Level", 0) + 1
            body["Job"] = True
    body["Balance"] = Decimal("0")
    return body


def customer_balances(realm: Realm) -> dict[str, Decimal]:
    """Each customer's open balance: the sum of its invoices' Balance (one pass over invoices)."""
    balances: dict[str, Decimal] = {}
    for invoice in realm.table("Invoice").values():
        customer_id = ref_value(invoice, "CustomerRef")
        if customer_id is not None:
            balances[customer_id] = balances.get(customer_id, Decimal("0")) + invoice.get(
                "Balance", Decimal("0")
            )
    return balances


def present_customer(stored: dict[str, Any], balances: dict[str, Decimal]) -> dict[str, Any]:
    """A customer as read, with its Balance from :func:`customer_balances`."""
    balance = balances.get(stored["Id"], Decimal("0"))
    return {**stored, "Balance": balance, "BalanceWithJobs": balance}


def prepare_item(realm: Realm, body: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
    """Item: unique Name, a known Type, an income account (and inventory accounts for Inventory)."""
    if not body.get("Name"):
        raise errors.required("Name")
    check_name_characters(body, ("Name",))
    check_bool(body, "Active")
    check_bool(body, "Taxable")
    check_bool(body, "TrackQtyOnHand")
    _unique_name(realm, "Item", body["Name"], existing)
    item_type = body.get("Type")
    if not item_type:
        raise errors.required("Type")
    if item_type not in ITEM_TYPES:
        raise errors.invalid_value("Type", item_type, " | ".join(ITEM_TYPES))
    if existing is not None and existing.get("Type") != item_type:
        raise errors.business(
            f"You can't change the type of item {existing['Name']!r} from "
            f"{existing.get('Type')} to {item_type}",
            "Type",
        )
    for key in ("UnitPrice", "PurchaseCost", "QtyOnHand"):
        optional_decimal(body, key, key)
    _account_ref(realm, body, "IncomeAccountRef", INCOME_TYPES, required=True)
    _account_ref(
        realm,
        body,
        "ExpenseAccountRef",
        ("Cost of Goods Sold", "Expense", "Other Expense"),
        required=item_type == "Inventory",
    )
    if item_type == "Inventory":
        _account_ref(realm, body, "AssetAccountRef", ("Other Current Asset",), required=True)
        for key in ("QtyOnHand", "InvStartDate"):
            if key not in body:
                raise errors.required(key)
        check_date(body, "InvStartDate")
        if body.get("TrackQtyOnHand") is not True:
            raise errors.business(
                "Inventory items must track quantity on hand (TrackQtyOnHand=true)", "TrackQtyOnHand"
            )
    body.setdefault("Active", True)
    body.setdefault("Taxable", False)
    body.setdefault("TrackQtyOnHand", False)
    body["FullyQualifiedName"] = body["Name"]
    return body


def prepare_account(realm: Realm, body: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
    """Account: unique Name without quotes or colons, a known AccountType."""
    if not body.get("Name"):
        raise errors.required("Name")
    check_name_characters(body, ("Name", "AcctNum"), extra='"')
    check_bool(body, "Active")
    _unique_name(realm, "Account", body["Name"], existing)
    account_type = body.get("AccountType")
    if not account_type:
        raise errors.required("AccountType")
    if account_type not in CLASSIFICATIONS:
        raise errors.invalid_value("AccountType", account_type, " | ".join(CLASSIFICATIONS))
    body["Classification"] = CLASSIFICATIONS[account_type]
    body.setdefault("Active", True)
    body.setdefault("SubAccount", False)
    body["FullyQualifiedName"] = body["Name"]
    body.setdefault("CurrentBalance", Decimal("0"))
    return body


def _unique_name(realm: Realm, entity: str, name: str, existing: dict[str, Any] | None) -> None:
    wanted = name_key(name)
    for other in realm.table(entity).values():
        if (existing is None or other["Id"] != existing["Id"]) and name_key(other.get("Name", "")) == wanted:
            raise errors.duplicate_name(entity, other["Id"])


def _account_ref(
    realm: Realm, body: dict[str, Any], key: str, types: tuple[str, ...], *, required: bool
) -> None:
    account_id = ref_value(body, key)
    if account_id is None:
        if required:
            raise errors.required(key)
        return
    account = realm.get("Account", account_id)
    if account is None:
        raise errors.invalid_reference(key, "Account", account_id)
    if not account.get("Active", True):
        raise errors.inactive_reference(key, "Account", account_id)
    if account["AccountType"] not in types:
        raise errors.business(
            f"{key} must be an account of type {' or '.join(types)}; account "
            f"{account['Name']!r} is {account['AccountType']}",
            key,
        )
    body[key] = {"value": account_id, "name": account["Name"]}
