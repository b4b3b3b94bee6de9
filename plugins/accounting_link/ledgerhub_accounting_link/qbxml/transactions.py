"""Invoice, payment, bill and vendor credit requests, in qbXML 13.0 element order.

Fields Intuit's SDK marks as not supported by US QuickBooks Desktop (``IsTaxable``,
``TaxAmount``, ``DiscountLineAdd``, ``SalesTaxLineAdd``, bill ``SalesTaxCodeRef``, …) are never
written: taxability goes through each line's ``SalesTaxCodeRef`` and discounts are lines of the
shop's discount item.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from lxml import etree

from hub.domain.records import (
    Invoice,
    PartsPurchase,
    PartsReturn,
    Payment,
    PurchaseLine,
    SubletDetail,
    TaxCategory,
)
from ledgerhub_accounting_link.qbxml.context import BuildContext, marker
from ledgerhub_accounting_link.qbxml.document import amount, quantity, ref, request, text

INVOICE_REF_LIMIT = 11
TXN_REF_LIMIT = 20


@dataclass(frozen=True, slots=True)
class SalesLine:
    """One invoice line before it becomes ``InvoiceLineAdd`` / ``InvoiceLineMod``."""

    item_name: str
    description: str
    amount: Decimal
    tax_code: str
    item_id: str | None = None
    quantity: Decimal | None = None
    rate: Decimal | None = None


def sales_lines(ctx: BuildContext, invoice: Invoice) -> Iterator[SalesLine]:
    """A line per labor line, part, sublet, shop supplies, fee and discount, in that order."""
    s = ctx.settings
    for labor in invoice.labor:
        desc = f"{labor.description} ({labor.technician})" if labor.technician else labor.description
        yield SalesLine(s.labor_item, desc, labor.amount, ctx.tax_code(TaxCategory.LABOR),
                        quantity=labor.hours, rate=labor.rate)
    for part in invoice.parts:
        yield SalesLine(s.parts_item, f"{part.part_number} {part.description}".strip(), part.amount,
                        ctx.tax_code(TaxCategory.PARTS), item_id=ctx.inventory_item_id(part.part_number),
                        quantity=part.quantity, rate=part.unit_price)
    for sublet in invoice.sublets:
        yield SalesLine(s.sublet_item, sublet.description, sublet.price, ctx.tax_code(TaxCategory.SUBLETS))
    if invoice.shop_supplies:
        yield SalesLine(s.shop_supplies_item, "Shop supplies", invoice.shop_supplies,
                        ctx.tax_code(TaxCategory.SHOP_SUPPLIES))
    for fee in invoice.fees:
        yield SalesLine(s.fees_item, fee.description, fee.amount, ctx.tax_code(TaxCategory.FEES))
    if invoice.labor_discount:
        yield SalesLine(s.discount_item, "Labor discount", -invoice.labor_discount,
                        ctx.tax_code(TaxCategory.LABOR))
    if invoice.parts_discount:
        yield SalesLine(s.discount_item, "Parts discount", -invoice.parts_discount,
                        ctx.tax_code(TaxCategory.PARTS))


def _sales_line(parent: etree._Element, tag: str, line: SalesLine) -> None:
    element = etree.SubElement(parent, tag)
    if tag == "InvoiceLineMod":
        text(element, "TxnLineID", "-1")  # -1 adds the line; lines left out of a Mod are removed
    ref(element, "ItemRef", list_id=line.item_id, full_name=line.item_name)
    text(element, "Desc", line.description, 4095)
    if line.quantity is not None and line.rate is not None:
        quantity(element, "Quantity", line.quantity)
        quantity(element, "Rate", line.rate)
    amount(element, "Amount", line.amount)
    ref(element, "SalesTaxCodeRef", full_name=line.tax_code)


def invoice_memo(invoice: Invoice) -> str:
    """RO number, vehicle and odometer, then the LedgerHub marker."""
    parts = [f"RO {invoice.repair_order_number}" if invoice.repair_order_number else ""]
    parts.append(invoice.vehicle.describe())
    if invoice.vehicle.odometer is not None:
        parts.append(f"odometer {invoice.vehicle.odometer}")
    parts.append(marker("invoice", invoice.id))
    return " · ".join(p for p in parts if p)


def invoice(ctx: BuildContext, record: Invoice, request_id: str, *, customer_list_id: str,
            txn_id: str | None = None, edit_sequence: str | None = None) -> etree._Element:
    """``InvoiceAddRq``, or ``InvoiceModRq`` (all lines replaced) when *txn_id* is given."""
    mod = txn_id is not None
    rq = request("InvoiceModRq" if mod else "InvoiceAddRq", request_id)
    body = etree.SubElement(rq, "InvoiceMod" if mod else "InvoiceAdd")
    if mod:
        text(body, "TxnID", txn_id)
        text(body, "EditSequence", edit_sequence)
    ref(body, "CustomerRef", list_id=customer_list_id)
    text(body, "TxnDate", record.invoice_date)
    text(body, "RefNumber", record.number, INVOICE_REF_LIMIT)
    if ctx.settings.sales_tax_item:
        ref(body, "ItemSalesTaxRef", full_name=ctx.settings.sales_tax_item)
    text(body, "Memo", invoice_memo(record), 4095)
    for line in sales_lines(ctx, record):
        _sales_line(body, "InvoiceLineMod" if mod else "InvoiceLineAdd", line)
    return rq


def payment(
    record: Payment, request_id: str, *, customer_list_id: str, invoice_txn_id: str, method_name: str = ""
) -> etree._Element:
    """``ReceivePaymentAddRq`` applied to the invoice's TxnID (with the payment method when the
    shop named the QuickBooks one for it)."""
    rq = request("ReceivePaymentAddRq", request_id)
    body = etree.SubElement(rq, "ReceivePaymentAdd")
    ref(body, "CustomerRef", list_id=customer_list_id)
    text(body, "TxnDate", record.received_on)
    text(body, "RefNumber", payment_ref_number(record), TXN_REF_LIMIT)
    amount(body, "TotalAmount", record.amount)
    ref(body, "PaymentMethodRef", full_name=method_name or None)
    memo = f"{record.method.value.capitalize()} payment"
    text(body, "Memo", f"{memo} {record.reference} {marker('payment', record.id)}", 4095)
    applied = etree.SubElement(body, "AppliedToTxnAdd")
    text(applied, "TxnID", invoice_txn_id)
    amount(applied, "PaymentAmount", record.amount)
    return rq


def payment_ref_number(record: Payment) -> str:
    """The payment's reference (check number, card approval), else its id; 20 characters."""
    return (record.reference or record.id)[:TXN_REF_LIMIT]


def _item_lines(ctx: BuildContext, parent: etree._Element, lines: tuple[PurchaseLine, ...]) -> None:
    for line in lines:
        element = etree.SubElement(parent, "ItemLineAdd")
        ref(element, "ItemRef", list_id=ctx.inventory_item_id(line.part_number),
            full_name=ctx.settings.parts_item)
        text(element, "Desc", f"{line.part_number} {line.description}".strip(), 4095)
        quantity(element, "Quantity", line.quantity)
        quantity(element, "Cost", line.unit_cost)
        amount(element, "Amount", line.amount)


def parts_bill(
    ctx: BuildContext, record: PartsPurchase, request_id: str, *, vendor_list_id: str
) -> etree._Element:
    """``BillAddRq`` for a parts purchase: one item line per part (inventory items when known),
    fees as an expense line, so the parts invoice lands in the vendor's ledger."""
    rq = request("BillAddRq", request_id)
    body = etree.SubElement(rq, "BillAdd")
    ref(body, "VendorRef", list_id=vendor_list_id)
    text(body, "TxnDate", record.purchase_date)
    text(body, "RefNumber", record.vendor_invoice_number, TXN_REF_LIMIT)
    text(body, "Memo", f"Parts invoice {record.vendor_invoice_number} {marker('parts_purchase', record.id)}")
    if record.fees:
        expense = etree.SubElement(body, "ExpenseLineAdd")
        ref(expense, "AccountRef", full_name=ctx.settings.purchase_fees_account)
        amount(expense, "Amount", record.fees)
        text(expense, "Memo", "Purchase fees")
    _item_lines(ctx, body, record.lines)
    return rq


def sublet_bill(
    ctx: BuildContext, record: SubletDetail, request_id: str, *, vendor_list_id: str
) -> etree._Element:
    """``BillAddRq`` for a sublet: the sublet vendor, the repair order number in the memo."""
    rq = request("BillAddRq", request_id)
    body = etree.SubElement(rq, "BillAdd")
    ref(body, "VendorRef", list_id=vendor_list_id)
    text(body, "TxnDate", record.detail_date)
    text(body, "RefNumber", sublet_ref_number(record), TXN_REF_LIMIT)
    memo = f"Sublet for RO {record.repair_order_number}: {record.description}"
    memo = f"{memo} {marker('sublet_detail', record.id)}"
    text(body, "Memo", memo, 4095)
    expense = etree.SubElement(body, "ExpenseLineAdd")
    ref(expense, "AccountRef", full_name=ctx.settings.sublet_expense_account)
    amount(expense, "Amount", record.cost)
    text(expense, "Memo", f"RO {record.repair_order_number}: {record.description}", 4095)
    return rq


def vendor_credit(
    ctx: BuildContext, record: PartsReturn, request_id: str, *, vendor_list_id: str
) -> etree._Element:
    """``VendorCreditAddRq`` for parts returned to a vendor."""
    rq = request("VendorCreditAddRq", request_id)
    body = etree.SubElement(rq, "VendorCreditAdd")
    ref(body, "VendorRef", list_id=vendor_list_id)
    text(body, "TxnDate", record.return_date)
    text(body, "RefNumber", record.credit_number, TXN_REF_LIMIT)
    text(body, "Memo", f"Parts return {record.credit_number} {marker('parts_return', record.id)}", 4095)
    _item_lines(ctx, body, record.lines)
    return rq


def sublet_ref_number(record: SubletDetail) -> str:
    """The repair order number a sublet bill carries as its reference (else the record id)."""
    return (record.repair_order_number or record.id)[:TXN_REF_LIMIT]
