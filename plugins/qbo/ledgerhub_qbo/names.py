"""Names and text fields made acceptable to QuickBooks before they are sent.

QBO rejects a colon, tab or newline in a customer's names (error 2040) and any field longer
than its limit (2050). Rather than let a record fail, the text is cleaned here and the change
is reported so the shop can see it. The DisplayName clash rule lives here too
(see docs/qbo.md, "DisplayName clashes").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: QuickBooks' maximum lengths for the customer fields we send.
MAX_LENGTHS: dict[str, int] = {
    "DisplayName": 500,
    "GivenName": 100,
    "FamilyName": 100,
    "CompanyName": 100,
    "PrimaryEmailAddr": 100,
    "PrimaryPhone": 30,
    "Line1": 500,
    "Line2": 500,
    "City": 255,
    "CountrySubDivisionCode": 255,
    "PostalCode": 30,
    "Country": 255,
    "DocNumber": 21,
    "PaymentRefNum": 21,
    "PrivateNote": 4000,
    "Description": 4000,
}

_FORBIDDEN_IN_NAMES = re.compile(r"[:\t\r\n]+")
_SPACES = re.compile(r"\s+")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class CleanText:
    """Collects the field changes made while cleaning one record (for the shop's warning)."""

    changes: list[str] = field(default_factory=list)

    def name(self, field_name: str, value: str) -> str:
        """A name field without colon, tab or newline (each run becomes " - " for a colon,
        a space otherwise), single-spaced and cut to QBO's length."""
        cleaned = _FORBIDDEN_IN_NAMES.sub(lambda m: " - " if ":" in m.group() else " ", value)
        cleaned = _SPACES.sub(" ", cleaned).strip()
        return self.text(field_name, cleaned, original=value)

    def text(self, field_name: str, value: str, original: str | None = None) -> str:
        """*value* cut to QBO's maximum length for *field_name*."""
        limit = MAX_LENGTHS.get(field_name)
        result = value[:limit].rstrip() if limit is not None and len(value) > limit else value
        before = value if original is None else original
        if result != before:
            if limit is not None and len(value) > limit:
                self.changes.append(f"{field_name} cut to {limit} characters")
            else:
                self.changes.append(f"{field_name} changed to {result!r} (QuickBooks does not "
                                    "accept colons, tabs or line breaks in names)")
        return result

    def email(self, value: str) -> str:
        """The address if QuickBooks would accept it (an @ and a dot, at most 100 characters);
        otherwise empty, and the change is noted."""
        value = value.strip()
        if not value:
            return ""
        if not _EMAIL.match(value) or len(value) > MAX_LENGTHS["PrimaryEmailAddr"]:
            self.changes.append(f"email {value!r} left out (QuickBooks would reject it)")
            return ""
        return value


def disambiguated(display_name: str, record_id: str, attempt: int) -> str:
    """The DisplayName to try when *display_name* is taken in QuickBooks.

    Rule: append the shop's customer number in brackets — ``"John Smith (C-104)"`` — and, if
    even that is taken, a counter after it: ``"John Smith (C-104) 2"``. The base name is
    shortened so the result always fits QBO's 500 characters.
    """
    suffix = f" ({record_id})" if attempt <= 1 else f" ({record_id}) {attempt}"
    base = display_name[: MAX_LENGTHS["DisplayName"] - len(suffix)].rstrip()
    return base + suffix


def query_literal(value: str) -> str:
    """*value* as a quoted string literal of QBO's query language."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
