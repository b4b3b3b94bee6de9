"""The eight QuickBooks products/services every invoice line is posted to.

They are found by exact name or created on connect, and checked again before each batch: one
that was renamed, deleted or made inactive is created (or reactivated) under its original name
and a warning names it. Each item's income account is the shop's choice, from the chart of
accounts. Until it chooses, an item the hub creates gets a default income account, while an item
adopted from the company (found by its name) keeps the account the bookkeeper gave it: nothing is
changed in QuickBooks that the shop did not ask for.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hub.domain.records import TaxCategory
from ledgerhub_qbo.faults import FaultKind, QboFault

if TYPE_CHECKING:
    from ledgerhub_qbo.client import QboApi

HAZMATS = "Hazmats"
HOURS = "Hours"
LABOR = "Labor"
LABOR_DISCOUNTS = "Labor Discounts"
PARTS = "Parts"
PARTS_DISCOUNTS = "Parts Discounts"
SHOP_SUPPLIES = "Shop Supplies"
SUBLETS = "Sublets"

ITEM_NAMES: tuple[str, ...] = (
    HAZMATS, HOURS, LABOR, LABOR_DISCOUNTS, PARTS, PARTS_DISCOUNTS, SHOP_SUPPLIES, SUBLETS,
)

#: Which of the shop's taxable categories decides TAX or NON on a line of each item.
TAX_CATEGORY: dict[str, TaxCategory] = {
    HAZMATS: TaxCategory.FEES,
    HOURS: TaxCategory.LABOR,
    LABOR: TaxCategory.LABOR,
    LABOR_DISCOUNTS: TaxCategory.LABOR,
    PARTS: TaxCategory.PARTS,
    PARTS_DISCOUNTS: TaxCategory.PARTS,
    SHOP_SUPPLIES: TaxCategory.SHOP_SUPPLIES,
    SUBLETS: TaxCategory.SUBLETS,
}

#: Income accounts preferred as the default, in order, before "the first income account".
PREFERRED_DEFAULT_ACCOUNTS = ("Sales of Product Income", "Services", "Sales")

ITEMS_KEY = "items"
"""State key: item name → {"id", "account"} as last seen in QuickBooks."""
DEFAULT_ACCOUNT_KEY = "default_income_account"


@dataclass
class ItemCheck:
    """The outcome of :func:`ensure_items`: item ids by name and what had to be redone."""

    ids: dict[str, str]
    recreated: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)


def income_accounts(api: QboApi) -> list[dict[str, Any]]:
    """The company's active income accounts (``Id``, ``Name``), for the mapping page."""
    rows = api.query("select * from Account where AccountType = 'Income'")
    return [{"Id": str(r["Id"]), "Name": str(r.get("Name", ""))} for r in rows if r.get("Active", True)]


def default_income_account(accounts: list[dict[str, Any]]) -> str | None:
    """The income account items use until the shop maps them: a usual name, else the first."""
    by_name = {a["Name"]: a["Id"] for a in accounts}
    for name in PREFERRED_DEFAULT_ACCOUNTS:
        if name in by_name:
            return str(by_name[name])
    return str(accounts[0]["Id"]) if accounts else None


def _items_by_name(api: QboApi) -> dict[str, dict[str, Any]]:
    names = ", ".join("'" + n + "'" for n in ITEM_NAMES)
    rows = api.query(f"select * from Item where Name in ({names})")
    return {str(r["Name"]): r for r in rows if r.get("Active", True)}


def ensure_items(
    api: QboApi,
    state: Any,
    mapping: Mapping[str, str],
    warn: Callable[[str], None],
) -> ItemCheck:
    """Make sure all eight items exist by their exact names, with the mapped income accounts.

    *state* is the connection's key-value store; *mapping* the shop's item → account Id choice.
    An item we knew (by id) that no longer carries its name is created again and *warn* is
    called with a sentence naming it.
    """
    known: dict[str, dict[str, str]] = dict(state.get(ITEMS_KEY) or {})
    default_account = state.get(DEFAULT_ACCOUNT_KEY)
    found = _items_by_name(api)
    check = ItemCheck(ids={})
    for name in ITEM_NAMES:
        mapped_account = mapping.get(name)
        row = found.get(name)
        if row is None:
            if default_account is None and not mapped_account:
                default_account = default_income_account(income_accounts(api))
                state.set(DEFAULT_ACCOUNT_KEY, default_account)
            row = _create_or_reactivate(api, name, mapped_account or default_account)
            if name in known:
                check.recreated.append(name)
                warn(f'The QuickBooks product/service "{name}" was renamed, deleted or made '
                     f"inactive; it was created again under its original name.")
            else:
                check.created.append(name)
        elif mapped_account and _account_of(row) != mapped_account:
            # Only an explicit choice of the shop moves an existing item to another account; the
            # default is for items we create, never for ones the bookkeeper already set up.
            row = api.update("Item", {"Id": row["Id"], "SyncToken": row["SyncToken"], "sparse": True,
                                      "IncomeAccountRef": {"value": mapped_account}})
        check.ids[name] = str(row["Id"])
        known[name] = {"id": str(row["Id"]), "account": _account_of(row) or ""}
    state.set(ITEMS_KEY, known)
    return check


def _account_of(row: Mapping[str, Any]) -> str | None:
    ref = row.get("IncomeAccountRef") or {}
    value = ref.get("value") if isinstance(ref, Mapping) else None
    return str(value) if value else None


def _create_or_reactivate(api: QboApi, name: str, account: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"Name": name, "Type": "Service"}
    if account:
        body["IncomeAccountRef"] = {"value": account}
    try:
        return api.create("Item", body, request_id=None)
    except QboFault as fault:
        if fault.kind is not FaultKind.DUPLICATE_NAME:
            raise
    # The name is held by an inactive ("deleted") item: bring that one back.
    rows = api.query(f"select * from Item where Name = '{name}' and Active = false")
    if not rows:
        raise QboFault(FaultKind.INVALID, f'The name "{name}" is used by another QuickBooks object',
                       code=6240)
    row = rows[0]
    update: dict[str, Any] = {"Id": row["Id"], "SyncToken": row["SyncToken"], "sparse": True, "Active": True}
    if account:
        update["IncomeAccountRef"] = {"value": account}
    return api.update("Item", update)
