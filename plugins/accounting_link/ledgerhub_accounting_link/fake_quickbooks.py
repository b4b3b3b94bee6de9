"""A small fake QuickBooks Desktop: reads our qbXML requests, keeps lists and transactions, and
answers with ``*Rs`` elements and real status codes (0, 1, 500, 3100, 3120, 3140, 3200, …).

Used by the tests and the demo only; it models what the plugin relies on, not all of QuickBooks.
Names are unique across customers and vendors (case-insensitively), as in QuickBooks.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from lxml import etree

DEFAULT_ITEMS = frozenset({"Labor", "Parts", "Sublet", "Shop Supplies", "Hazmat & Fees", "Discount"})
DEFAULT_ACCOUNTS = frozenset({"Parts Sales", "Cost of Goods Sold", "Inventory Asset",
                              "Inventory Adjustments"})
PAYMENT_METHODS = frozenset({"Cash", "Check", "Visa", "MasterCard", "American Express", "Discover"})
LIST_TYPES = ("Customer", "Vendor", "ItemInventory")
TXN_TYPES = ("Invoice", "ReceivePayment", "Bill", "VendorCredit")


@dataclass
class Entry:
    """One list element or transaction."""

    kind: str
    id: str
    edit_sequence: str
    fields: dict[str, str]
    lines: list[dict[str, str]] = field(default_factory=list)
    voided: bool = False


class QuickBooksError(Exception):
    """A status to answer with instead of a result."""

    def __init__(self, code: int, message: str, severity: str = "Error") -> None:
        super().__init__(message)
        self.code, self.message, self.severity = code, message, severity


def _money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


class FakeQuickBooks:
    """An in-memory company file. ``process(request_xml)`` returns the response document."""

    def __init__(self, *, sales_tax_rate: Decimal = Decimal("0"), items: frozenset[str] = DEFAULT_ITEMS,
                 accounts: frozenset[str] = DEFAULT_ACCOUNTS) -> None:
        self.sales_tax_rate = sales_tax_rate
        self.items = {name.casefold() for name in items} | {"sales tax"}
        self.accounts = {name.casefold() for name in accounts}
        self.entries: dict[str, Entry] = {}
        self.requests: list[str] = []
        self.injected: dict[str, list[tuple[int, str]]] = {}
        self._ids = itertools.count(1)
        self._sequences = itertools.count(1000)

    # -- test controls ----------------------------------------------------------------------

    def inject(self, request_tag: str, code: int, message: str) -> None:
        """Answer the next *request_tag* (``InvoiceAddRq``) with *code* instead of running it."""
        self.injected.setdefault(request_tag, []).append((code, message))

    def touch(self, entry_id: str) -> None:
        """Someone edited the element in QuickBooks: its EditSequence moves on."""
        self.entries[entry_id].edit_sequence = str(next(self._sequences))

    def add_list_element(self, kind: str, name: str) -> Entry:
        """Create a list element directly (typed in by hand before the shop connected)."""
        return self._new(kind, {"Name": name, "FullName": name})

    def save(self, path: Path) -> None:
        """Keep the company file as JSON (the simulator's books between runs)."""
        entries = [asdict(e) for e in self.entries.values()]
        path.write_text(json.dumps({"entries": entries, "next": next(self._ids)}, indent=1))

    @classmethod
    def load(cls, path: Path, **options: Any) -> FakeQuickBooks:
        """Books saved by :meth:`save` (empty ones when *path* does not exist)."""
        books = cls(**options)
        if path.exists():
            saved = json.loads(path.read_text())
            books.entries = {e["id"]: Entry(**e) for e in saved["entries"]}
            books._ids = itertools.count(saved["next"])
            last = max((int(e.edit_sequence) for e in books.entries.values()), default=999)
            books._sequences = itertools.count(last + 1)
        return books

    def of_kind(self, kind: str) -> list[Entry]:
        """Every live entry of *kind* (``Customer``, ``Invoice``, …)."""
        return [e for e in self.entries.values() if e.kind == kind and not e.voided]

    # -- processing -------------------------------------------------------------------------

    def process(self, request_xml: str) -> str:
        """Run every ``*Rq`` of *request_xml* in order; the ``QBXML`` response text."""
        self.requests.append(request_xml)
        root = etree.fromstring(request_xml.encode())
        message_set = root.find("QBXMLMsgsRq")
        stop_on_error = message_set.get("onError") == "stopOnError"
        out_root = etree.Element("QBXML")
        out = etree.SubElement(out_root, "QBXMLMsgsRs")
        for rq in message_set.iterchildren(etree.Element):
            rs = self._one(rq)
            out.append(rs)
            if stop_on_error and int(rs.get("statusCode")) >= 1000:
                break
        body = etree.tostring(out_root, pretty_print=True, encoding="unicode")
        return f'<?xml version="1.0" ?>\n<?qbxml version="13.0"?>\n{body}'

    def _one(self, rq: etree._Element) -> etree._Element:
        tag = rq.tag
        rs = etree.Element(tag.removesuffix("Rq") + "Rs", requestID=rq.get("requestID", ""))
        try:
            if self.injected.get(tag):
                code, message = self.injected[tag].pop(0)
                raise QuickBooksError(code, message)
            results = self._dispatch(tag.removesuffix("Rq"), rq)
            if not results:
                raise QuickBooksError(1, "A query request did not find a matching object in QuickBooks",
                                      "Info")
            for ret in results:
                rs.append(ret)
            rs.set("statusCode", "0")
            rs.set("statusSeverity", "Info")
            rs.set("statusMessage", "Status OK")
        except QuickBooksError as exc:
            rs.set("statusCode", str(exc.code))
            rs.set("statusSeverity", exc.severity)
            rs.set("statusMessage", exc.message)
        return rs

    def _dispatch(self, op: str, rq: etree._Element) -> list[etree._Element]:
        for kind in (*LIST_TYPES, *TXN_TYPES):
            if op == f"{kind}Add":
                return [self._add(kind, rq.find(f"{kind}Add"))]
            if op == f"{kind}Mod":
                return [self._mod(kind, rq.find(f"{kind}Mod"))]
            if op == f"{kind}Query":
                return [self._ret(e) for e in self._query(kind, rq)]
        if op == "InventoryAdjustmentAdd":
            return [self._adjust(rq.find("InventoryAdjustmentAdd"))]
        if op in ("TxnVoid", "TxnDel"):
            entry = self.entries.get(rq.findtext("TxnID") or "")
            if entry is None:
                raise self._not_found(rq.findtext("TxnID") or "")
            entry.voided = True
            if op == "TxnDel":
                del self.entries[entry.id]
            return [etree.Element("TxnID")]  # marks success; not a *Ret
        raise QuickBooksError(1030, f"{op} is not supported by this fake")

    # -- lists ------------------------------------------------------------------------------

    def _name_taken(self, kind: str, name: str, except_id: str = "") -> bool:
        space = ("ItemInventory",) if kind == "ItemInventory" else ("Customer", "Vendor")
        return any(e.kind in space and e.fields.get("Name", "").casefold() == name.casefold()
                   and e.id != except_id for e in self.entries.values())

    def _new(self, kind: str, fields: dict[str, str], lines: list[dict[str, str]] | None = None) -> Entry:
        number = next(self._ids)
        entry_id = f"{number:X}-{1_700_000_000 + number}"
        entry = Entry(kind, entry_id, str(next(self._sequences)), fields, lines or [])
        self.entries[entry_id] = entry
        return entry

    def _check_refs(self, body: etree._Element, kind: str) -> None:
        for tag, wanted in (("CustomerRef", ("Customer",)), ("VendorRef", ("Vendor",))):
            for ref in body.iter(tag):
                list_id = ref.findtext("ListID")
                if list_id not in self.entries or self.entries[list_id].kind not in wanted:
                    raise QuickBooksError(3140, f'There is an invalid reference to QuickBooks {wanted[0]} '
                                                f'"{list_id}" in the {kind}.')
        for ref in body.iter("ItemRef", "ItemSalesTaxRef"):
            list_id, name = ref.findtext("ListID"), (ref.findtext("FullName") or "").casefold()
            if not (list_id in self.entries or name in self.items):
                raise QuickBooksError(3140, f'There is an invalid reference to QuickBooks Item '
                                            f'"{list_id or name}" in the {kind}.')
        for ref in body.iter("PaymentMethodRef"):
            if (ref.findtext("FullName") or "").casefold() not in {m.casefold() for m in PAYMENT_METHODS}:
                raise QuickBooksError(3140, f'There is an invalid reference to QuickBooks PaymentMethod '
                                            f'"{ref.findtext("FullName")}" in the {kind}.')
        for ref in itertools.chain(*(body.iter(t) for t in ("IncomeAccountRef", "COGSAccountRef",
                                                             "AssetAccountRef", "AccountRef"))):
            if (ref.findtext("FullName") or "").casefold() not in self.accounts:
                raise QuickBooksError(3140, f'There is an invalid reference to QuickBooks Account '
                                            f'"{ref.findtext("FullName")}" in the {kind}.')

    def _fields(self, body: etree._Element) -> dict[str, str]:
        values = {child.tag: (child.text or "") for child in body if len(child) == 0}
        for ref in ("CustomerRef", "VendorRef"):
            if body.find(ref) is not None:
                values[ref] = body.find(ref).findtext("ListID") or ""
        return values

    def _lines(self, body: etree._Element) -> list[dict[str, str]]:
        lines = []
        for line in body:
            if line.tag.endswith(("LineAdd", "LineMod")) or line.tag == "AppliedToTxnAdd":
                values = {c.tag: (c.text or "") for c in line if len(c) == 0}
                tax = line.find("SalesTaxCodeRef")
                values["TaxCode"] = tax.findtext("FullName") if tax is not None else ""
                lines.append(values)
        return lines

    def _add(self, kind: str, body: etree._Element) -> etree._Element:
        self._check_refs(body, kind)
        fields = self._fields(body)
        if kind in LIST_TYPES:
            if self._name_taken(kind, fields["Name"]):
                raise self._name_in_use(fields["Name"])
            fields["FullName"] = fields["Name"]
        if kind == "ReceivePayment":
            for applied in body.iter("AppliedToTxnAdd"):
                invoice = self.entries.get(applied.findtext("TxnID") or "")
                if invoice is None or invoice.kind != "Invoice":
                    raise self._not_found(applied.findtext("TxnID") or "")
        return self._ret(self._new(kind, fields, self._lines(body)))

    def _adjust(self, body: etree._Element) -> etree._Element:
        self._check_refs(body, "InventoryAdjustment")
        for line in body.iter("InventoryAdjustmentLineAdd"):
            item = self.entries.get(line.findtext("ItemRef/ListID") or "")
            if item is None or item.kind != "ItemInventory":
                raise self._not_found(line.findtext("ItemRef/ListID") or "")
            item.fields["QuantityOnHand"] = line.findtext("QuantityAdjustment/NewQuantity") or "0"
        entry = self._new("InventoryAdjustment", {"Memo": body.findtext("Memo") or ""})
        ret = etree.Element("InventoryAdjustmentRet")
        etree.SubElement(ret, "TxnID").text = entry.id
        etree.SubElement(ret, "EditSequence").text = entry.edit_sequence
        return ret

    @staticmethod
    def _not_found(entry_id: str) -> QuickBooksError:
        return QuickBooksError(3120, f'Object "{entry_id}" specified in the request cannot be found.')

    @staticmethod
    def _name_in_use(name: str) -> QuickBooksError:
        return QuickBooksError(3100, f'The name "{name}" of the list element is already in use.')

    def _mod(self, kind: str, body: etree._Element) -> etree._Element:
        entry_id = body.findtext("ListID") or body.findtext("TxnID") or ""
        entry = self.entries.get(entry_id)
        if entry is None or entry.kind != kind:
            raise self._not_found(entry_id)
        sequence = body.findtext("EditSequence")
        if sequence != entry.edit_sequence:
            raise QuickBooksError(3200, f'The provided edit sequence "{sequence}" is out-of-date.')
        self._check_refs(body, kind)
        fields = self._fields(body)
        if kind in LIST_TYPES and "Name" in fields:
            if self._name_taken(kind, fields["Name"], except_id=entry.id):
                raise self._name_in_use(fields["Name"])
            fields["FullName"] = fields["Name"]
        entry.fields.update({k: v for k, v in fields.items()
                             if k not in ("ListID", "TxnID", "EditSequence")})
        if kind == "Invoice":
            entry.lines = self._lines(body)
        entry.edit_sequence = str(next(self._sequences))
        return self._ret(entry)

    def _query(self, kind: str, rq: etree._Element) -> list[Entry]:
        found = self.of_kind(kind)
        for tag in ("ListID", "TxnID", "FullName", "RefNumber"):
            wanted = {(w.text or "").casefold() for w in rq.findall(tag)}
            if wanted:
                by_id = tag in ("ListID", "TxnID")
                found = [e for e in found if (e.id if by_id else e.fields.get(tag, "")).casefold() in wanted]
        return found

    # -- answers ----------------------------------------------------------------------------

    def totals(self, entry: Entry) -> tuple[Decimal, Decimal]:
        """Subtotal and sales tax of an invoice, as QuickBooks would compute them."""
        subtotal = sum((Decimal(line.get("Amount", "0")) for line in entry.lines), Decimal("0"))
        taxable = sum((Decimal(line.get("Amount", "0")) for line in entry.lines
                       if line.get("TaxCode") == "Tax"), Decimal("0"))
        return subtotal, (taxable * self.sales_tax_rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    def _ret(self, entry: Entry) -> etree._Element:
        ret = etree.Element(f"{entry.kind}Ret")
        id_tag = "ListID" if entry.kind in LIST_TYPES else "TxnID"
        etree.SubElement(ret, id_tag).text = entry.id
        etree.SubElement(ret, "EditSequence").text = entry.edit_sequence
        if entry.kind in LIST_TYPES:
            etree.SubElement(ret, "Name").text = entry.fields.get("Name", "")
            etree.SubElement(ret, "FullName").text = entry.fields.get("FullName", "")
            if entry.kind == "ItemInventory":
                etree.SubElement(ret, "QuantityOnHand").text = entry.fields.get("QuantityOnHand", "0")
            return ret
        etree.SubElement(ret, "RefNumber").text = entry.fields.get("RefNumber", "")
        if entry.kind == "Invoice":
            subtotal, tax = self.totals(entry)
            etree.SubElement(ret, "Subtotal").text = _money(subtotal)
            etree.SubElement(ret, "SalesTaxTotal").text = _money(tax)
        elif entry.kind == "ReceivePayment":
            etree.SubElement(ret, "TotalAmount").text = entry.fields.get("TotalAmount", "0.00")
        else:
            total = sum((Decimal(line.get("Amount", "0")) for line in entry.lines), Decimal("0"))
            total_tag = "AmountDue" if entry.kind == "Bill" else "CreditAmount"
            etree.SubElement(ret, total_tag).text = _money(total)
        etree.SubElement(ret, "Memo").text = entry.fields.get("Memo", "")
        return ret
