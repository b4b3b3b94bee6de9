"""The vocabulary of the history generator: names, vehicles, parts, labor operations."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class CatalogPart:
    """A part the generated shop stocks and sells."""

    number: str
    description: str
    cost: Decimal
    price: Decimal


def _part(number: str, description: str, cost: str, price: str) -> CatalogPart:
    return CatalogPart(number, description, Decimal(cost), Decimal(price))


PARTS_CATALOG: tuple[CatalogPart, ...] = (
    _part("BP-4410", "Front brake pads, ceramic", "28.40", "64.99"),
    _part("BP-4420", "Rear brake pads, ceramic", "24.10", "54.99"),
    _part("BR-1102", "Front brake rotor", "38.75", "89.95"),
    _part("BR-1104", "Rear brake rotor", "34.20", "79.95"),
    _part("OF-0051", "Oil filter", "3.85", "9.99"),
    _part("OIL-5W30", "Motor oil 5W-30, quart", "4.10", "8.49"),
    _part("OIL-0W20", "Motor oil 0W-20, quart", "4.60", "9.29"),
    _part("AF-2201", "Engine air filter", "7.30", "21.99"),
    _part("CF-3301", "Cabin air filter", "8.10", "24.99"),
    _part("WB-2200", "Wiper blade 22in", "6.40", "17.99"),
    _part("SP-IR01", "Spark plug, iridium", "6.95", "15.49"),
    _part("BAT-H6", "Battery group H6", "112.00", "189.99"),
    _part("SB-6PK", "Serpentine belt", "21.50", "49.95"),
    _part("TS-0402", "Thermostat with gasket", "14.80", "36.50"),
    _part("WP-7710", "Water pump", "62.30", "139.00"),
    _part("CV-5520", "CV axle, front left", "71.00", "164.99"),
    _part("SS-9001", "Strut assembly, front", "88.40", "199.00"),
    _part("TR-3100", "Outer tie rod end", "19.60", "44.99"),
    _part("BJ-2040", "Lower ball joint", "26.30", "59.99"),
    _part("O2-1150", "Oxygen sensor, upstream", "41.20", "94.50"),
    _part("CLN-1GAL", "Coolant 50/50, gallon", "9.40", "19.99"),
    _part("BF-DOT3", "Brake fluid DOT 3", "4.30", "11.49"),
    _part("HL-9006", "Headlight bulb 9006", "7.90", "18.99"),
    _part("TPMS-01", "TPMS sensor", "24.00", "59.00"),
)

#: Labor operations and their book hours.
LABOR_OPERATIONS: tuple[tuple[str, Decimal], ...] = tuple(
    (op, Decimal(hours))
    for op, hours in (
        ("Lube, oil and filter service", "0.5"),
        ("Replace front brake pads and rotors", "1.8"),
        ("Replace rear brake pads", "1.2"),
        ("Four-wheel alignment check", "0.6"),
        ("Diagnose check engine light", "1.0"),
        ("Replace battery and test charging system", "0.4"),
        ("Replace serpentine belt", "0.7"),
        ("Replace water pump", "3.2"),
        ("Replace thermostat", "1.1"),
        ("Replace front strut assemblies", "2.6"),
        ("Replace CV axle", "1.5"),
        ("Replace spark plugs", "1.25"),
        ("Replace oxygen sensor", "0.8"),
        ("Coolant flush", "1.0"),
        ("Brake fluid exchange", "0.9"),
        ("Tire rotation", "0.3"),
        ("State inspection", "0.75"),
        ("Replace TPMS sensor", "0.5"),
    )
)

#: Sublet work and what the sublet vendor charges the shop.
SUBLET_WORK: tuple[tuple[str, Decimal], ...] = tuple(
    (work, Decimal(cost))
    for work, cost in (
        ("Windshield replacement", "289.00"),
        ("Transmission rebuild", "1850.00"),
        ("A/C recharge at specialist", "145.00"),
        ("Machine shop: resurface heads", "320.00"),
        ("Tow to shop", "95.00"),
    )
)

#: Fees and their amounts.
FEES: tuple[tuple[str, Decimal], ...] = (
    ("Hazardous waste disposal", Decimal("4.95")),
    ("Tire disposal fee", Decimal("3.50")),
    ("EPA environmental fee", Decimal("2.75")),
)

VENDOR_NAMES: tuple[str, ...] = (
    "Worldpac Parts",
    "NAPA Auto Parts",
    "AutoZone Commercial",
    "O'Reilly First Call",
    "Advance Professional",
    "Parts Authority",
    "Glass Doctor",
    "Precision Transmissions",
    "CoolTech Auto AC",
    "City Machine Shop",
    "Ace Towing",
    "Mobile Alignment Co",
)

FIRST_NAMES: tuple[str, ...] = (
    "James",
    "Maria",
    "Robert",
    "Linda",
    "Michael",
    "Patricia",
    "David",
    "Jennifer",
    "Carlos",
    "Aisha",
    "Wei",
    "Fatima",
    "Thomas",
    "Sarah",
    "Daniel",
    "Priya",
    "Kevin",
    "Olga",
    "Luis",
    "Emma",
)

LAST_NAMES: tuple[str, ...] = (
    "Smith",
    "Garcia",
    "Johnson",
    "Nguyen",
    "Williams",
    "Brown",
    "Martinez",
    "Okafor",
    "Miller",
    "Chen",
    "Davis",
    "Kowalski",
    "Lopez",
    "Wilson",
    "Anderson",
    "Patel",
    "Taylor",
    "O'Brien",
)

FLEET_NAMES: tuple[str, ...] = (
    "Metro Plumbing Fleet",
    "Sunrise Delivery LLC",
    "Green Lawn Services",
    "County Sheriff Motor Pool",
    "QuickCab Taxi",
    "Rivera Construction",
)

STREETS: tuple[str, ...] = (
    "Main St",
    "Oak Ave",
    "Maple Dr",
    "Cedar Ln",
    "Elm St",
    "Washington Blvd",
    "Lake Rd",
    "Hill St",
)

VEHICLES: tuple[tuple[str, str], ...] = (
    ("Toyota", "Camry"),
    ("Honda", "Civic"),
    ("Ford", "F-150"),
    ("Chevrolet", "Silverado"),
    ("Nissan", "Altima"),
    ("Subaru", "Outback"),
    ("Jeep", "Grand Cherokee"),
    ("Hyundai", "Elantra"),
    ("Ford", "Transit"),
    ("Toyota", "RAV4"),
    ("Honda", "CR-V"),
    ("BMW", "328i"),
)

TECHNICIANS: tuple[str, ...] = ("Tony R.", "Sam K.", "Alex M.", "Jordan P.", "Chris L.")
