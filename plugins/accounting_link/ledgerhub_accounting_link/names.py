"""QuickBooks list names: cut to qbXML's limits, kept unique, remembered per record.

The rule (documented in ``docs/accounting_link.md``):

1. Clean the name: collapse whitespace, replace ``:`` (QuickBooks' sub-list separator) with ``-``.
2. If it fits the limit (41 for customers and vendors, 31 for items) and no *other* record of
   the same name space holds it (case-insensitively), use it as it is.
3. Otherwise cut it and append `` ~`` plus the first hex digits of a hash of the record's kind
   and id: 4 digits, then 6, 8, … until the name is free. The same record always gets the same
   suffix, so a lost state cannot make a second spelling.

Customers and vendors share one name space, as they do in QuickBooks (a 3100 "name in use"
error spans the Customer, Vendor, Employee and Other Name lists); items have their own.
"""

from __future__ import annotations

import hashlib
from typing import Any, Protocol

CUSTOMER_NAME_LIMIT = 41
VENDOR_NAME_LIMIT = 41
ITEM_NAME_LIMIT = 31

ENTITY_SPACE = "entity"
ITEM_SPACE = "item"


class StateStore(Protocol):
    """The part of :class:`hub.plugin.target.KeyValueStore` the name registry needs."""

    def get(self, key: str, default: Any = None) -> Any:
        """The value under *key*, or *default*."""

    def set(self, key: str, value: Any) -> None:
        """Store *value* under *key*."""

    def compare_and_set(self, key: str, expected: Any, value: Any) -> bool:
        """Store *value* only if *key* still holds *expected*."""


def clean(name: str) -> str:
    """Whitespace collapsed and ``:`` replaced, so QuickBooks reads it as one list element."""
    return " ".join(name.replace(":", "-").split())


def cut(name: str, limit: int) -> str:
    """*name* cut to *limit* characters without a trailing space."""
    return name[:limit].rstrip()


def with_suffix(name: str, limit: int, owner: str, digits: int) -> str:
    """*name* cut so that `` ~`` and *digits* hex digits of *owner*'s hash fit in *limit*."""
    tag = hashlib.sha256(owner.encode()).hexdigest()[:digits]
    return f"{cut(name, limit - len(tag) - 2)} ~{tag}"


def candidates(name: str, limit: int, owner: str) -> list[str]:
    """The names rule 2 and 3 try, in order."""
    base = clean(name) or owner
    options = [base] if len(base) <= limit else []
    options += [with_suffix(base, limit, owner, digits) for digits in range(4, 17, 2)]
    return options


class NameRegistry:
    """Hands out unique names per name space, remembered in the connection's state.

    ``reserve`` claims a name for a record (atomically, through ``compare_and_set``);
    ``peek`` answers the same question without claiming (previews).
    """

    def __init__(self, state: StateStore) -> None:
        self.state = state

    @staticmethod
    def _owner_key(space: str, owner: str) -> str:
        return f"name-of:{space}:{owner}"

    @staticmethod
    def _name_key(space: str, name: str) -> str:
        return f"name-taken:{space}:{name.casefold()}"

    def current(self, space: str, owner: str) -> str | None:
        """The name this record was given before, if any."""
        return self.state.get(self._owner_key(space, owner))

    def peek(self, space: str, name: str, limit: int, owner: str) -> str:
        """The name :meth:`reserve` would give, without claiming it."""
        for candidate in candidates(name, limit, owner):
            holder = self.state.get(self._name_key(space, candidate))
            if holder in (None, owner):
                return candidate
        raise ValueError(f"no free name for {owner!r}")

    def reserve(self, space: str, name: str, limit: int, owner: str, *, avoid: str | None = None) -> str:
        """Claim a unique name for *owner* (``"customer:C-1"``); *avoid* skips a name known to
        be taken in QuickBooks by something the hub does not know (a 3100 answer)."""
        previous = self.current(space, owner)
        for candidate in candidates(name, limit, owner):
            if avoid is not None and candidate.casefold() == avoid.casefold():
                # QuickBooks holds it for something else: mark it taken, even if we held it.
                key = self._name_key(space, candidate)
                holder = self.state.get(key)
                if holder in (None, owner):
                    self.state.compare_and_set(key, holder, f"quickbooks:{candidate}")
                continue
            key = self._name_key(space, candidate)
            holder = self.state.get(key)
            if holder == owner or (holder is None and self.state.compare_and_set(key, None, owner)):
                if previous and previous.casefold() != candidate.casefold():
                    self.state.compare_and_set(self._name_key(space, previous), owner, None)
                self.state.set(self._owner_key(space, owner), candidate)
                return candidate
        raise ValueError(f"no free name for {owner!r}")
