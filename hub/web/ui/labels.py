"""Words the shop owner reads for the hub's internal names."""

from __future__ import annotations

from hub.domain.kinds import DEPENDENCY_ORDER, EntityKind

KIND_LABELS: dict[EntityKind, str] = {
    EntityKind.CUSTOMER: "Customers",
    EntityKind.VENDOR: "Vendors",
    EntityKind.INVENTORY_ITEM: "Inventory items",
    EntityKind.INVOICE: "Invoices (closed repair orders)",
    EntityKind.PAYMENT: "Payments",
    EntityKind.PARTS_PURCHASE: "Parts purchases",
    EntityKind.SUBLET_DETAIL: "Sublet details",
    EntityKind.PARTS_RETURN: "Parts returns",
}

#: One record of each kind, as a log row names it ("Invoice 1042").
KIND_SINGULAR: dict[EntityKind, str] = {
    EntityKind.CUSTOMER: "Customer",
    EntityKind.VENDOR: "Vendor",
    EntityKind.INVENTORY_ITEM: "Inventory item",
    EntityKind.INVOICE: "Invoice",
    EntityKind.PAYMENT: "Payment",
    EntityKind.PARTS_PURCHASE: "Parts purchase",
    EntityKind.SUBLET_DETAIL: "Sublet detail",
    EntityKind.PARTS_RETURN: "Parts return",
}

#: Delivery and log statuses in plain words.
STATUS_LABELS: dict[str, str] = {
    "pending": "Waiting to go",
    "claimed": "Being sent",
    "waiting": "Waiting for a related record",
    "delivered": "Sent",
    "needs_attention": "Needs attention",
    "failed": "Failed",
    "retry": "Will retry",
    "retrying": "Will retry",
    "skipped": "Skipped",
    "superseded": "Replaced by a newer version",
}

START_MODES: dict[str, tuple[str, str]] = {
    "forward": ("From now on", "Only records that change from now on are sent."),
    "history": (
        "All existing data",
        "Every record already in the hub is sent too. This can take very long (hours for a busy "
        "shop), and it overwrites what QuickBooks holds for those records and that period: an "
        "invoice already there with the same number is updated, never duplicated.",
    ),
}


def kind_label(kind: str) -> str:
    """``invoice`` → ``Invoices (closed repair orders)``; unknown kinds are humanised."""
    try:
        return KIND_LABELS[EntityKind(kind)]
    except ValueError:
        return kind.replace("_", " ").capitalize()


def record_label(kind: str) -> str:
    """``invoice`` → ``Invoice``: what one record of the kind is called."""
    try:
        return KIND_SINGULAR[EntityKind(kind)]
    except ValueError:
        return kind.replace("_", " ").capitalize()


def status_label(status: str) -> str:
    """A delivery status in plain words."""
    return STATUS_LABELS.get(status, status.replace("_", " ").capitalize())


def all_kinds() -> tuple[EntityKind, ...]:
    """Every kind, in the order records depend on each other."""
    return DEPENDENCY_ORDER
