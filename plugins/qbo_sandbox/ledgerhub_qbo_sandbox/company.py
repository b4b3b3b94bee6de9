"""The company API's operations on one realm, independent of HTTP: read, create, update (full or
sparse, with SyncToken), delete, void. Each returns the JSON body of QBO's answer or raises
:class:`~ledgerhub_qbo_sandbox.errors.QboError`; every change happens under the realm's lock and
either completes or leaves the realm untouched.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ledgerhub_qbo_sandbox import errors, lengths, names, sales, schema
from ledgerhub_qbo_sandbox.store import US_TAX_RATE_ID, Realm
from ledgerhub_qbo_sandbox.values import clean

#: URL segment → entity name, for every entity the sandbox serves.
ENTITIES = {
    "customer": "Customer",
    "vendor": "Vendor",
    "item": "Item",
    "account": "Account",
    "invoice": "Invoice",
    "payment": "Payment",
    "taxcode": "TaxCode",
    "taxrate": "TaxRate",
    "companyinfo": "CompanyInfo",
    "employee": "Employee",
}
WRITABLE = ("Customer", "Vendor", "Item", "Account", "Invoice", "Payment")
TRANSACTIONS = ("Invoice", "Payment")
ALWAYS_READ_ONLY = frozenset({"Id", "SyncToken", "sparse", "domain", "MetaData", "status"})


def entity_for(segment: str) -> str:
    """The entity served under a URL segment (``invoice`` → ``Invoice``); 610-style fault if none."""
    entity = ENTITIES.get(segment.lower())
    if entity is None:
        raise errors.QboError(
            500,
            "Unsupported Operation",
            f"Operation {segment} is not supported by the sandbox",
            status=400,
        )
    return entity


def present(
    realm: Realm, entity: str, stored: dict[str, Any], balances: dict[str, Decimal] | None = None
) -> dict[str, Any]:
    """An object as QBO returns it (a copy, with computed fields filled in).

    ``balances`` (from :func:`names.customer_balances`) saves recomputing them per customer.
    """
    if entity == "TaxRate" and realm.country == "US" and stored["Id"] == US_TAX_RATE_ID:
        stored = {**stored, "RateValue": (realm.tax_rate * 100).normalize()}
    if entity == "Customer":
        stored = names.present_customer(
            stored, names.customer_balances(realm) if balances is None else balances
        )
    return copy.deepcopy(stored)


def listing(realm: Realm, entity: str) -> list[dict[str, Any]]:
    """Every object of an entity as QBO would return it (inactive and voided ones too), in Id order."""
    with realm.lock:
        balances = names.customer_balances(realm) if entity == "Customer" else None
        return [present(realm, entity, stored, balances) for stored in realm.ordered(entity)]


def read(realm: Realm, entity: str, object_id: str) -> dict[str, Any]:
    """``GET /{entity}/{id}``."""
    with realm.lock:
        stored = realm.get(entity, object_id)
        if stored is None and entity == "CompanyInfo" and object_id == realm.realm_id:
            stored = realm.get(entity, "1")
        if stored is None:
            raise errors.object_not_found(entity, object_id)
        return {entity: present(realm, entity, stored)}


def write(realm: Realm, entity: str, body: Any, params: dict[str, str]) -> dict[str, Any]:
    """``POST /{entity}`` with the operation its query string names."""
    if entity not in WRITABLE:
        raise errors.QboError(
            500, "Unsupported Operation", f"Operation create/update is not supported for {entity}", status=400
        )
    if not isinstance(body, dict):
        raise errors.malformed_body(f"the body must be a {entity} object")
    operation = params.get("operation", "")
    with realm.lock:
        if operation == "delete":
            return _delete(realm, entity, body)
        if operation == "void" or (operation == "update" and params.get("include") == "void"):
            return _void(realm, entity, body)
        if operation not in ("", "create", "update"):
            raise errors.QboError(
                500, "Unsupported Operation", f"Operation {operation} is not supported", status=400
            )
        allow_duplicate = "allowduplicatedocnum" in params.get("include", "")
        return save(realm, entity, body, allow_duplicate_doc_number=allow_duplicate)


def save(
    realm: Realm, entity: str, body: dict[str, Any], *, allow_duplicate_doc_number: bool = False
) -> dict[str, Any]:
    """Create (no Id) or update (Id and SyncToken; ``sparse`` keeps fields not sent)."""
    schema.check_properties(entity, body)
    data = clean(body)
    lengths.check_lengths(entity, data)
    read_only = (
        ALWAYS_READ_ONLY | names.READ_ONLY.get(entity, frozenset()) | sales.READ_ONLY.get(entity, frozenset())
    )
    object_id = data.get("Id")
    existing = None
    if object_id not in (None, 0, "0"):
        existing = _current(realm, entity, data)
        if data.get("sparse") is True:
            merged = {key: value for key, value in existing.items() if key not in read_only}
            for key in body:
                if key in read_only:
                    continue
                if key in data:
                    merged[key] = data[key]
                else:
                    merged.pop(key, None)
        else:
            merged = {key: value for key, value in data.items() if key not in read_only}
    else:
        merged = {key: value for key, value in data.items() if key not in read_only}
    prepared = _prepare(realm, entity, copy.deepcopy(merged), existing, allow_duplicate_doc_number)
    if existing is None:
        stored = realm.add(entity, prepared)
    else:
        stored = realm.replace(entity, existing["Id"], prepared)
    if entity == "Payment":
        sales.refresh_invoices(realm, sales.invoices_paid_by(existing) | sales.invoices_paid_by(stored))
    return {entity: present(realm, entity, realm.get(entity, stored["Id"]) or stored)}


def _prepare(
    realm: Realm,
    entity: str,
    body: dict[str, Any],
    existing: dict[str, Any] | None,
    allow_duplicate_doc_number: bool,
) -> dict[str, Any]:
    if existing is not None and (entity, existing["Id"]) in realm.voided:
        raise errors.business(f"{entity} {existing['Id']} is voided and can't be changed")
    preparers: dict[str, Callable[[], dict[str, Any]]] = {
        "Customer": lambda: names.prepare_person(realm, "Customer", body, existing),
        "Vendor": lambda: names.prepare_person(realm, "Vendor", body, existing),
        "Item": lambda: names.prepare_item(realm, body, existing),
        "Account": lambda: names.prepare_account(realm, body, existing),
        "Invoice": lambda: sales.prepare_invoice(
            realm, body, existing, allow_duplicate_doc_number=allow_duplicate_doc_number
        ),
        "Payment": lambda: sales.prepare_payment(realm, body, existing),
    }
    return preparers[entity]()


def _current(realm: Realm, entity: str, body: dict[str, Any]) -> dict[str, Any]:
    """The stored object an update or delete names, after the SyncToken check."""
    object_id = str(body.get("Id", ""))
    if not object_id:
        raise errors.required("Id")
    if not object_id.isdigit():
        raise errors.invalid_id("Id", object_id)
    existing = realm.get(entity, object_id)
    if existing is None:
        raise errors.object_not_found(entity, object_id)
    if "SyncToken" not in body:
        raise errors.required("SyncToken")
    if str(body["SyncToken"]) != existing["SyncToken"]:
        raise errors.stale_object()
    return existing


def _delete(realm: Realm, entity: str, body: dict[str, Any]) -> dict[str, Any]:
    if entity not in TRANSACTIONS:
        raise errors.QboError(
            500,
            "Unsupported Operation",
            f"Operation Delete is not supported for {entity}; make it inactive instead",
            status=400,
        )
    existing = _current(realm, entity, clean(body))
    if entity == "Invoice" and sales.applied_to_invoice(realm, existing["Id"]):
        raise errors.business(f"Invoice {existing['Id']} has payments applied; delete or void them first")
    realm.remove(entity, existing["Id"])
    realm.voided.discard((entity, existing["Id"]))
    if entity == "Payment":
        sales.refresh_invoices(realm, sales.invoices_paid_by(existing))
    return {entity: {"status": "Deleted", "domain": "QBO", "Id": existing["Id"]}}


def _void(realm: Realm, entity: str, body: dict[str, Any]) -> dict[str, Any]:
    if entity not in TRANSACTIONS:
        raise errors.QboError(
            500, "Unsupported Operation", f"Operation Void is not supported for {entity}", status=400
        )
    existing = _current(realm, entity, clean(body))
    if (entity, existing["Id"]) in realm.voided:
        raise errors.business(f"{entity} {existing['Id']} is already voided")
    if entity == "Invoice":
        if sales.applied_to_invoice(realm, existing["Id"]):
            raise errors.business(f"Invoice {existing['Id']} has payments applied; void or delete them first")
        stored = realm.replace(entity, existing["Id"], sales.voided_invoice(existing))
    else:
        stored = realm.replace(entity, existing["Id"], sales.voided_payment(existing))
        sales.refresh_invoices(realm, sales.invoices_paid_by(existing))
    realm.voided.add((entity, existing["Id"]))
    return {entity: present(realm, entity, stored)}
