"""Fixtures for the Accounting Link tests: records of every kind, a hub with the plugin, the
web app on a real loopback HTTP server, a zeep client built from Intuit's WSDL, a fake
QuickBooks Desktop, and a simulated Web Connector driving whole conversations."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import ledgerhub_accounting_link
import pytest
import zeep
from flask import Flask
from ledgerhub_accounting_link import settings as settings_module
from ledgerhub_accounting_link.fake_quickbooks import FakeQuickBooks
from ledgerhub_accounting_link.qbxml import schema
from werkzeug.serving import make_server

from hub import (
    Address,
    Customer,
    FeeLine,
    InventoryItem,
    Invoice,
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
from hub.config import HubConfig
from hub.plugin.manager import build_plugin_manager
from hub.sync.runtime import Hub
from hub.web import create_app

D = Decimal
ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT.parent / "shared" / "reference"
WSDL = REFERENCE / "qbwc" / "QBWebConnectorSvc.wsdl"
API_KEY = "al-key-7f3c9a1b"
SOAP_BINDING = "{http://developer.intuit.com/}QBWebConnectorSvcSoap"


class Store(dict):
    """A dict-backed KeyValueStore."""

    def set(self, key: str, value: object) -> None:
        self[key] = value

    def compare_and_set(self, key: str, expected: object, value: object) -> bool:
        if self.get(key) != expected:
            return False
        self[key] = value
        return True


def every_kind_records() -> list[Record]:
    """One record of every kind, in dependency order, with every invoice line type."""
    return [
        Customer(id="C-1", first_name="Ann", last_name="Lee", phone="555-0100",
                 address=Address(line1="1 Elm St", city="Austin", region="TX", postal_code="78701")),
        Customer(id="C-2", company_name="Speedy Fleet Services Incorporated of Greater Austin Texas"),
        Vendor(id="V-1", name="NAPA Auto Parts", phone="555-0200"),
        Vendor(id="V-2", name="Alignment Pros"),
        InventoryItem(id="I-1", part_number="BRK-PAD-001", description="Brake pads",
                      quantity_on_hand=D("4"), cost=D("22.50"), price=D("45.00")),
        Invoice(
            id="INV-1", number="1001", repair_order_number="RO-1001", customer_id="C-1",
            location_id="loc-1", invoice_date=date(2026, 1, 5),
            vehicle=Vehicle(year=2016, make="Honda", model="Civic", odometer=88000),
            labor=(LaborLine(description="Replace front pads", hours=D("1.5"), rate=D("120.00"),
                             technician="Sam"),),
            parts=(PartLine(part_number="BRK-PAD-001", description="Brake pads", quantity=D("1"),
                            unit_price=D("45.00")),),
            sublets=(SubletLine(vendor_id="V-2", description="Alignment", cost=D("50.00"),
                                price=D("80.00")),),
            shop_supplies=D("5.00"), fees=(FeeLine(description="Hazmat disposal", amount=D("3.00")),),
            labor_discount=D("10.00"), parts_discount=D("5.00"), tax=D("3.71"), total=D("301.71"),
        ),
        Payment(id="PAY-1", invoice_id="INV-1", amount=D("200.00"), method=PaymentMethod.CARD,
                reference="AUTH77", received_on=date(2026, 1, 5)),
        Payment(id="PAY-2", invoice_id="INV-1", amount=D("101.71"), method=PaymentMethod.CASH,
                received_on=date(2026, 1, 6)),
        PartsPurchase(id="PO-1", vendor_id="V-1", vendor_invoice_number="NAPA-5531",
                      purchase_date=date(2026, 1, 4), location_id="loc-1",
                      lines=(PurchaseLine(part_number="BRK-PAD-001", description="Brake pads",
                                          quantity=D("4"), unit_cost=D("22.50")),),
                      fees=D("4.00"), total=D("94.00")),
        SubletDetail(id="SUB-1", vendor_id="V-2", repair_order_number="RO-1001", invoice_id="INV-1",
                     description="Four-wheel alignment", cost=D("50.00"), detail_date=date(2026, 1, 5)),
        PartsReturn(id="RET-1", vendor_id="V-1", credit_number="CR-88", return_date=date(2026, 1, 7),
                    lines=(PurchaseLine(part_number="BRK-PAD-001", quantity=D("1"), unit_cost=D("22.50")),),
                    total=D("22.50")),
    ]


@pytest.fixture(autouse=True)
def _cheap_key_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """scrypt at full cost takes ~0.2 s here per login; the tests keep the scheme, not the cost
    (the cost is stored in each hash, so verification follows it)."""
    monkeypatch.setattr(settings_module, "_SCRYPT_N", 2**8)


@pytest.fixture
def al_hub(hub: Hub) -> Hub:
    """The hub of these tests (only the Accounting Link plugin, the test clock)."""
    return hub


@pytest.fixture
def al_shop(al_hub: Hub, shop: Shop) -> Shop:
    """The shared test shop (8.25 % on parts and shop supplies)."""
    return shop


@pytest.fixture
def connection_id(al_hub: Hub, al_shop: Shop) -> int:
    """An Accounting Link connection serving the shop's one location."""
    return al_hub.connect(al_shop.id, "accounting_link", {"api_key": API_KEY, "location": "loc-1"})


@pytest.fixture
def hub(hub_config: HubConfig, clock: Any) -> Iterator[Hub]:
    """A hub with only the Accounting Link plugin, on the test clock (the shared ``shop``
    fixture stores its shop through this one)."""
    host = build_plugin_manager(load_entrypoints=False,
                                extra_plugins=[("accounting_link", ledgerhub_accounting_link)])
    instance = Hub(hub_config, host=host, clock=clock)
    yield instance
    instance.close()


@pytest.fixture
def server_app(al_hub: Hub) -> Flask:
    """``create_app(hub)``: the hub's whole web app, plugin blueprints included."""
    return create_app(al_hub, {"TESTING": True})


@pytest.fixture
def server_url(server_app: Flask) -> Iterator[str]:
    """The app served by werkzeug on a loopback port, in a thread."""
    server = make_server("127.0.0.1", 0, server_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def soap(server_url: str) -> Any:
    """A zeep service proxy built from Intuit's WSDL, bound to the app's ``/qbwc``."""
    client = zeep.Client(str(WSDL))
    return client.create_service(SOAP_BINDING, f"{server_url}/qbwc")


@pytest.fixture
def quickbooks(al_shop: Shop) -> Iterator[FakeQuickBooks]:
    """A fake company file charging the shop's tax rate. Every request it received must pass
    the schema, the version line and the US QuickBooks Desktop rules."""
    books = FakeQuickBooks(sales_tax_rate=al_shop.tax.rate)
    yield books
    for document in books.requests:
        assert schema.problems(document) == []


@dataclass
class Run:
    """What one Web Connector run saw."""

    auth: list[str]
    percents: list[int] = field(default_factory=list)
    documents: int = 0
    last_error: str = ""
    closed: str = ""


@dataclass
class WebConnector:
    """Plays the QuickBooks Web Connector: the call sequence QBWC makes, over SOAP."""

    soap: Any
    books: FakeQuickBooks
    username: str
    country: str = "US"

    def run(self, password: str = API_KEY, *, lose_response_of: int | None = None,
            crash_after: int | None = None) -> Run:
        """One scheduled run. *lose_response_of* (1-based document number): QuickBooks runs
        that document but its answer never reaches the hub and the run dies there.
        *crash_after*: the run dies after that many documents, answers delivered."""
        self.soap.serverVersion()
        assert self.soap.clientVersion("2.3.0.36") in ("", None)
        auth = list(self.soap.authenticate(self.username, password) or [])
        run = Run(auth=auth)
        if len(auth) < 2 or auth[1] in ("nvu", "none"):
            return run
        ticket = auth[0]
        while True:
            document = self.soap.sendRequestXML(ticket, "", "C:\\Books\\shop.qbw", self.country, 13, 0)
            if not document:
                run.last_error = self.soap.getLastError(ticket)
                break
            run.documents += 1
            answer = self.books.process(document)
            if lose_response_of == run.documents:
                return run
            percent = self.soap.receiveResponseXML(ticket, answer, "", "")
            run.percents.append(percent)
            if percent < 0:
                run.last_error = self.soap.getLastError(ticket)
                break
            if crash_after == run.documents:
                return run
            if percent >= 100:
                break
        run.closed = self.soap.closeConnection(ticket)
        return run


@pytest.fixture
def web_connector(soap: Any, quickbooks: FakeQuickBooks, connection_id: int) -> WebConnector:
    """The simulated Web Connector for the test connection."""
    return WebConnector(soap, quickbooks, f"ledgerhub-{connection_id}")
