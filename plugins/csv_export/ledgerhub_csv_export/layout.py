"""The files and columns of an export, and how each record becomes rows.

Every kind has its own file; records with lines (invoices, parts purchases, parts returns) also
write a ``*_lines`` file keyed by the parent's id and version. Columns are part of the plugin's
contract (documented in ``docs/csv_export.md``): new columns are only ever added at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from hub.domain.kinds import EntityKind
from hub.domain.money import ZERO
from hub.domain.records import (
    Address,
    Customer,
    InventoryItem,
    Invoice,
    PartsPurchase,
    PartsReturn,
    Payment,
    PurchaseLine,
    Record,
    SubletDetail,
    Vendor,
)
from ledgerhub_csv_export.cells import (
    DateCells,
    boolean,
    integer,
    money,
    number,
    text,
    timestamp,
)

Row = list[str]
#: The rows of one record version, one list per file of its kind (in :attr:`KindLayout.files` order).
RowGroups = tuple[list[Row], ...]

ADDRESS_COLUMNS = ("address_line1", "address_line2", "address_city", "address_region",
                   "address_postal_code", "address_country")


@dataclass(frozen=True, slots=True)
class FileLayout:
    """One CSV file: its name, its header, and the column the run summary totals (if any)."""

    name: str
    columns: tuple[str, ...]
    amount_column: str | None = None

    @property
    def filename(self) -> str:
        """``<name>.csv``."""
        return f"{self.name}.csv"

    amount_index: int | None = field(init=False, default=None)
    """Position of :attr:`amount_column`, or ``None``."""

    def __post_init__(self) -> None:
        index = None if self.amount_column is None else self.columns.index(self.amount_column)
        object.__setattr__(self, "amount_index", index)


@dataclass(frozen=True, slots=True)
class KindLayout:
    """The files one kind writes to and the function turning a record version into rows."""

    kind: EntityKind
    files: tuple[FileLayout, ...]
    rows: Callable[[Record, int, DateCells], RowGroups]


def _address(a: Address) -> Row:
    return [text(a.line1), text(a.line2), text(a.city), text(a.region), text(a.postal_code),
            text(a.country)]


def _customer(r: Customer, v: int, d: DateCells) -> RowGroups:
    return ([[text(r.id), str(v), text(r.first_name), text(r.last_name), text(r.company_name),
              text(r.email), text(r.phone), *_address(r.address)]],)


def _vendor(r: Vendor, v: int, d: DateCells) -> RowGroups:
    return ([[text(r.id), str(v), text(r.name), text(r.email), text(r.phone), *_address(r.address)]],)


def _inventory_item(r: InventoryItem, v: int, d: DateCells) -> RowGroups:
    return ([[text(r.id), str(v), text(r.part_number), text(r.description),
              number(r.quantity_on_hand), money(r.cost), money(r.price)]],)


def _invoice(r: Invoice, v: int, d: DateCells) -> RowGroups:
    # One pass over the lines: each amount is computed once and feeds both its line row and
    # the invoice's category totals (the record's properties would recompute them).
    rid, ver = text(r.id), str(v)
    lines: list[Row] = []
    n = 0
    labor_total = parts_total = sublets_total = fees_total = ZERO
    # Line columns: invoice_id, invoice_version, line_number, line_type, description,
    # part_number, technician, vendor_id, quantity, unit_price, cost, amount.
    for labor in r.labor:
        n += 1
        amount = labor.amount
        labor_total += amount
        lines.append([rid, ver, str(n), "labor", text(labor.description), "", text(labor.technician),
                      "", number(labor.hours), money(labor.rate), "", money(amount)])
    for part in r.parts:
        n += 1
        amount = part.amount
        parts_total += amount
        lines.append([rid, ver, str(n), "part", text(part.description), text(part.part_number), "",
                      "", number(part.quantity), money(part.unit_price), "", money(amount)])
    for sublet in r.sublets:
        n += 1
        sublets_total += sublet.price
        lines.append([rid, ver, str(n), "sublet", text(sublet.description), "", "",
                      text(sublet.vendor_id), "", "", money(sublet.cost), money(sublet.price)])
    for fee in r.fees:
        n += 1
        fees_total += fee.amount
        lines.append([rid, ver, str(n), "fee", text(fee.description), "", "", "", "", "", "",
                      money(fee.amount)])
    subtotal = (labor_total + parts_total + sublets_total + r.shop_supplies + fees_total
                - r.labor_discount - r.parts_discount)
    veh = r.vehicle
    head = [
        rid, ver, text(r.number), text(r.repair_order_number), text(r.customer_id),
        text(r.location_id), r.status, d(r.invoice_date), timestamp(r.closed_at),
        integer(veh.year), text(veh.make), text(veh.model), text(veh.vin), integer(veh.odometer),
        money(labor_total), money(parts_total), money(sublets_total), money(r.shop_supplies),
        money(fees_total), money(r.labor_discount), money(r.parts_discount), money(subtotal),
        money(r.tax), money(r.total),
    ]
    return ([head], lines)


def _purchase_lines(rid: str, ver: str, lines: Sequence[PurchaseLine]) -> list[Row]:
    return [[rid, ver, str(n), text(line.part_number), text(line.description), number(line.quantity),
             money(line.unit_cost), money(line.amount)] for n, line in enumerate(lines, 1)]


def _payment(r: Payment, v: int, d: DateCells) -> RowGroups:
    return ([[text(r.id), str(v), text(r.invoice_id), money(r.amount), r.method,
              text(r.reference), d(r.received_on), boolean(r.voided)]],)


def _parts_purchase(r: PartsPurchase, v: int, d: DateCells) -> RowGroups:
    rid, ver = text(r.id), str(v)
    return ([[rid, ver, text(r.vendor_id), text(r.vendor_invoice_number), d(r.purchase_date),
              text(r.location_id), money(r.fees), money(r.total)]],
            _purchase_lines(rid, ver, r.lines))


def _sublet_detail(r: SubletDetail, v: int, d: DateCells) -> RowGroups:
    return ([[text(r.id), str(v), text(r.vendor_id), text(r.repair_order_number), text(r.invoice_id),
              text(r.description), money(r.cost), d(r.detail_date)]],)


def _parts_return(r: PartsReturn, v: int, d: DateCells) -> RowGroups:
    rid, ver = text(r.id), str(v)
    return ([[rid, ver, text(r.vendor_id), text(r.credit_number), d(r.return_date), money(r.total)]],
            _purchase_lines(rid, ver, r.lines))


def _lines_file(parent: str) -> FileLayout:
    return FileLayout(
        f"{parent}_lines",
        (f"{parent}_id", f"{parent}_version", "line_number", "part_number", "description", "quantity",
         "unit_cost", "amount"),
        "amount",
    )


CUSTOMER_FILE = FileLayout(
    "customer",
    ("id", "version", "first_name", "last_name", "company_name", "email", "phone", *ADDRESS_COLUMNS),
)
VENDOR_FILE = FileLayout("vendor", ("id", "version", "name", "email", "phone", *ADDRESS_COLUMNS))
INVENTORY_ITEM_FILE = FileLayout(
    "inventory_item", ("id", "version", "part_number", "description", "quantity_on_hand", "cost", "price"),
)
INVOICE_FILE = FileLayout(
    "invoice",
    ("id", "version", "number", "repair_order_number", "customer_id", "location_id", "status",
     "invoice_date", "closed_at", "vehicle_year", "vehicle_make", "vehicle_model", "vehicle_vin",
     "vehicle_odometer", "labor_total", "parts_total", "sublets_total", "shop_supplies", "fees_total",
     "labor_discount", "parts_discount", "subtotal", "tax", "total"),
    "total",
)
INVOICE_LINES_FILE = FileLayout(
    "invoice_lines",
    ("invoice_id", "invoice_version", "line_number", "line_type", "description", "part_number",
     "technician", "vendor_id", "quantity", "unit_price", "cost", "amount"),
    "amount",
)
PAYMENT_FILE = FileLayout(
    "payment",
    ("id", "version", "invoice_id", "amount", "method", "reference", "received_on", "voided"),
    "amount",
)
PARTS_PURCHASE_FILE = FileLayout(
    "parts_purchase",
    ("id", "version", "vendor_id", "vendor_invoice_number", "purchase_date", "location_id", "fees",
     "total"),
    "total",
)
SUBLET_DETAIL_FILE = FileLayout(
    "sublet_detail",
    ("id", "version", "vendor_id", "repair_order_number", "invoice_id", "description", "cost",
     "detail_date"),
    "cost",
)
PARTS_RETURN_FILE = FileLayout(
    "parts_return", ("id", "version", "vendor_id", "credit_number", "return_date", "total"), "total",
)

#: Each kind's files and row builder.
KINDS: dict[EntityKind, KindLayout] = {
    layout.kind: layout
    for layout in (
        KindLayout(EntityKind.CUSTOMER, (CUSTOMER_FILE,), _customer),  # type: ignore[arg-type]
        KindLayout(EntityKind.VENDOR, (VENDOR_FILE,), _vendor),  # type: ignore[arg-type]
        KindLayout(EntityKind.INVENTORY_ITEM, (INVENTORY_ITEM_FILE,), _inventory_item),  # type: ignore[arg-type]
        KindLayout(EntityKind.INVOICE, (INVOICE_FILE, INVOICE_LINES_FILE), _invoice),  # type: ignore[arg-type]
        KindLayout(EntityKind.PAYMENT, (PAYMENT_FILE,), _payment),  # type: ignore[arg-type]
        KindLayout(EntityKind.PARTS_PURCHASE, (PARTS_PURCHASE_FILE, _lines_file("parts_purchase")),
                   _parts_purchase),  # type: ignore[arg-type]
        KindLayout(EntityKind.SUBLET_DETAIL, (SUBLET_DETAIL_FILE,), _sublet_detail),  # type: ignore[arg-type]
        KindLayout(EntityKind.PARTS_RETURN, (PARTS_RETURN_FILE, _lines_file("parts_return")),
                   _parts_return),  # type: ignore[arg-type]
    )
}

#: Every file of an export, in dependency order of the kinds.
FILES: dict[str, FileLayout] = {f.filename: f for layout in KINDS.values() for f in layout.files}
