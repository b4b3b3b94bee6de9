"""Fixtures of the QuickBooks Online plugin's tests: an in-memory connection context, a sample
shop and a repair order with every kind of line."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from hub.domain.kinds import EntityKind
from hub.domain.records import (
    Customer,
    FeeLine,
    Invoice,
    LaborLine,
    PartLine,
    Shop,
    SubletLine,
    TaxCategory,
    TaxSettings,
    Vehicle,
)
from hub.plugin.target import ExternalRef


class MemoryStore:
    """A KeyValueStore kept in memory; values go through JSON like the hub's store."""

    def __init__(self) -> None:
        self._values: dict[str, str] = {}
        self._lock = threading.Lock()
        self.writes = 0

    def get(self, key: str, default: Any = None) -> Any:
        with self._lock:
            raw = self._values.get(key)
        return default if raw is None else json.loads(raw)

    def set(self, key: str, value: Any) -> None:
        with self._lock:
            self._values[key] = json.dumps(value)
            self.writes += 1

    def compare_and_set(self, key: str, expected: Any, value: Any) -> bool:
        with self._lock:
            raw = self._values.get(key)
            current = None if raw is None else json.loads(raw)
            if current != expected:
                return False
            self._values[key] = json.dumps(value)
            self.writes += 1
            return True


class FakeContext:
    """A ConnectionContext without a database; ``clock`` can be moved by tests."""

    def __init__(self, shop: Shop, settings: dict[str, Any] | None = None, connection_id: int = 1) -> None:
        self.connection_id = connection_id
        self.target_name = "qbo"
        self.shop = shop
        self.settings = settings or {}
        self.logger = logging.getLogger("ledgerhub.plugin.qbo.test")
        self.state = MemoryStore()
        self.secrets = MemoryStore()
        self.clock = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
        self.warnings: list[str] = []
        self.externals: dict[tuple[str, str], ExternalRef] = {}

    def now(self) -> datetime:
        return self.clock

    def advance(self, **kwargs: float) -> None:
        self.clock += timedelta(**kwargs)

    def lookup_external(self, kind: EntityKind, record_id: str) -> ExternalRef | None:
        return self.externals.get((str(kind), record_id))

    def warn(self, message: str) -> None:
        self.warnings.append(message)


@pytest.fixture
def shop() -> Shop:
    return Shop(id="shop-1", name="Main Street Auto", country="US", region="TX",
                tax=TaxSettings(rate=Decimal("0.0825"),
                                taxable=frozenset({TaxCategory.PARTS, TaxCategory.SHOP_SUPPLIES})))


@pytest.fixture
def ctx(shop: Shop) -> Iterator[FakeContext]:
    yield FakeContext(shop)


def full_invoice(number: str = "1042", customer_id: str = "C-1", **overrides: Any) -> Invoice:
    """A repair order with labor, parts, a sublet, shop supplies, hazmat fees and both discounts;
    the tax is 8.25 % of the taxable parts and supplies, the total adds up."""
    labor = (LaborLine(description="Replace front brake pads", hours=Decimal("1.5"), rate=Decimal("120.00"),
                       technician="Ana"),
             LaborLine(description="Diagnose noise", hours=Decimal("0.3"), rate=Decimal("120.00")))
    parts = (PartLine(part_number="BP-221", description="Brake pads, front", quantity=Decimal("1"),
                      unit_price=Decimal("89.99")),
             PartLine(part_number="RT-10", description="Rotor", quantity=Decimal("2"),
                      unit_price=Decimal("64.50")))
    sublets = (SubletLine(vendor_id="V-1", description="Alignment (Joe's Alignment)", cost=Decimal("50.00"),
                          price=Decimal("79.95")),)
    fees = (FeeLine(description="Hazmat disposal", amount=Decimal("4.50")),
            FeeLine(description="Tire disposal", amount=Decimal("3.00")))
    values: dict[str, Any] = dict(
        id=f"INV-{number}", number=number, repair_order_number=f"RO-{number}", customer_id=customer_id,
        invoice_date=date(2026, 11, 20),
        vehicle=Vehicle(year=2016, make="Honda", model="Civic", vin="1HGCM82633A004352", odometer=84211),
        labor=labor, parts=parts, sublets=sublets, shop_supplies=Decimal("12.40"), fees=fees,
        labor_discount=Decimal("10.00"), parts_discount=Decimal("5.00"), total=Decimal("0"),
    )
    values.update(overrides)
    draft = Invoice(**values)
    taxable = draft.parts_total - draft.parts_discount + draft.shop_supplies
    tax = (taxable * Decimal("0.0825")).quantize(Decimal("0.01"))
    values.update(tax=tax, total=draft.subtotal + tax)
    return Invoice(**values)


def customer(cid: str = "C-1", **overrides: Any) -> Customer:
    """A private customer."""
    values: dict[str, Any] = dict(id=cid, first_name="John", last_name="Smith", email="john@example.com",
                                  phone="555-0100")
    values.update(overrides)
    return Customer(**values)


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A running QBO sandbox (auto-approving, time-scaled) with the plugin's limiter matched."""
    from ledgerhub_qbo.limiter import TIME_SCALE_ENV
    from ledgerhub_qbo_sandbox import SandboxServer

    from .sandbox_hub import TIME_SCALE

    monkeypatch.setenv(TIME_SCALE_ENV, str(TIME_SCALE))
    with SandboxServer(port=0, time_scale=TIME_SCALE, auto_approve=True) as server:
        yield server


@pytest.fixture
def qbo_hub(hub_config: Any, clock: Any, sandbox: Any) -> Iterator[Any]:
    """A hub with only the QBO plugin, on the shared test database and clock."""
    from .sandbox_hub import make_hub

    hub = make_hub(hub_config, clock)
    yield hub
    hub.close()


@pytest.fixture
def us_shop(qbo_hub: Any, shop: Shop) -> Shop:
    """The sample shop, stored in the hub."""
    qbo_hub.create_shop(shop)
    return shop
