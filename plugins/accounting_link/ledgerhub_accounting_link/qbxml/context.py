"""What the request builders need besides the record: settings, the shop, names, item ids."""

from __future__ import annotations

from dataclasses import dataclass

from hub.domain.records import Shop, TaxCategory
from ledgerhub_accounting_link.names import (
    CUSTOMER_NAME_LIMIT,
    ENTITY_SPACE,
    ITEM_NAME_LIMIT,
    ITEM_SPACE,
    VENDOR_NAME_LIMIT,
    NameRegistry,
    StateStore,
)
from ledgerhub_accounting_link.settings import AccountingLinkSettings

ITEM_ID_PREFIX = "item-id:"


@dataclass
class BuildContext:
    """Everything a builder reads. ``reserve_names`` is False for previews, which must not
    claim names in the connection's state."""

    settings: AccountingLinkSettings
    shop: Shop
    state: StateStore
    reserve_names: bool = True

    @property
    def registry(self) -> NameRegistry:
        """The connection's name registry."""
        return NameRegistry(self.state)

    def _name(self, space: str, name: str, limit: int, owner: str, avoid: str | None) -> str:
        if self.reserve_names:
            return self.registry.reserve(space, name, limit, owner, avoid=avoid)
        return self.registry.current(space, owner) or self.registry.peek(space, name, limit, owner)

    def customer_name(self, record_id: str, display: str, avoid: str | None = None) -> str:
        """The unique QuickBooks name of a customer (41 characters at most)."""
        return self._name(ENTITY_SPACE, display, CUSTOMER_NAME_LIMIT, f"customer:{record_id}", avoid)

    def vendor_name(self, record_id: str, display: str, avoid: str | None = None) -> str:
        """The unique QuickBooks name of a vendor (41 characters at most)."""
        return self._name(ENTITY_SPACE, display, VENDOR_NAME_LIMIT, f"vendor:{record_id}", avoid)

    def item_name(self, record_id: str, part_number: str, avoid: str | None = None) -> str:
        """The unique QuickBooks name of an inventory item (31 characters at most)."""
        return self._name(ITEM_SPACE, part_number, ITEM_NAME_LIMIT, f"inventory_item:{record_id}", avoid)

    def inventory_item_id(self, part_number: str) -> str | None:
        """The ListID of the inventory item for *part_number*, once it reached QuickBooks."""
        return self.state.get(ITEM_ID_PREFIX + part_number.casefold())

    def remember_inventory_item(self, part_number: str, list_id: str) -> None:
        """Note an inventory item's ListID so invoice and bill lines can point at it."""
        self.state.set(ITEM_ID_PREFIX + part_number.casefold(), list_id)

    def tax_code(self, category: TaxCategory) -> str:
        """The sales tax code for a line of *category*, by the shop's taxable flags."""
        taxable = self.shop.tax.is_taxable(category)
        return self.settings.tax_code_taxable if taxable else self.settings.tax_code_non_taxable


def marker(kind: str, record_id: str) -> str:
    """The tag put in every transaction memo, so a re-query can recognise our own work."""
    return f"[ledgerhub {kind} {record_id}]"
