"""Shop records as QuickBooks Online JSON bodies. Pure functions: no I/O.

An invoice becomes one ``SalesItemLineDetail`` line per labor line, part and sublet, one each
for shop supplies and both discounts (negative), one per hazmat/fee — every line on one of the
eight items of :mod:`ledgerhub_qbo.items` and marked ``TAX`` or ``NON`` from the shop's taxable
categories. The tax *rate* is never sent: QuickBooks applies its own, and the total it computes
is compared with the shop's afterwards (:func:`total_mismatch`).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from hub.domain.money import ZERO, to_cents
from hub.domain.records import Customer, Invoice, Payment, PaymentMethod, Shop, TaxSettings
from hub.errors import NeedsAttentionError
from hub.plugin.target import ExternalRef
from ledgerhub_qbo import items
from ledgerhub_qbo.names import MAX_LENGTHS, CleanText


def _line(item: str, item_ids: Mapping[str, str], tax: TaxSettings, description: str,
          quantity: Decimal, unit_price: Decimal, amount: Decimal) -> dict[str, Any]:
    taxable = tax.is_taxable(items.TAX_CATEGORY[item])
    return {
        "DetailType": "SalesItemLineDetail",
        "Amount": to_cents(amount),
        "Description": description[: MAX_LENGTHS["Description"]],
        "SalesItemLineDetail": {
            "ItemRef": {"value": item_ids[item], "name": item},
            "Qty": quantity,
            "UnitPrice": unit_price,
            "TaxCodeRef": {"value": "TAX" if taxable else "NON"},
        },
    }


def invoice_lines(invoice: Invoice, tax: TaxSettings, item_ids: Mapping[str, str]) -> list[dict[str, Any]]:
    """The invoice's lines, in the order a shop reads a repair order."""
    one = Decimal("1")
    lines: list[dict[str, Any]] = []
    for labor in invoice.labor:
        text = f"{labor.description} ({labor.technician})" if labor.technician else labor.description
        lines.append(_line(items.LABOR, item_ids, tax, text, labor.hours, labor.rate, labor.amount))
    for part in invoice.parts:
        text = f"{part.part_number} {part.description}".strip()
        lines.append(_line(items.PARTS, item_ids, tax, text, part.quantity, part.unit_price, part.amount))
    for sublet in invoice.sublets:
        lines.append(_line(items.SUBLETS, item_ids, tax, sublet.description, one, sublet.price, sublet.price))
    if invoice.shop_supplies:
        lines.append(_line(items.SHOP_SUPPLIES, item_ids, tax, "Shop supplies", one,
                           invoice.shop_supplies, invoice.shop_supplies))
    for fee in invoice.fees:
        lines.append(_line(items.HAZMATS, item_ids, tax, fee.description, one, fee.amount, fee.amount))
    if invoice.labor_discount:
        lines.append(_line(items.LABOR_DISCOUNTS, item_ids, tax, "Labor discount", one,
                           -invoice.labor_discount, -invoice.labor_discount))
    if invoice.parts_discount:
        lines.append(_line(items.PARTS_DISCOUNTS, item_ids, tax, "Parts discount", one,
                           -invoice.parts_discount, -invoice.parts_discount))
    return lines


def invoice_memo(invoice: Invoice) -> str:
    """The private memo: repair order number and vehicle (with odometer)."""
    parts = []
    if invoice.repair_order_number:
        parts.append(f"RO {invoice.repair_order_number}")
    vehicle = invoice.vehicle.describe()
    if vehicle:
        parts.append(vehicle)
    if invoice.vehicle.odometer is not None:
        parts.append(f"odometer {invoice.vehicle.odometer}")
    return "; ".join(parts)[: MAX_LENGTHS["PrivateNote"]]


def check_doc_number(invoice: Invoice) -> str:
    """The invoice number, which QuickBooks limits to 21 characters."""
    if len(invoice.number) > MAX_LENGTHS["DocNumber"]:
        raise NeedsAttentionError(
            f"Invoice number {invoice.number!r} is {len(invoice.number)} characters long; "
            f"QuickBooks allows at most {MAX_LENGTHS['DocNumber']}.")
    return invoice.number


def invoice_body(
    invoice: Invoice, shop: Shop, item_ids: Mapping[str, str], customer: ExternalRef
) -> dict[str, Any]:
    """The JSON body of an invoice create (or of the changed fields of a sparse update)."""
    lines = invoice_lines(invoice, shop.tax, item_ids)
    if not lines:
        raise NeedsAttentionError(f"Invoice {invoice.number!r} has no lines; QuickBooks needs at least one.")
    return {
        "DocNumber": check_doc_number(invoice),
        "TxnDate": invoice.invoice_date.isoformat(),
        "CustomerRef": {"value": customer.target_id},
        "PrivateNote": invoice_memo(invoice),
        "Line": lines,
    }


def sparse(body: Mapping[str, Any], ref: ExternalRef) -> dict[str, Any]:
    """*body* as a sparse update of the object *ref* points at."""
    return {"Id": ref.target_id, "SyncToken": str(ref.data.get("SyncToken", "0")), "sparse": True, **body}


def total_mismatch(invoice: Invoice, qbo_total: Decimal | None, shop: Shop) -> str | None:
    """A sentence for the shop when QuickBooks' total differs from the invoice's; else ``None``."""
    if qbo_total is None:
        return None
    theirs = to_cents(Decimal(str(qbo_total)))
    if theirs == to_cents(invoice.total):
        return None
    rate = f"{shop.tax.rate * 100:.4g} %"
    return (f"QuickBooks total {theirs:.2f} differs from the shop's total {to_cents(invoice.total):.2f} "
            f"(difference {to_cents(theirs - invoice.total):+.2f}). Likely cause: the sales-tax rate "
            f"in QuickBooks differs from the shop's {rate} (shop tax {to_cents(invoice.tax):.2f}).")


def customer_body(customer: Customer, display_name: str | None = None) -> tuple[dict[str, Any], list[str]]:
    """The JSON body of a customer and the changes cleaning made (for a warning)."""
    clean = CleanText()
    name = display_name or clean.name("DisplayName", customer.display_name)
    body: dict[str, Any] = {"DisplayName": name}
    for key, value in (("GivenName", customer.first_name), ("FamilyName", customer.last_name),
                       ("CompanyName", customer.company_name)):
        if value:
            body[key] = clean.name(key, value)
    email = clean.email(customer.email)
    if email:
        body["PrimaryEmailAddr"] = {"Address": email}
    if customer.phone:
        body["PrimaryPhone"] = {"FreeFormNumber": clean.text("PrimaryPhone", customer.phone)}
    address = customer.address
    addr = {
        key: clean.text(key, value)
        for key, value in (("Line1", address.line1), ("Line2", address.line2), ("City", address.city),
                           ("CountrySubDivisionCode", address.region), ("PostalCode", address.postal_code),
                           ("Country", address.country))
        if value
    }
    if addr:
        body["BillAddr"] = addr
    return body, clean.changes


_METHOD_WORDS = {PaymentMethod.CASH: "Cash", PaymentMethod.CHECK: "Check",
                 PaymentMethod.CARD: "Credit card", PaymentMethod.OTHER: "Other"}


def payment_body(payment: Payment, invoice: ExternalRef) -> dict[str, Any]:
    """A payment applied to its invoice's QuickBooks Id (for the invoice's customer)."""
    customer_id = invoice.data.get("CustomerRef")
    if not customer_id:
        raise NeedsAttentionError("The invoice this payment is for has no QuickBooks customer on record.")
    amount = to_cents(payment.amount)
    if amount <= ZERO:
        raise NeedsAttentionError(f"Payment amount {amount} must be more than zero.")
    note = f"{_METHOD_WORDS[payment.method]} payment {payment.id}"
    body: dict[str, Any] = {
        "TotalAmt": amount,
        "CustomerRef": {"value": str(customer_id)},
        "TxnDate": payment.received_on.isoformat(),
        "PrivateNote": note,
        "Line": [{"Amount": amount, "LinkedTxn": [{"TxnId": invoice.target_id, "TxnType": "Invoice"}]}],
    }
    if payment.reference:
        body["PaymentRefNum"] = payment.reference[: MAX_LENGTHS["PaymentRefNum"]]
    return body
