"""The kinds of record the hub carries, and the order they depend on each other."""

from __future__ import annotations

from enum import StrEnum


class EntityKind(StrEnum):
    """A kind of record a shop-management system pushes into the hub.

    The value is the name used in URLs, files, logs and plugin declarations.
    """

    CUSTOMER = "customer"
    VENDOR = "vendor"
    INVENTORY_ITEM = "inventory_item"
    INVOICE = "invoice"
    PAYMENT = "payment"
    PARTS_PURCHASE = "parts_purchase"
    SUBLET_DETAIL = "sublet_detail"
    PARTS_RETURN = "parts_return"


#: For each kind, the fields that reference another record and that record's kind.
#: A delivery never goes out before the deliveries of the records it references.
REFERENCES: dict[EntityKind, dict[str, EntityKind]] = {
    EntityKind.CUSTOMER: {},
    EntityKind.VENDOR: {},
    EntityKind.INVENTORY_ITEM: {},
    EntityKind.INVOICE: {"customer_id": EntityKind.CUSTOMER},
    EntityKind.PAYMENT: {"invoice_id": EntityKind.INVOICE},
    EntityKind.PARTS_PURCHASE: {"vendor_id": EntityKind.VENDOR},
    EntityKind.SUBLET_DETAIL: {"vendor_id": EntityKind.VENDOR},
    EntityKind.PARTS_RETURN: {"vendor_id": EntityKind.VENDOR},
}

#: Kinds in an order where every kind comes after the kinds it references.
DEPENDENCY_ORDER: tuple[EntityKind, ...] = (
    EntityKind.CUSTOMER,
    EntityKind.VENDOR,
    EntityKind.INVENTORY_ITEM,
    EntityKind.INVOICE,
    EntityKind.PAYMENT,
    EntityKind.PARTS_PURCHASE,
    EntityKind.SUBLET_DETAIL,
    EntityKind.PARTS_RETURN,
)

#: Rank of each kind in :data:`DEPENDENCY_ORDER`, for sorting.
DEPENDENCY_RANK: dict[EntityKind, int] = {kind: i for i, kind in enumerate(DEPENDENCY_ORDER)}
