"""Customer, vendor and inventory item requests (Add and Mod), in qbXML 13.0 element order."""

from __future__ import annotations

from lxml import etree

from hub.domain.records import Address, Customer, InventoryItem, Vendor
from ledgerhub_accounting_link.qbxml.context import BuildContext, marker
from ledgerhub_accounting_link.qbxml.document import quantity, ref, request, text


def address(parent: etree._Element, tag: str, value: Address) -> None:
    """Append an address aggregate unless every part is empty."""
    parts = (value.line1, value.line2, value.city, value.region, value.postal_code, value.country)
    if not any(parts):
        return
    element = etree.SubElement(parent, tag)
    text(element, "Addr1", value.line1, 41)
    text(element, "Addr2", value.line2, 41)
    text(element, "City", value.city, 31)
    text(element, "State", value.region, 21)
    text(element, "PostalCode", value.postal_code, 13)
    text(element, "Country", value.country, 31)


def _mod_core(body: etree._Element, list_id: str, edit_sequence: str) -> None:
    text(body, "ListID", list_id)
    text(body, "EditSequence", edit_sequence)


def customer(ctx: BuildContext, record: Customer, request_id: str, *, list_id: str | None = None,
             edit_sequence: str | None = None, avoid_name: str | None = None) -> etree._Element:
    """``CustomerAddRq``, or ``CustomerModRq`` when *list_id* is given."""
    mod = list_id is not None
    rq = request("CustomerModRq" if mod else "CustomerAddRq", request_id)
    body = etree.SubElement(rq, "CustomerMod" if mod else "CustomerAdd")
    if mod:
        _mod_core(body, list_id, edit_sequence or "")
    text(body, "Name", ctx.customer_name(record.id, record.display_name, avoid_name))
    text(body, "CompanyName", record.company_name, 41)
    text(body, "FirstName", record.first_name, 25)
    text(body, "LastName", record.last_name, 25)
    address(body, "BillAddress", record.address)
    text(body, "Phone", record.phone, 21)
    text(body, "Email", record.email, 1023)
    text(body, "AccountNumber", record.id, 99)
    return rq


def vendor(ctx: BuildContext, record: Vendor, request_id: str, *, list_id: str | None = None,
           edit_sequence: str | None = None, avoid_name: str | None = None) -> etree._Element:
    """``VendorAddRq``, or ``VendorModRq`` when *list_id* is given."""
    mod = list_id is not None
    rq = request("VendorModRq" if mod else "VendorAddRq", request_id)
    body = etree.SubElement(rq, "VendorMod" if mod else "VendorAdd")
    if mod:
        _mod_core(body, list_id, edit_sequence or "")
    text(body, "Name", ctx.vendor_name(record.id, record.name, avoid_name))
    text(body, "CompanyName", record.name, 41)
    address(body, "VendorAddress", record.address)
    text(body, "Phone", record.phone, 21)
    text(body, "Email", record.email, 1023)
    return rq


def inventory_item(ctx: BuildContext, record: InventoryItem, request_id: str, *, list_id: str | None = None,
                   edit_sequence: str | None = None, avoid_name: str | None = None) -> etree._Element:
    """``ItemInventoryAddRq`` (with opening quantity), or ``ItemInventoryModRq`` when *list_id*
    is given (QuickBooks changes quantities only through adjustments, so a Mod leaves them)."""
    mod = list_id is not None
    s = ctx.settings
    rq = request("ItemInventoryModRq" if mod else "ItemInventoryAddRq", request_id)
    body = etree.SubElement(rq, "ItemInventoryMod" if mod else "ItemInventoryAdd")
    if mod:
        _mod_core(body, list_id, edit_sequence or "")
    text(body, "Name", ctx.item_name(record.id, record.part_number, avoid_name))
    text(body, "ManufacturerPartNumber", record.part_number, 31)
    text(body, "SalesDesc", record.description or record.part_number, 4095)
    quantity(body, "SalesPrice", record.price)
    ref(body, "IncomeAccountRef", full_name=s.income_account)
    text(body, "PurchaseDesc", record.description or record.part_number, 4095)
    quantity(body, "PurchaseCost", record.cost)
    ref(body, "COGSAccountRef", full_name=s.cogs_account)
    ref(body, "AssetAccountRef", full_name=s.asset_account)
    if not mod and record.quantity_on_hand:
        quantity(body, "QuantityOnHand", record.quantity_on_hand)
    return rq


def inventory_adjustment(ctx: BuildContext, record: InventoryItem, request_id: str, *,
                         list_id: str) -> etree._Element:
    """``InventoryAdjustmentAddRq`` setting the item's quantity to the shop's count
    (``NewQuantity``, so sending it twice changes nothing)."""
    rq = request("InventoryAdjustmentAddRq", request_id)
    body = etree.SubElement(rq, "InventoryAdjustmentAdd")
    ref(body, "AccountRef", full_name=ctx.settings.adjustment_account)
    text(body, "Memo", f"Quantity on hand from the shop system {marker('inventory_item', record.id)}")
    line = etree.SubElement(body, "InventoryAdjustmentLineAdd")
    ref(line, "ItemRef", list_id=list_id)
    adjustment = etree.SubElement(line, "QuantityAdjustment")
    quantity(adjustment, "NewQuantity", record.quantity_on_hand)
    return rq
