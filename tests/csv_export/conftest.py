"""Fixtures for the CSV export tests: a fake connection context, hand-made records with hostile
content, and an independent reader that rebuilds records from the files with the stdlib ``csv``."""

from __future__ import annotations

import csv
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from hub import (
    Action,
    Address,
    Customer,
    Delivery,
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
    Vehicle,
    Vendor,
)

D = Decimal

#: Text that a spreadsheet would run, or that breaks naive CSV code.
HOSTILE = [
    "=HYPERLINK(\"http://x\",\"click\")", "+1+2", "-2+3", "@SUM(A1:A9)", "\tTabbed", "\rCarriage",
    "'already quoted", "comma, inside", 'say "hi"', "two\nlines", "crlf\r\nline", "Ünïcødé 日本語 🚗",
    "  padded  ", "nul\x00byte", "line\u2028separator", "",
]


class MemoryStore:
    """A dict-backed KeyValueStore."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def set(self, key: str, value: Any) -> None:
        self.data[key] = value

    def compare_and_set(self, key: str, expected: Any, value: Any) -> bool:
        if self.data.get(key) != expected:
            return False
        self.data[key] = value
        return True


@dataclass
class FakeContext:
    """A ConnectionContext for calling the target directly."""

    settings: dict[str, Any]
    shop: Shop = field(default_factory=lambda: Shop(id="shop-1", name="Main Street Auto"))
    connection_id: int = 1
    target_name: str = "csv_export"
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("test.csv_export"))
    state: MemoryStore = field(default_factory=MemoryStore)
    secrets: MemoryStore = field(default_factory=MemoryStore)
    clock: datetime = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
    warnings: list[str] = field(default_factory=list)

    def now(self) -> datetime:
        return self.clock

    def lookup_external(self, kind: Any, record_id: str) -> None:
        return None

    def warn(self, message: str) -> None:
        self.warnings.append(message)


def sample_records() -> list[Record]:
    """One or more records of every kind, in dependency order, with hostile text throughout."""
    h = HOSTILE
    customers = [
        Customer(id="C-1", first_name=h[0], last_name=h[1], company_name=h[8], email="a@example.com",
                 phone="+1 555 0100", address=Address(line1=h[9], line2=h[10], city=h[11], region="NY",
                                                     postal_code="-0001", country="US")),
        Customer(id="=C2", first_name=h[2], last_name=h[3], phone="-555", address=Address()),
    ]
    vendors = [
        Vendor(id="V-1", name=h[4], email="@parts.example", phone=h[5],
               address=Address(line1=h[6], city=h[12])),
        Vendor(id="V-2", name=h[13], address=Address(line1=h[14])),
    ]
    items = [
        InventoryItem(id="I-1", part_number="-BRK-1", description=h[7], quantity_on_hand=D("12.5"),
                      cost=D("10.00"), price=D("19.99")),
        InventoryItem(id="I-2", part_number="OIL", description=h[15], quantity_on_hand=D("-3"),
                      cost=D("0.125"), price=D("0.50")),
    ]
    labor = (LaborLine(description="Brake job, front", hours=D("1.5"), rate=D("120.00"), technician=h[1]),)
    parts = (PartLine(part_number="+PAD", description=h[9], quantity=D("2"), unit_price=D("45.25")),
             PartLine(part_number="ROTOR", description="Rotor", quantity=D("1"), unit_price=D("80.00")))
    sublets = (SubletLine(vendor_id="V-1", description=h[0], cost=D("50.00"), price=D("75.00")),)
    fees = (FeeLine(description="Hazmat", amount=D("5.00")), FeeLine(description="-Loyalty credit",
                                                                    amount=D("-12.50")))
    inv1 = Invoice(id="RO-1", number="=1001", repair_order_number="RO 1", customer_id="C-1",
                   location_id="L1", invoice_date=date(2026, 1, 2),
                   closed_at=datetime(2026, 1, 2, 17, 30, tzinfo=UTC),
                   vehicle=Vehicle(year=2016, make="Honda", model=h[11], vin="1HGCM82633A004352",
                                   odometer=123456),
                   labor=labor, parts=parts, sublets=sublets, fees=fees, shop_supplies=D("7.50"),
                   labor_discount=D("10.00"), parts_discount=D("5.00"), tax=D("13.59"), total=D("0"))
    inv1 = _with_total(inv1)
    quarter_hour = LaborLine(description=h[2], hours=D("0.25"), rate=D("99.99"))
    inv2 = _with_total(Invoice(id="RO-2", number="1002", customer_id="=C2", invoice_date=date(2026, 1, 3),
                               status=InvoiceStatus.CLOSED, labor=(quarter_hour,), total=D("0")))
    payments = [
        Payment(id="P-1", invoice_id="RO-1", amount=D("300.00"), method=PaymentMethod.CARD,
                reference=h[3], received_on=date(2026, 1, 2)),
        Payment(id="P-2", invoice_id="RO-1", amount=inv1.total - D("300.00"), method=PaymentMethod.CASH,
                received_on=date(2026, 1, 4), voided=True),
    ]
    purchase = PartsPurchase(
        id="PP-1", vendor_id="V-1", vendor_invoice_number="-INV-9", purchase_date=date(2026, 1, 1),
        location_id="L1", lines=(PurchaseLine(part_number="PAD", description=h[8], quantity=D("4"),
                                              unit_cost=D("20.10")),
                                 PurchaseLine(part_number="ROTOR", quantity=D("2"), unit_cost=D("40.00"))),
        fees=D("3.00"), total=D("163.40"),
    )
    sublet = SubletDetail(id="SD-1", vendor_id="V-1", repair_order_number="RO 1", invoice_id="RO-1",
                          description=h[10], cost=D("50.00"), detail_date=date(2026, 1, 2))
    ret = PartsReturn(id="PR-1", vendor_id="V-2", credit_number="@CR-1", return_date=date(2026, 1, 5),
                      lines=(PurchaseLine(part_number="PAD", quantity=D("1"), unit_cost=D("20.10")),),
                      total=D("20.10"))
    return [*customers, *vendors, *items, inv1, inv2, *payments, purchase, sublet, ret]


def _with_total(invoice: Invoice) -> Invoice:
    from dataclasses import replace

    return replace(invoice, total=invoice.computed_total)


def make_deliveries(records: Iterable[Record], version: int = 1, first_id: int = 1,
                    action: Action = Action.CREATE) -> list[Delivery]:
    """One delivery per record, ids counting up from *first_id*."""
    return [
        Delivery(id=first_id + i, connection_id=1, kind=r.kind, record=r, version=version, action=action,
                 idempotency_key=f"1:{r.kind}:{r.id}:{version}")
        for i, r in enumerate(records)
    ]


# -- reading back, independently of the plugin's own code -------------------------------------

def untext(cell: str) -> str:
    """Undo formula neutralisation: drop one leading apostrophe."""
    return cell[1:] if cell.startswith("'") else cell


def read_rows(path: Path, encoding: str = "utf-8", delimiter: str = ",") -> list[dict[str, str]]:
    """Every row of a CSV file as a dict, read with the stdlib csv module."""
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8-sig" if encoding == "utf-8-sig" else "utf-8") as fh:
        return list(csv.DictReader(fh, delimiter=delimiter))


def _dec(cell: str) -> Decimal:
    return Decimal(cell)


def _int(cell: str) -> int | None:
    return int(cell) if cell else None


def _address(row: Mapping[str, str]) -> Address:
    return Address(**{part: untext(row[f"address_{part}"])
                      for part in ("line1", "line2", "city", "region", "postal_code", "country")})


def rebuild(folder: Path, encoding: str = "utf-8", delimiter: str = ",",
            date_format: str = "%Y-%m-%d") -> dict[tuple[str, str, int], Record]:
    """Every record version in *folder*, rebuilt from the CSV files: {(kind, id, version): record}."""
    def rows(name: str) -> list[dict[str, str]]:
        return read_rows(folder / f"{name}.csv", encoding, delimiter)

    def day(cell: str) -> date:
        return datetime.strptime(cell, date_format).date()

    def lines_of(name: str, parent: str) -> dict[tuple[str, int], list[dict[str, str]]]:
        grouped: dict[tuple[str, int], list[dict[str, str]]] = defaultdict(list)
        for row in rows(name):
            grouped[(untext(row[f"{parent}_id"]), int(row[f"{parent}_version"]))].append(row)
        for group in grouped.values():
            group.sort(key=lambda r: int(r["line_number"]))
        return grouped

    out: dict[tuple[str, str, int], Record] = {}

    def put(record: Record, version: str) -> None:
        key = (record.kind.value, record.id, int(version))
        assert key not in out, f"duplicate row for {key}"
        out[key] = record

    for r in rows("customer"):
        put(Customer(id=untext(r["id"]), first_name=untext(r["first_name"]), last_name=untext(r["last_name"]),
                     company_name=untext(r["company_name"]), email=untext(r["email"]),
                     phone=untext(r["phone"]), address=_address(r)), r["version"])
    for r in rows("vendor"):
        put(Vendor(id=untext(r["id"]), name=untext(r["name"]), email=untext(r["email"]),
                   phone=untext(r["phone"]), address=_address(r)), r["version"])
    for r in rows("inventory_item"):
        put(InventoryItem(id=untext(r["id"]), part_number=untext(r["part_number"]),
                          description=untext(r["description"]), quantity_on_hand=_dec(r["quantity_on_hand"]),
                          cost=_dec(r["cost"]), price=_dec(r["price"])), r["version"])
    invoice_lines = lines_of("invoice_lines", "invoice")
    for r in rows("invoice"):
        rid, version = untext(r["id"]), int(r["version"])
        labor, parts, sublets, fees = [], [], [], []
        for line in invoice_lines.pop((rid, version), []):
            kind = line["line_type"]
            if kind == "labor":
                labor.append(LaborLine(description=untext(line["description"]), hours=_dec(line["quantity"]),
                                       rate=_dec(line["unit_price"]), technician=untext(line["technician"])))
            elif kind == "part":
                parts.append(PartLine(part_number=untext(line["part_number"]),
                                      description=untext(line["description"]),
                                      quantity=_dec(line["quantity"]), unit_price=_dec(line["unit_price"])))
            elif kind == "sublet":
                sublets.append(SubletLine(vendor_id=untext(line["vendor_id"]),
                                          description=untext(line["description"]),
                                          cost=_dec(line["cost"]), price=_dec(line["amount"])))
            else:
                assert kind == "fee", kind
                fees.append(FeeLine(description=untext(line["description"]), amount=_dec(line["amount"])))
        invoice = Invoice(
            id=rid, number=untext(r["number"]), repair_order_number=untext(r["repair_order_number"]),
            customer_id=untext(r["customer_id"]), location_id=untext(r["location_id"]),
            status=InvoiceStatus(r["status"]), invoice_date=day(r["invoice_date"]),
            closed_at=datetime.fromisoformat(r["closed_at"]) if r["closed_at"] else None,
            vehicle=Vehicle(year=_int(r["vehicle_year"]), make=untext(r["vehicle_make"]),
                            model=untext(r["vehicle_model"]), vin=untext(r["vehicle_vin"]),
                            odometer=_int(r["vehicle_odometer"])),
            labor=tuple(labor), parts=tuple(parts), sublets=tuple(sublets), fees=tuple(fees),
            shop_supplies=_dec(r["shop_supplies"]), labor_discount=_dec(r["labor_discount"]),
            parts_discount=_dec(r["parts_discount"]), tax=_dec(r["tax"]), total=_dec(r["total"]),
        )
        for derived in ("labor_total", "parts_total", "sublets_total", "fees_total", "subtotal"):
            assert _dec(r[derived]) == getattr(invoice, derived), (rid, derived)
        put(invoice, r["version"])
    assert not invoice_lines, f"invoice lines without an invoice row: {list(invoice_lines)}"
    for r in rows("payment"):
        put(Payment(id=untext(r["id"]), invoice_id=untext(r["invoice_id"]), amount=_dec(r["amount"]),
                    method=PaymentMethod(r["method"]), reference=untext(r["reference"]),
                    received_on=day(r["received_on"]), voided={"true": True, "false": False}[r["voided"]]),
            r["version"])

    def purchase_lines(group: list[dict[str, str]]) -> tuple[PurchaseLine, ...]:
        return tuple(PurchaseLine(part_number=untext(x["part_number"]),
                                  description=untext(x["description"]),
                                  quantity=_dec(x["quantity"]), unit_cost=_dec(x["unit_cost"]))
                     for x in group)

    pp_lines = lines_of("parts_purchase_lines", "parts_purchase")
    for r in rows("parts_purchase"):
        rid = untext(r["id"])
        put(PartsPurchase(id=rid, vendor_id=untext(r["vendor_id"]),
                          vendor_invoice_number=untext(r["vendor_invoice_number"]),
                          purchase_date=day(r["purchase_date"]), location_id=untext(r["location_id"]),
                          lines=purchase_lines(pp_lines.pop((rid, int(r["version"])), [])),
                          fees=_dec(r["fees"]), total=_dec(r["total"])), r["version"])
    for r in rows("sublet_detail"):
        put(SubletDetail(id=untext(r["id"]), vendor_id=untext(r["vendor_id"]),
                         repair_order_number=untext(r["repair_order_number"]),
                         invoice_id=untext(r["invoice_id"]),
                         description=untext(r["description"]), cost=_dec(r["cost"]),
                         detail_date=day(r["detail_date"])), r["version"])
    pr_lines = lines_of("parts_return_lines", "parts_return")
    for r in rows("parts_return"):
        rid = untext(r["id"])
        put(PartsReturn(id=rid, vendor_id=untext(r["vendor_id"]), credit_number=untext(r["credit_number"]),
                        return_date=day(r["return_date"]),
                        lines=purchase_lines(pr_lines.pop((rid, int(r["version"])), [])),
                        total=_dec(r["total"])), r["version"])
    return out


def summaries(folder: Path, encoding: str = "utf-8", delimiter: str = ",") -> list[dict[str, dict[str, str]]]:
    """Every run summary in *folder* (oldest first), each as {file: row}."""
    return [{row["file"]: row for row in read_rows(path, encoding, delimiter)}
            for path in sorted((folder / "runs").glob("*-summary.csv"))]


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    """A not-yet-existing output folder."""
    return tmp_path / "export"


@pytest.fixture
def ctx(out_dir: Path) -> FakeContext:
    """A connection context writing into *out_dir* with default settings."""
    return FakeContext(settings={"output_folder": str(out_dir)})


@pytest.fixture
def kit() -> SimpleNamespace:
    """The helpers above, for test modules (which cannot import conftest)."""
    return SimpleNamespace(
        FakeContext=FakeContext, sample_records=sample_records, make_deliveries=make_deliveries,
        read_rows=read_rows, rebuild=rebuild, summaries=summaries, untext=untext, HOSTILE=HOSTILE,
    )
