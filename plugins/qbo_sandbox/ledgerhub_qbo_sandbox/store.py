"""Per-realm state: the objects, the request log and the remembered ``requestid`` answers.

Each realm (QBO company) is seeded like a fresh QBO company: a chart of accounts, the tax codes
of its country, its CompanyInfo and one employee (employees share the DisplayName namespace with
customers and vendors). All access goes through ``realm.lock``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ledgerhub_qbo_sandbox.clock import SandboxClock

#: (Name, AccountType, AccountSubType) of the seeded chart of accounts, in Id order.
SEED_ACCOUNTS: tuple[tuple[str, str, str], ...] = (
    ("Sales of Product Income", "Income", "SalesOfProductIncome"),
    ("Services", "Income", "ServiceFeeIncome"),
    ("Labor Income", "Income", "ServiceFeeIncome"),
    ("Discounts given", "Income", "DiscountsRefundsGiven"),
    ("Cost of Goods Sold", "Cost of Goods Sold", "SuppliesMaterialsCogs"),
    ("Inventory Asset", "Other Current Asset", "Inventory"),
    ("Undeposited Funds", "Other Current Asset", "UndepositedFunds"),
    ("Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable"),
    ("Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable"),
)
CLASSIFICATIONS = {
    "Income": "Revenue",
    "Other Income": "Revenue",
    "Cost of Goods Sold": "Expense",
    "Expense": "Expense",
    "Other Expense": "Expense",
    "Other Current Asset": "Asset",
    "Fixed Asset": "Asset",
    "Bank": "Asset",
    "Accounts Receivable": "Asset",
    "Other Asset": "Asset",
    "Accounts Payable": "Liability",
    "Credit Card": "Liability",
    "Other Current Liability": "Liability",
    "Long Term Liability": "Liability",
    "Equity": "Equity",
}

#: Canadian tax codes of an Ontario company: Id → (Name, [(rate name, percent)]).
CANADIAN_TAX_CODES: dict[str, tuple[str, list[tuple[str, Decimal]]]] = {
    "2": ("Exempt", [("Exempt", Decimal("0"))]),
    "3": ("Zero-rated", [("Zero-rated", Decimal("0"))]),
    "4": ("Out of Scope", [("Out of Scope", Decimal("0"))]),
    "5": ("GST", [("GST", Decimal("5"))]),
    "6": ("HST ON", [("HST ON", Decimal("13"))]),
    "7": ("GST/PST BC", [("GST", Decimal("5")), ("PST BC", Decimal("7"))]),
}

REQUEST_LOG_LIMIT = 5000
#: How many requestid answers a realm remembers (QBO does not say how long it keeps them).
REQUEST_ID_LIMIT = 50_000
US_TAX_RATE_ID = "1"


@dataclass
class CachedAnswer:
    """The first answer given to a ``requestid``."""

    status: int
    body: dict[str, Any]


@dataclass
class Realm:
    """One QBO company and everything the sandbox remembers about it."""

    realm_id: str
    company_name: str
    country: str
    tax_rate: Decimal
    clock: SandboxClock
    lock: threading.RLock = field(default_factory=threading.RLock)
    objects: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    request_log: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=REQUEST_LOG_LIMIT))
    answers: OrderedDict[str, CachedAnswer] = field(default_factory=OrderedDict)
    voided: set[tuple[str, str]] = field(default_factory=set)

    def remember(self, request_id: str, answer: CachedAnswer) -> None:
        """Keep the first answer to a requestid (the oldest are forgotten past a limit)."""
        self.answers[request_id] = answer
        while len(self.answers) > REQUEST_ID_LIMIT:
            self.answers.popitem(last=False)

    def table(self, entity: str) -> dict[str, dict[str, Any]]:
        """The live Id → object mapping of one entity (create it empty if needed)."""
        return self.objects.setdefault(entity, {})

    def get(self, entity: str, object_id: str) -> dict[str, Any] | None:
        """The stored object (live, not a copy), or None."""
        return self.table(entity).get(str(object_id))

    def add(self, entity: str, body: dict[str, Any], object_id: str | None = None) -> dict[str, Any]:
        """Store a new object: give it an Id, SyncToken 0 and MetaData."""
        if object_id is None:
            self.counters[entity] = self.counters.get(entity, 0) + 1
            object_id = str(self.counters[entity])
        now = self.clock.timestamp()
        stored = {
            **body,
            "Id": object_id,
            "SyncToken": "0",
            "domain": "QBO",
            "sparse": False,
            "MetaData": {"CreateTime": now, "LastUpdatedTime": now},
        }
        self.table(entity)[object_id] = stored
        return stored

    def replace(self, entity: str, object_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Store a new version of an object: next SyncToken, new LastUpdatedTime."""
        previous = self.table(entity)[object_id]
        stored = {
            **body,
            "Id": object_id,
            "SyncToken": str(int(previous["SyncToken"]) + 1),
            "domain": "QBO",
            "sparse": False,
            "MetaData": {
                "CreateTime": previous["MetaData"]["CreateTime"],
                "LastUpdatedTime": self.clock.timestamp(),
            },
        }
        self.table(entity)[object_id] = stored
        return stored

    def remove(self, entity: str, object_id: str) -> None:
        """Forget an object (a deleted transaction)."""
        self.table(entity).pop(object_id, None)

    def ordered(self, entity: str) -> list[dict[str, Any]]:
        """The live objects of an entity in Id order (hold the lock while using them)."""
        return sorted(self.table(entity).values(), key=_id_order)


def _id_order(obj: dict[str, Any]) -> tuple[int, str]:
    object_id = str(obj["Id"])
    return (0, f"{int(object_id):012d}") if object_id.isdigit() else (1, object_id)


def seed(realm: Realm) -> None:
    """Give a new realm what a fresh QBO company has."""
    for name, account_type, sub_type in SEED_ACCOUNTS:
        realm.add(
            "Account",
            {
                "Name": name,
                "FullyQualifiedName": name,
                "Active": True,
                "SubAccount": False,
                "AccountType": account_type,
                "AccountSubType": sub_type,
                "Classification": CLASSIFICATIONS[account_type],
                "CurrentBalance": Decimal("0"),
            },
        )
    if realm.country == "US":
        realm.add("TaxCode", _tax_code("TAX", "TAX", "Taxable sales", True, []), object_id="TAX")
        realm.add("TaxCode", _tax_code("NON", "NON", "Non-taxable sales", False, []), object_id="NON")
        # The one rate of the company's sales tax; its RateValue follows realm.tax_rate when read.
        realm.add("TaxRate", _tax_rate("Sales Tax", realm.tax_rate * 100), object_id=US_TAX_RATE_ID)
    else:
        for code_id, (name, rates) in CANADIAN_TAX_CODES.items():
            rate_refs = [
                {
                    "TaxRateRef": {"value": f"{code_id}{index}", "name": rate_name},
                    "TaxTypeApplicable": "TaxOnAmount",
                    "TaxOrder": index,
                }
                for index, (rate_name, _percent) in enumerate(rates)
            ]
            realm.add("TaxCode", _tax_code(code_id, name, name, True, rate_refs), object_id=code_id)
            for rate_id, rate_name, percent in canadian_rates(code_id):
                realm.add("TaxRate", _tax_rate(rate_name, percent), object_id=rate_id)
    realm.add(
        "Employee",
        {"DisplayName": "Sam Technician", "GivenName": "Sam", "FamilyName": "Technician", "Active": True},
    )
    realm.add(
        "CompanyInfo",
        {
            "CompanyName": realm.company_name,
            "LegalName": realm.company_name,
            "Country": realm.country,
            "CompanyAddr": {
                "Line1": "1 Garage Way",
                "City": "Springfield",
                "CountrySubDivisionCode": "CA" if realm.country == "US" else "ON",
                "Country": realm.country,
                "PostalCode": "94000" if realm.country == "US" else "M5V 1A1",
            },
            "FiscalYearStartMonth": "January",
            "SupportedLanguages": "en",
            "NameValue": [{"Name": "NeoEnabled", "Value": "true"}],
        },
        object_id="1",
    )


def _tax_code(
    code_id: str, name: str, description: str, taxable: bool, rate_details: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "Name": name,
        "Description": description,
        "Active": True,
        "Taxable": taxable,
        "TaxGroup": len(rate_details) > 1,
        "Hidden": False,
        "SalesTaxRateList": {"TaxRateDetail": rate_details},
        "PurchaseTaxRateList": {"TaxRateDetail": []},
    }


def _tax_rate(name: str, percent: Decimal) -> dict[str, Any]:
    return {
        "Name": name,
        "Description": name,
        "RateValue": percent.normalize(),
        "Active": True,
        "SpecialTaxType": "NONE",
        "DisplayType": "ReadOnly",
        "AgencyRef": {"value": "1"},
    }


def canadian_rates(code_id: str) -> list[tuple[str, str, Decimal]]:
    """(TaxRate Id, rate name, percent) of each rate a Canadian tax code applies."""
    _name, rates = CANADIAN_TAX_CODES[code_id]
    return [(f"{code_id}{index}", rate_name, percent) for index, (rate_name, percent) in enumerate(rates)]
