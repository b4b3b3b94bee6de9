"""Record builders for the core tests: small, valid records with totals that add up."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hub import (
    Customer,
    FeeLine,
    Invoice,
    InvoiceStatus,
    PartsPurchase,
    Payment,
    PaymentMethod,
    PurchaseLine,
    Vendor,
)

DAY = date(2026, 1, 5)


def customer(cid: str = "C-1", first_name: str = "Ada", **changes: object) -> Customer:
    """A customer."""
    return Customer(id=cid, first_name=first_name, last_name="Lovelace", **changes)  # type: ignore[arg-type]


def invoice(
    iid: str = "RO-1",
    customer_id: str = "C-1",
    amount: str = "100.00",
    status: InvoiceStatus = InvoiceStatus.CLOSED,
) -> Invoice:
    """A closed invoice with one fee line of *amount* (so the total adds up)."""
    value = Decimal(amount)
    return Invoice(
        id=iid,
        number=iid,
        customer_id=customer_id,
        invoice_date=DAY,
        status=status,
        fees=(FeeLine(description="Diagnosis", amount=value),),
        total=value,
    )


def payment(
    pid: str = "P-1", invoice_id: str = "RO-1", amount: str = "100.00", voided: bool = False
) -> Payment:
    """A card payment on an invoice."""
    return Payment(
        id=pid,
        invoice_id=invoice_id,
        amount=Decimal(amount),
        method=PaymentMethod.CARD,
        received_on=DAY,
        voided=voided,
    )


def vendor(vid: str = "V-1", name: str = "Parts Plus") -> Vendor:
    """A parts vendor."""
    return Vendor(id=vid, name=name)


def purchase(pid: str = "PO-1", vendor_id: str = "V-1") -> PartsPurchase:
    """A parts purchase of two filters."""
    line = PurchaseLine(part_number="F-1", quantity=Decimal("2"), unit_cost=Decimal("4.25"))
    return PartsPurchase(
        id=pid,
        vendor_id=vendor_id,
        vendor_invoice_number=f"VI-{pid}",
        purchase_date=DAY,
        lines=(line,),
        total=Decimal("8.50"),
    )
