"""A generator of realistic shop history, deterministic from a seed.

Used by the demo, the tests and the benchmarks. Records come out in dependency order (every
record after the records it references): all customers, vendors and stock first, then each
repair order's invoice followed by its payments and sublet details, with the shop's parts
purchases and returns interleaved as the weeks go by. Memory stays flat for any size: nothing
is kept per repair order.

What is in it: every invoice line kind (labor, parts, sublets, shop supplies, hazmat and other
fees, labor and parts discounts), tax computed from the shop's :class:`TaxSettings` and its
taxable categories, totals that add up to the cent, a few voided invoices, payments in full,
split across methods, partial or missing, parts purchases with freight, sublet details and
parts returns.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TypeVar

from hub.domain.generator_data import (
    FEES,
    FIRST_NAMES,
    FLEET_NAMES,
    LABOR_OPERATIONS,
    LAST_NAMES,
    PARTS_CATALOG,
    STREETS,
    SUBLET_WORK,
    TECHNICIANS,
    VEHICLES,
    VENDOR_NAMES,
    CatalogPart,
)
from hub.domain.money import CENT, ZERO, to_cents
from hub.domain.records import (
    Address,
    Customer,
    FeeLine,
    InventoryItem,
    Invoice,
    InvoiceStatus,
    LaborLine,
    PartLine,
    PartsPurchase,
    PartsReturn,
    Payment,
    PaymentMethod,
    PurchaseLine,
    Record,
    Shop,
    SubletDetail,
    SubletLine,
    TaxCategory,
    Vehicle,
    Vendor,
)

#: The first business day of every generated history.
HISTORY_START = date(2024, 1, 2)
#: Repair orders closed per business day, which spreads a history over realistic dates.
ORDERS_PER_DAY = 12
#: One parts purchase per this many repair orders, one return per this many purchases.
ORDERS_PER_PURCHASE = 8
PURCHASES_PER_RETURN = 10

_SUPPLIES_RATE = Decimal("0.05")
_SUPPLIES_CAP = Decimal("35.00")
_LABOR_RATES = (Decimal("119.00"), Decimal("129.00"), Decimal("139.00"), Decimal("149.00"))
_VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
_T = TypeVar("_T")
_METHODS = (
    PaymentMethod.CARD,
    PaymentMethod.CARD,
    PaymentMethod.CARD,
    PaymentMethod.CASH,
    PaymentMethod.CHECK,
    PaymentMethod.OTHER,
)


def _split(total: Decimal, parts: int, rng: random.Random) -> list[Decimal]:
    """Split *total* into *parts* positive cent amounts that add up exactly."""
    cents = int(total / CENT)
    if cents < parts:
        return [total]
    cuts = sorted(rng.sample(range(1, cents), parts - 1))
    bounds = [0, *cuts, cents]
    return [Decimal(b - a) * CENT for a, b in zip(bounds, bounds[1:], strict=False)]


class _History:
    """The state of one generated history; :meth:`records` yields it."""

    def __init__(self, seed: int, shop: Shop, repair_orders: int) -> None:
        self.rng = random.Random(seed)
        self.shop = shop
        self.repair_orders = repair_orders
        self.locations = [loc.id for loc in shop.locations] or [""]
        self.labor_rate = self._pick(_LABOR_RATES)
        self.customer_count = max(3, repair_orders // 3)
        self.vendors = [f"V{i:03d}" for i in range(1, len(VENDOR_NAMES) + 1)]
        self.parts_vendors = self.vendors[: len(self.vendors) // 2]
        self.sublet_vendors = self.vendors[len(self.vendors) // 2 :]
        self.vehicles: list[list[Vehicle]] = []
        self.purchases = 0
        self.taxable = shop.tax.taxable
        self.tax_rate = shop.tax.rate

    # random.choice and randrange re-draw bits until in range; one float draw is ~5x faster and
    # its bias (below 2**-50) is irrelevant for made-up data.
    def _pick(self, seq: Sequence[_T]) -> _T:
        return seq[int(self.rng.random() * len(seq))]

    def _sample(self, seq: Sequence[_T], k: int) -> list[_T]:
        """*k* distinct items of *seq* (k is small next to len(seq), so retries are rare)."""
        chosen: dict[int, None] = {}
        size = len(seq)
        random = self.rng.random
        while len(chosen) < k:
            chosen[int(random() * size)] = None
        return [seq[i] for i in chosen]

    def _int(self, low: int, high: int) -> int:
        """A whole number in ``[low, high)``."""
        return low + int(self.rng.random() * (high - low))

    # -- people, vendors, stock --------------------------------------------------------

    def customers(self) -> Iterator[Customer]:
        """People and fleets, each with one or two vehicles kept for their repair orders."""
        rng = self.rng
        for n in range(1, self.customer_count + 1):
            first, last = self._pick(FIRST_NAMES), self._pick(LAST_NAMES)
            fleet = rng.random() < 0.08
            yield Customer(
                id=f"C{n:06d}",
                first_name="" if fleet else first,
                last_name="" if fleet else last,
                company_name=f"{self._pick(FLEET_NAMES)} #{n}" if fleet else "",
                email=f"{first.lower()}.{last.lower()}{n}@example.com",
                phone=f"555-{self._int(200, 999)}-{self._int(1000, 9999)}",
                address=Address(
                    line1=f"{self._int(1, 9999)} {self._pick(STREETS)}",
                    city="Springfield",
                    region=self.shop.region or "IL",
                    postal_code=f"{self._int(10000, 99999)}",
                    country=self.shop.country,
                ),
            )
            self.vehicles.append([self._vehicle() for _ in range(1 + (rng.random() < 0.3))])

    def _vehicle(self) -> Vehicle:
        make, model = self._pick(VEHICLES)
        vin = "".join(_VIN_CHARS[b % 33] for b in self.rng.randbytes(17))
        return Vehicle(
            year=self._int(2005, 2025), make=make, model=model, vin=vin, odometer=self._int(5_000, 180_000)
        )

    def vendor_records(self) -> Iterator[Vendor]:
        """Parts suppliers (first half) and sublet vendors (second half)."""
        for vendor_id, name in zip(self.vendors, VENDOR_NAMES, strict=True):
            yield Vendor(
                id=vendor_id,
                name=name,
                email=f"ar@{name.split()[0].lower()}.example.com",
                phone=f"555-010-{int(vendor_id[1:]):04d}",
            )

    def inventory(self) -> Iterator[InventoryItem]:
        """One stocked item per catalog part."""
        for n, part in enumerate(PARTS_CATALOG, start=1):
            yield InventoryItem(
                id=f"I{n:05d}",
                part_number=part.number,
                description=part.description,
                quantity_on_hand=Decimal(self._int(0, 40)),
                cost=part.cost,
                price=part.price,
            )

    # -- repair orders -----------------------------------------------------------------

    def invoice(self, n: int) -> Invoice:
        """Repair order *n*: lines, supplies, fees, discounts, tax from the shop's settings."""
        rng = self.rng
        day = HISTORY_START + timedelta(days=(n - 1) // ORDERS_PER_DAY * 7 // 5)
        customer = self._int(0, self.customer_count)
        garage = self.vehicles[customer]
        v = self._int(0, len(garage))
        seen = garage[v]
        vehicle = garage[v] = Vehicle(year=seen.year, make=seen.make, model=seen.model, vin=seen.vin,
                                      odometer=(seen.odometer or 0) + self._int(500, 9000))
        labor = tuple(
            LaborLine(description=op, hours=hours, rate=self.labor_rate, technician=self._pick(TECHNICIANS))
            for op, hours in self._sample(LABOR_OPERATIONS, self._pick((1, 1, 2, 2, 3)))
        )
        parts = tuple(
            PartLine(
                part_number=p.number,
                description=p.description,
                quantity=Decimal(self._pick((1, 1, 1, 2, 4))),
                unit_price=p.price,
            )
            for p in self._sample(PARTS_CATALOG, self._pick((0, 1, 2, 2, 3, 4)))
        )
        sublets: tuple[SubletLine, ...] = ()
        if rng.random() < 0.12:
            work, cost = self._pick(SUBLET_WORK)
            sublets = (
                SubletLine(
                    vendor_id=self._pick(self.sublet_vendors),
                    description=work,
                    cost=cost,
                    price=to_cents(cost * Decimal("1.4")),
                ),
            )
        fees = tuple(FeeLine(description=d, amount=a) for d, a in FEES if rng.random() < 0.35)
        labor_total = sum((line.amount for line in labor), ZERO)
        parts_total = sum((line.amount for line in parts), ZERO)
        supplies = min(to_cents(labor_total * _SUPPLIES_RATE), _SUPPLIES_CAP) if rng.random() < 0.7 else ZERO
        labor_discount = to_cents(labor_total * Decimal("0.10")) if rng.random() < 0.08 else ZERO
        parts_discount = to_cents(parts_total * Decimal("0.05")) if rng.random() < 0.06 else ZERO
        sublets_total = sum((line.price for line in sublets), ZERO)
        fees_total = sum((line.amount for line in fees), ZERO)
        tax = self._tax(
            labor_total - labor_discount, parts_total - parts_discount, supplies, fees_total, sublets_total
        )
        total = (
            labor_total
            + parts_total
            + sublets_total
            + supplies
            + fees_total
            - labor_discount
            - parts_discount
            + tax
        )
        return Invoice(
            id=f"INV-{n:07d}",
            number=str(100000 + n),
            repair_order_number=f"RO-{n:07d}",
            customer_id=f"C{customer + 1:06d}",
            location_id=self._pick(self.locations),
            status=InvoiceStatus.VOIDED if rng.random() < 0.02 else InvoiceStatus.CLOSED,
            invoice_date=day,
            closed_at=datetime.combine(day, time(hour=self._int(8, 18), minute=self._int(0, 60)), tzinfo=UTC),
            vehicle=vehicle,
            labor=labor,
            parts=parts,
            sublets=sublets,
            shop_supplies=supplies,
            fees=fees,
            labor_discount=labor_discount,
            parts_discount=parts_discount,
            tax=tax,
            total=total,
        )

    def _tax(
        self, labor: Decimal, parts: Decimal, supplies: Decimal, fees: Decimal, sublets: Decimal
    ) -> Decimal:
        if not self.tax_rate:
            return ZERO
        taxable = self.taxable
        base = ZERO
        if TaxCategory.LABOR in taxable:
            base += labor
        if TaxCategory.PARTS in taxable:
            base += parts
        if TaxCategory.SHOP_SUPPLIES in taxable:
            base += supplies
        if TaxCategory.FEES in taxable:
            base += fees
        if TaxCategory.SUBLETS in taxable:
            base += sublets
        return to_cents(base * self.tax_rate)

    def payments(self, invoice: Invoice) -> Iterator[Payment]:
        """Paid in full, split, a deposit only, or not yet; never for a voided invoice."""
        rng = self.rng
        if invoice.status is InvoiceStatus.VOIDED or invoice.total <= 0:
            return
        roll = rng.random()
        if roll < 0.05:
            return  # not paid yet
        if roll < 0.10:
            amounts = [to_cents(invoice.total * Decimal("0.5"))]  # a deposit, the rest still owed
        elif roll < 0.22:
            amounts = _split(invoice.total, self._pick((2, 2, 3)), rng)
        else:
            amounts = [invoice.total]
        for k, amount in enumerate(amounts, start=1):
            if amount <= 0:
                continue
            method = self._pick(_METHODS)
            yield Payment(
                id=f"PAY-{invoice.id[4:]}-{k}",
                invoice_id=invoice.id,
                amount=amount,
                method=method,
                reference=f"{self._int(10**5, 10**6)}" if method is not PaymentMethod.CASH else "",
                received_on=invoice.invoice_date + timedelta(days=0 if k == 1 else self._int(1, 20)),
            )

    def sublet_details(self, invoice: Invoice) -> Iterator[SubletDetail]:
        """What each sublet vendor on *invoice* charged the shop."""
        for k, line in enumerate(invoice.sublets, start=1):
            yield SubletDetail(
                id=f"SD-{invoice.id[4:]}-{k}",
                vendor_id=line.vendor_id,
                repair_order_number=invoice.repair_order_number,
                invoice_id=invoice.id,
                description=line.description,
                cost=line.cost,
                detail_date=invoice.invoice_date,
            )

    # -- purchasing --------------------------------------------------------------------

    def purchase(self, on: date) -> Iterator[PartsPurchase | PartsReturn]:
        """A parts purchase dated *on*; every tenth is followed by a return of one part."""
        self.purchases += 1
        n = self.purchases
        vendor = self._pick(self.parts_vendors)
        lines = tuple(self._purchase_line(p) for p in self._sample(PARTS_CATALOG, self._int(1, 7)))
        fees = Decimal(self._pick((0, 0, 0, 795, 1250))) * CENT
        yield PartsPurchase(
            id=f"PP-{n:06d}",
            vendor_id=vendor,
            vendor_invoice_number=f"{vendor}-{70000 + n}",
            purchase_date=on,
            location_id=self._pick(self.locations),
            lines=lines,
            fees=fees,
            total=sum((line.amount for line in lines), ZERO) + fees,
        )
        if n % PURCHASES_PER_RETURN == 0:
            returned = (
                PurchaseLine(
                    part_number=lines[0].part_number,
                    description=lines[0].description,
                    quantity=Decimal(1),
                    unit_cost=lines[0].unit_cost,
                ),
            )
            yield PartsReturn(
                id=f"PR-{n:06d}",
                vendor_id=vendor,
                credit_number=f"CR-{n:06d}",
                return_date=on + timedelta(days=3),
                lines=returned,
                total=returned[0].amount,
            )

    def _purchase_line(self, part: CatalogPart) -> PurchaseLine:
        return PurchaseLine(
            part_number=part.number,
            description=part.description,
            quantity=Decimal(self._pick((1, 2, 4, 6, 10))),
            unit_cost=part.cost,
        )

    def records(self) -> Iterator[Record]:
        """The whole history in dependency order."""
        yield from self.customers()
        yield from self.vendor_records()
        yield from self.inventory()
        for n in range(1, self.repair_orders + 1):
            invoice = self.invoice(n)
            yield invoice
            yield from self.payments(invoice)
            yield from self.sublet_details(invoice)
            if n % ORDERS_PER_PURCHASE == 0:
                yield from self.purchase(invoice.invoice_date)


def generate_history(seed: int, shop: Shop, repair_orders: int) -> Iterator[Record]:
    """Yield a realistic history for *shop* with *repair_orders* invoices, in dependency order.

    The same *seed*, shop and count always give the same records. Every record passes
    :func:`hub.domain.schemas.load_record`; invoice tax follows ``shop.tax``.
    """
    if repair_orders < 0:
        raise ValueError("repair_orders must not be negative")
    return _History(seed, shop, repair_orders).records()
