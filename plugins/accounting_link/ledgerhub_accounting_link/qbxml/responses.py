"""Reading QuickBooks' answers: one :class:`Reply` per ``*Rs``, matched by ``requestID``.

Responses are parsed leniently (real QuickBooks output does not always validate against the
XSD); only the attributes and the few ``*Ret`` fields the plugin stores are read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from lxml import etree

STATUS_OK = 0
STATUS_NO_MATCH = 1
STATUS_NOT_FOUND = 500
STATUS_NAME_IN_USE = 3100
STATUS_INVALID_REFERENCE = 3140
STATUS_STALE_EDIT_SEQUENCE = 3200
#: Codes that say "try again later" rather than "a person must look": QuickBooks busy, a
#: record locked by a user, an internal error.
RETRYABLE_STATUSES = frozenset({1000, 1010, 3175, 3176})


class ResponseError(ValueError):
    """The response text is not a qbXML response at all."""


@dataclass(frozen=True, slots=True)
class Found:
    """One ``*Ret`` element: the ids and fields the plugin keeps."""

    list_id: str = ""
    txn_id: str = ""
    edit_sequence: str = ""
    name: str = ""
    ref_number: str = ""
    memo: str = ""
    total: Decimal | None = None
    quantity_on_hand: Decimal | None = None

    @property
    def target_id(self) -> str:
        """ListID for list elements, TxnID for transactions."""
        return self.list_id or self.txn_id


@dataclass(frozen=True, slots=True)
class Reply:
    """One ``*Rs``: its request id, status and what it returned."""

    request_id: str
    operation: str
    status_code: int
    severity: str
    message: str
    found: tuple[Found, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        """Status 0 (or an informational or warning code with a result)."""
        return self.status_code == STATUS_OK or (self.status_code < 1000 and bool(self.found)
                                                 and self.severity != "Error")

    @property
    def nothing_found(self) -> bool:
        """A query that matched nothing (status 1 or 500)."""
        return self.status_code in (STATUS_NO_MATCH, STATUS_NOT_FOUND) and not self.found


def _child_text(element: etree._Element, path: str) -> str:
    value = element.findtext(path)
    return value.strip() if value else ""


def _decimal(value: str) -> Decimal | None:
    try:
        return Decimal(value) if value else None
    except InvalidOperation:
        return None


def _found(ret: etree._Element) -> Found:
    total = next((_child_text(ret, t) for t in ("TotalAmount", "AmountDue", "CreditAmount")
                  if _child_text(ret, t)), "")
    if not total and ret.find("Subtotal") is not None:
        subtotal = _decimal(_child_text(ret, "Subtotal")) or Decimal(0)
        total = str(subtotal + (_decimal(_child_text(ret, "SalesTaxTotal")) or Decimal(0)))
    return Found(
        list_id=_child_text(ret, "ListID"),
        txn_id=_child_text(ret, "TxnID"),
        edit_sequence=_child_text(ret, "EditSequence"),
        name=_child_text(ret, "FullName") or _child_text(ret, "Name"),
        ref_number=_child_text(ret, "RefNumber"),
        memo=_child_text(ret, "Memo"),
        total=_decimal(total),
        quantity_on_hand=_decimal(_child_text(ret, "QuantityOnHand")),
    )


def parse(document: str) -> list[Reply]:
    """Every ``*Rs`` of a qbXML response document, in document order."""
    try:
        root = etree.fromstring(document.encode("utf-8"), etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError as exc:
        raise ResponseError(f"not XML: {exc}") from exc
    message_set = root.find("QBXMLMsgsRs")
    if root.tag != "QBXML" or message_set is None:
        raise ResponseError("not a qbXML response (no QBXML/QBXMLMsgsRs)")
    replies = []
    for rs in message_set.iterchildren(etree.Element):
        tag = etree.QName(rs).localname
        try:
            code = int(rs.get("statusCode", ""))
        except ValueError:
            code = -1
        rets = [r for r in rs.iterchildren(etree.Element) if etree.QName(r).localname.endswith("Ret")]
        replies.append(Reply(
            request_id=rs.get("requestID", ""),
            operation=tag.removesuffix("Rs"),
            status_code=code,
            severity=rs.get("statusSeverity", ""),
            message=rs.get("statusMessage", ""),
            found=tuple(_found(r) for r in rets),
        ))
    return replies
