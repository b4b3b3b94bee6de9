"""QBO's rules for sales transactions: invoices (lines, totals, tax, DocNumber) and payments.

The server computes every total: line subtotal, tax from the company's own settings, TotalAmt
and Balance. A payment applies to invoices through ``Line[].LinkedTxn``; applying, changing,
voiding or deleting a payment moves the invoices' Balance (and their SyncToken, as in QBO).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ledgerhub_qbo_sandbox import errors, tax
from ledgerhub_qbo_sandbox.store import Realm
from ledgerhub_qbo_sandbox.values import check_date, money, optional_decimal, ref_value, to_decimal

ZERO = Decimal("0")
HUNDRED = Decimal("100")
TAX_CALCULATIONS = ("TaxExcluded", "TaxInclusive", "NotApplicable")
READ_ONLY: dict[str, frozenset[str]] = {
    "Invoice": frozenset(
        {"TotalAmt", "Balance", "HomeBalance", "HomeTotalAmt", "InvoiceLink", "LinkedTxn", "Deposit"}
    ),
    "Payment": frozenset({"UnappliedAmt"}),
}


def prepare_invoice(
    realm: Realm,
    body: dict[str, Any],
    existing: dict[str, Any] | None,
    *,
    allow_duplicate_doc_number: bool = False,
) -> dict[str, Any]:
    """Check an invoice and compute its lines, tax, TotalAmt and Balance."""
    customer = _customer(realm, body)
    for key in ("TxnDate", "DueDate", "ShipDate"):
        check_date(body, key)
    body.setdefault("TxnDate", realm.clock.today())
    calculation = body.get("GlobalTaxCalculation", "TaxExcluded")
    if calculation not in TAX_CALCULATIONS:
        raise errors.invalid_value("GlobalTaxCalculation", calculation, " | ".join(TAX_CALCULATIONS))
    if realm.country == "US":
        # QBO ignores GlobalTaxCalculation for US companies (python-quickbooks always sends it).
        body.pop("GlobalTaxCalculation", None)
        calculation = "TaxExcluded"
    else:
        body["GlobalTaxCalculation"] = calculation
    lines, sales, discounts, taxed = _invoice_lines(realm, body.get("Line") or [])
    tax_detail = tax.compute(realm, taxed, calculation)
    total = sales - discounts + (ZERO if calculation == "TaxInclusive" else tax_detail["TotalTax"])
    lines.append({"Amount": sales, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}})
    body["Line"] = lines
    body["TxnTaxDetail"] = tax_detail
    body["CustomerRef"] = {"value": customer["Id"], "name": customer["DisplayName"]}
    _doc_number(realm, body, existing, allow_duplicate_doc_number)
    applied = applied_to_invoice(realm, existing["Id"]) if existing else ZERO
    if total < applied:
        raise errors.business(
            f"The invoice total {total} would be less than the {applied} already paid on it", "Line"
        )
    body["TotalAmt"] = money(total)
    body["Balance"] = money(total - applied)
    body["HomeBalance"] = body["Balance"]
    body["Deposit"] = ZERO
    for key, default in (
        ("ApplyTaxAfterDiscount", False),
        ("PrintStatus", "NotSet"),
        ("EmailStatus", "NotSet"),
        ("AllowIPNPayment", False),
        ("AllowOnlinePayment", False),
        ("AllowOnlineCreditCardPayment", False),
        ("AllowOnlineACHPayment", False),
    ):
        body.setdefault(key, default)
    if existing and existing.get("LinkedTxn"):
        body["LinkedTxn"] = existing["LinkedTxn"]
    if not body.get("DueDate"):
        body["DueDate"] = body["TxnDate"]
    return body


def _customer(realm: Realm, body: dict[str, Any]) -> dict[str, Any]:
    customer_id = ref_value(body, "CustomerRef")
    if customer_id is None:
        raise errors.required("CustomerRef")
    customer = realm.get("Customer", customer_id)
    if customer is None:
        raise errors.invalid_reference("CustomerRef", "Customer", customer_id)
    if not customer.get("Active", True):
        raise errors.inactive_reference("CustomerRef", "Customer", customer_id)
    return customer


def _invoice_lines(
    realm: Realm, raw_lines: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], Decimal, Decimal, list[tuple[str, Decimal]]]:
    lines: list[dict[str, Any]] = []
    sales = discounts = ZERO
    taxed: list[tuple[str, Decimal]] = []
    for raw in raw_lines:
        detail_type = raw["DetailType"]
        if detail_type == "SubTotalLineDetail":
            continue  # the server writes the subtotal itself
        number = len(lines) + 1
        line = {
            "Id": str(number),
            "LineNum": number,
            **{k: v for k, v in raw.items() if k not in ("Id", "LineNum")},
        }
        if detail_type == "SalesItemLineDetail":
            amount, code = _sales_line(realm, line, number)
            sales += amount
            taxed.append((code, amount))
        elif detail_type == "DiscountLineDetail":
            discount = _discount_line(line, sales, number)
            discounts += discount
        else:
            line.pop("Amount", None)
        lines.append(line)
    if not any(line["DetailType"] == "SalesItemLineDetail" for line in lines):
        raise errors.required("Line")
    return lines, money(sales), money(discounts), taxed


def _sales_line(realm: Realm, line: dict[str, Any], number: int) -> tuple[Decimal, str]:
    detail = line.get("SalesItemLineDetail") or {}
    if "Amount" not in line:
        raise errors.required(f"Line[{number}].Amount")
    amount = to_decimal(line["Amount"], f"Line[{number}].Amount")
    if amount != money(amount):
        raise errors.invalid_value(f"Line[{number}].Amount", str(amount), "an amount in cents")
    item_id = ref_value(detail, "ItemRef")
    if item_id is None:
        raise errors.required(f"Line[{number}].SalesItemLineDetail.ItemRef")
    item = realm.get("Item", item_id)
    if item is None:
        raise errors.invalid_reference("Line.SalesItemLineDetail.ItemRef", "Item", item_id)
    if not item.get("Active", True):
        raise errors.inactive_reference("Line.SalesItemLineDetail.ItemRef", "Item", item_id)
    detail["ItemRef"] = {"value": item_id, "name": item["Name"]}
    quantity = optional_decimal(detail, "Qty", f"Line[{number}].Qty")
    unit_price = optional_decimal(detail, "UnitPrice", f"Line[{number}].UnitPrice")
    if quantity and unit_price and money(quantity * unit_price) != amount:
        raise errors.amount_mismatch(number)
    check_date(detail, "ServiceDate")
    code = tax.line_tax_code(realm, detail, number)
    detail["TaxCodeRef"] = {"value": code}
    line["SalesItemLineDetail"] = detail
    line["Amount"] = amount
    return amount, code


def _discount_line(line: dict[str, Any], sales: Decimal, number: int) -> Decimal:
    detail = line.get("DiscountLineDetail") or {}
    if detail.get("PercentBased") and "DiscountPercent" in detail:
        percent = to_decimal(detail["DiscountPercent"], f"Line[{number}].DiscountPercent")
        amount = money(sales * percent / HUNDRED)
    elif "Amount" in line:
        amount = to_decimal(line["Amount"], f"Line[{number}].Amount")
    else:
        raise errors.QboError(
            6090,
            "Discount Line missing required info",
            "Discount Line must have an Amount or a DiscountPercent",
            "Line",
        )
    line["Amount"] = money(amount)
    return money(amount)


def _doc_number(
    realm: Realm, body: dict[str, Any], existing: dict[str, Any] | None, allow_duplicate: bool
) -> None:
    own_id = existing["Id"] if existing else None
    invoices = [inv for inv in realm.table("Invoice").values() if inv["Id"] != own_id]
    doc_number = body.get("DocNumber")
    if doc_number is None:
        numbers = [int(inv["DocNumber"]) for inv in invoices if str(inv.get("DocNumber", "")).isdigit()]
        body["DocNumber"] = str(max(numbers, default=1000) + 1)
        return
    if not allow_duplicate:
        for other in invoices:
            if other.get("DocNumber") == doc_number:
                raise errors.duplicate_doc_number(doc_number, "Invoice", other["Id"])


def prepare_payment(realm: Realm, body: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
    """Check a payment against the open balances of the invoices it pays."""
    customer = _customer(realm, body)
    body["CustomerRef"] = {"value": customer["Id"], "name": customer["DisplayName"]}
    check_date(body, "TxnDate")
    body.setdefault("TxnDate", realm.clock.today())
    if "TotalAmt" not in body:
        raise errors.required("TotalAmt")
    total = money(to_decimal(body["TotalAmt"], "TotalAmt"))
    if total < 0:
        raise errors.business("A payment's TotalAmt can't be negative", "TotalAmt")
    own_id = existing["Id"] if existing else None
    applied = ZERO
    lines = []
    for number, raw in enumerate(body.get("Line") or [], start=1):
        amount = money(to_decimal(raw.get("Amount", ZERO), f"Line[{number}].Amount"))
        links = raw.get("LinkedTxn") or []
        if len(links) != 1:
            raise errors.business(
                f"Line {number} of a payment must link exactly one invoice", "Line.LinkedTxn"
            )
        invoice_id = str(links[0].get("TxnId", ""))
        if links[0].get("TxnType") != "Invoice":
            raise errors.business(
                f"Line {number} links a {links[0].get('TxnType')!r}; only invoices can be paid here",
                "Line.LinkedTxn.TxnType",
            )
        invoice = realm.get("Invoice", invoice_id)
        if invoice is None:
            raise errors.invalid_reference("Line.LinkedTxn.TxnId", "Invoice", invoice_id)
        if ref_value(invoice, "CustomerRef") != customer["Id"]:
            raise errors.business(
                f"Invoice {invoice_id} belongs to another customer than the payment's", "Line.LinkedTxn.TxnId"
            )
        open_balance = invoice["TotalAmt"] - applied_to_invoice(realm, invoice_id, excluding=own_id)
        if amount > open_balance:
            raise errors.business(
                f"The payment amount {amount} is more than the open balance {open_balance} "
                f"of invoice {invoice_id}",
                "Line.Amount",
            )
        applied += amount
        lines.append({"Amount": amount, "LinkedTxn": [{"TxnId": invoice_id, "TxnType": "Invoice"}]})
    if applied > total:
        raise errors.business(
            f"The amounts applied ({applied}) are more than the payment's TotalAmt ({total})", "TotalAmt"
        )
    body["Line"] = lines
    body["TotalAmt"] = total
    body["UnappliedAmt"] = total - applied
    return body


def applied_to_invoice(realm: Realm, invoice_id: str, excluding: str | None = None) -> Decimal:
    """What the realm's payments (except ``excluding``) have applied to one invoice."""
    total = ZERO
    for payment in realm.table("Payment").values():
        if payment["Id"] == excluding:
            continue
        for line in payment.get("Line", []):
            if any(str(link.get("TxnId")) == invoice_id for link in line.get("LinkedTxn", [])):
                total += line["Amount"]
    return total


def refresh_invoices(realm: Realm, invoice_ids: set[str]) -> None:
    """Recompute Balance and LinkedTxn of invoices after a payment changed."""
    for invoice_id in sorted(invoice_ids):
        invoice = realm.get("Invoice", invoice_id)
        if invoice is None:
            continue
        paying = sorted(
            {
                payment["Id"]
                for payment in realm.table("Payment").values()
                for line in payment.get("Line", [])
                for link in line.get("LinkedTxn", [])
                if str(link.get("TxnId")) == invoice_id
            },
            key=int,
        )
        balance = invoice["TotalAmt"] - applied_to_invoice(realm, invoice_id)
        linked = [{"TxnId": payment_id, "TxnType": "Payment"} for payment_id in paying]
        if balance != invoice["Balance"] or linked != invoice.get("LinkedTxn", []):
            updated = {key: value for key, value in invoice.items() if key not in ("LinkedTxn",)}
            updated["Balance"] = updated["HomeBalance"] = balance
            if linked:
                updated["LinkedTxn"] = linked
            realm.replace("Invoice", invoice_id, updated)


def invoices_paid_by(payment: dict[str, Any] | None) -> set[str]:
    """Ids of the invoices a payment applies to."""
    if payment is None:
        return set()
    return {str(link.get("TxnId")) for line in payment.get("Line", []) for link in line.get("LinkedTxn", [])}


def voided_invoice(invoice: dict[str, Any]) -> dict[str, Any]:
    """An invoice as QBO keeps it once voided: every amount zero, memo "Voided"."""
    lines = []
    for line in invoice["Line"]:
        line = {**line}
        if "Amount" in line:
            line["Amount"] = ZERO
        detail = line.get("SalesItemLineDetail")
        if detail:
            line["SalesItemLineDetail"] = {**detail, "Qty": ZERO, "UnitPrice": ZERO}
        lines.append(line)
    return {
        **invoice,
        "Line": lines,
        "TotalAmt": ZERO,
        "Balance": ZERO,
        "HomeBalance": ZERO,
        "TxnTaxDetail": {"TotalTax": ZERO},
        "PrivateNote": "Voided",
    }


def voided_payment(payment: dict[str, Any]) -> dict[str, Any]:
    """A payment as QBO keeps it once voided: nothing applied, amounts zero."""
    return {**payment, "Line": [], "TotalAmt": ZERO, "UnappliedAmt": ZERO, "PrivateNote": "Voided"}
