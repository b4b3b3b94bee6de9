"""Typed records of the shop-management domain.

These classes are plain data: no I/O, no framework. The hub stores them, the sync engine hands
them to target plugins, and the marshmallow schemas in :mod:`hub.domain.schemas` turn JSON into
them (and back) with validation. Money is always :class:`~decimal.Decimal`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from hub.domain.kinds import EntityKind
from hub.domain.money import ZERO, to_cents


class InvoiceStatus(StrEnum):
    """Where a repair order stands. Only closed and voided invoices are sent to the books."""

    OPEN = "open"
    CLOSED = "closed"
    VOIDED = "voided"


class PaymentMethod(StrEnum):
    """How a customer paid."""

    CASH = "cash"
    CHECK = "check"
    CARD = "card"
    OTHER = "other"


class TaxCategory(StrEnum):
    """The invoice amounts a shop can mark taxable."""

    LABOR = "labor"
    PARTS = "parts"
    SHOP_SUPPLIES = "shop_supplies"
    FEES = "fees"
    SUBLETS = "sublets"


@dataclass(frozen=True, slots=True, kw_only=True)
class Address:
    """A postal address; every part optional."""

    line1: str = ""
    line2: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Location:
    """One physical location of a shop."""

    id: str
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TaxSettings:
    """The shop's sales-tax rate and which categories it applies to.

    ``rate`` is a fraction: ``0.0825`` is 8.25 %.
    """

    rate: Decimal = Decimal("0")
    taxable: frozenset[TaxCategory] = frozenset({TaxCategory.PARTS})

    def is_taxable(self, category: TaxCategory) -> bool:
        """True when *category* carries sales tax at this shop."""
        return category in self.taxable


@dataclass(frozen=True, slots=True, kw_only=True)
class Shop:
    """An auto-repair shop: the tenant every record belongs to."""

    id: str
    name: str
    country: str = "US"
    region: str = ""
    timezone: str = "America/New_York"
    locations: tuple[Location, ...] = ()
    tax: TaxSettings = field(default_factory=TaxSettings)


@dataclass(frozen=True, slots=True, kw_only=True)
class Record:
    """Base of every record a shop pushes. ``id`` is the shop system's own identifier."""

    kind: ClassVar[EntityKind]
    id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Customer(Record):
    """A customer of the shop (a person or a fleet company)."""

    kind: ClassVar[EntityKind] = EntityKind.CUSTOMER
    first_name: str = ""
    last_name: str = ""
    company_name: str = ""
    email: str = ""
    phone: str = ""
    address: Address = field(default_factory=Address)

    @property
    def display_name(self) -> str:
        """Company name for fleets, otherwise "First Last"."""
        person = " ".join(p for p in (self.first_name, self.last_name) if p)
        return self.company_name or person or self.id


@dataclass(frozen=True, slots=True, kw_only=True)
class Vendor(Record):
    """A parts supplier or sublet vendor."""

    kind: ClassVar[EntityKind] = EntityKind.VENDOR
    name: str
    email: str = ""
    phone: str = ""
    address: Address = field(default_factory=Address)


@dataclass(frozen=True, slots=True, kw_only=True)
class Vehicle:
    """The vehicle a repair order was for; the odometer is the reading on this invoice."""

    year: int | None = None
    make: str = ""
    model: str = ""
    vin: str = ""
    odometer: int | None = None

    def describe(self) -> str:
        """A short human label: ``2016 Honda Civic (VIN 1HG…)``."""
        label = " ".join(str(p) for p in (self.year, self.make, self.model) if p)
        return f"{label} (VIN {self.vin})" if self.vin else label


@dataclass(frozen=True, slots=True, kw_only=True)
class LaborLine:
    """Labor on a repair order: hours at a rate, by a technician."""

    description: str
    hours: Decimal
    rate: Decimal
    technician: str = ""

    @property
    def amount(self) -> Decimal:
        """Hours × rate, rounded to the cent."""
        return to_cents(self.hours * self.rate)


@dataclass(frozen=True, slots=True, kw_only=True)
class PartLine:
    """A part sold on a repair order."""

    part_number: str
    description: str
    quantity: Decimal
    unit_price: Decimal

    @property
    def amount(self) -> Decimal:
        """Quantity × unit price, rounded to the cent."""
        return to_cents(self.quantity * self.unit_price)


@dataclass(frozen=True, slots=True, kw_only=True)
class SubletLine:
    """Work done by another business and resold on the repair order."""

    vendor_id: str
    description: str
    cost: Decimal
    price: Decimal

    @property
    def amount(self) -> Decimal:
        """What the customer pays for the sublet."""
        return self.price


@dataclass(frozen=True, slots=True, kw_only=True)
class FeeLine:
    """A hazmat, disposal or other fee on a repair order."""

    description: str
    amount: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class Invoice(Record):
    """A closed (or voided) repair order, with every line typed.

    ``total`` must equal :attr:`computed_total`: lines, minus discounts, plus tax.
    """

    kind: ClassVar[EntityKind] = EntityKind.INVOICE
    number: str
    repair_order_number: str = ""
    customer_id: str
    location_id: str = ""
    status: InvoiceStatus = InvoiceStatus.CLOSED
    invoice_date: date
    closed_at: datetime | None = None
    vehicle: Vehicle = field(default_factory=Vehicle)
    labor: tuple[LaborLine, ...] = ()
    parts: tuple[PartLine, ...] = ()
    sublets: tuple[SubletLine, ...] = ()
    shop_supplies: Decimal = ZERO
    fees: tuple[FeeLine, ...] = ()
    labor_discount: Decimal = ZERO
    parts_discount: Decimal = ZERO
    tax: Decimal = ZERO
    total: Decimal

    @property
    def labor_total(self) -> Decimal:
        """Sum of labor line amounts."""
        return sum((line.amount for line in self.labor), ZERO)

    @property
    def parts_total(self) -> Decimal:
        """Sum of part line amounts."""
        return sum((line.amount for line in self.parts), ZERO)

    @property
    def sublets_total(self) -> Decimal:
        """Sum of sublet prices."""
        return sum((line.amount for line in self.sublets), ZERO)

    @property
    def fees_total(self) -> Decimal:
        """Sum of hazmat and other fees."""
        return sum((line.amount for line in self.fees), ZERO)

    @property
    def subtotal(self) -> Decimal:
        """Every line and charge, less both discounts, before tax."""
        return (
            self.labor_total
            + self.parts_total
            + self.sublets_total
            + self.shop_supplies
            + self.fees_total
            - self.labor_discount
            - self.parts_discount
        )

    @property
    def computed_total(self) -> Decimal:
        """What the total must be: subtotal plus tax."""
        return self.subtotal + self.tax


@dataclass(frozen=True, slots=True, kw_only=True)
class Payment(Record):
    """A payment applied to one invoice. Several payments on one invoice make a split payment."""

    kind: ClassVar[EntityKind] = EntityKind.PAYMENT
    invoice_id: str
    amount: Decimal
    method: PaymentMethod
    reference: str = ""
    received_on: date
    voided: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class InventoryItem(Record):
    """A part the shop stocks."""

    kind: ClassVar[EntityKind] = EntityKind.INVENTORY_ITEM
    part_number: str
    description: str = ""
    quantity_on_hand: Decimal = ZERO
    cost: Decimal = ZERO
    price: Decimal = ZERO


@dataclass(frozen=True, slots=True, kw_only=True)
class PurchaseLine:
    """One part on a parts purchase or a parts return."""

    part_number: str
    description: str = ""
    quantity: Decimal
    unit_cost: Decimal

    @property
    def amount(self) -> Decimal:
        """Quantity × unit cost, rounded to the cent."""
        return to_cents(self.quantity * self.unit_cost)


@dataclass(frozen=True, slots=True, kw_only=True)
class PartsPurchase(Record):
    """A vendor's parts invoice: lands as a bill in that vendor's ledger."""

    kind: ClassVar[EntityKind] = EntityKind.PARTS_PURCHASE
    vendor_id: str
    vendor_invoice_number: str
    purchase_date: date
    location_id: str = ""
    lines: tuple[PurchaseLine, ...] = ()
    fees: Decimal = ZERO
    total: Decimal

    @property
    def computed_total(self) -> Decimal:
        """Lines plus fees."""
        return sum((line.amount for line in self.lines), ZERO) + self.fees


@dataclass(frozen=True, slots=True, kw_only=True)
class SubletDetail(Record):
    """What a sublet vendor charged the shop for work on a repair order."""

    kind: ClassVar[EntityKind] = EntityKind.SUBLET_DETAIL
    vendor_id: str
    repair_order_number: str
    invoice_id: str = ""
    description: str
    cost: Decimal
    detail_date: date


@dataclass(frozen=True, slots=True, kw_only=True)
class PartsReturn(Record):
    """Parts sent back to a vendor for credit."""

    kind: ClassVar[EntityKind] = EntityKind.PARTS_RETURN
    vendor_id: str
    credit_number: str
    return_date: date
    lines: tuple[PurchaseLine, ...] = ()
    total: Decimal

    @property
    def computed_total(self) -> Decimal:
        """Sum of the returned lines."""
        return sum((line.amount for line in self.lines), ZERO)


#: The record class for each kind.
RECORD_TYPES: dict[EntityKind, type[Record]] = {
    cls.kind: cls
    for cls in (
        Customer,
        Vendor,
        InventoryItem,
        Invoice,
        Payment,
        PartsPurchase,
        SubletDetail,
        PartsReturn,
    )
}
