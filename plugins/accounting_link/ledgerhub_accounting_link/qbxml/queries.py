"""Query, void and delete requests: re-reading what QuickBooks holds before acting again."""

from __future__ import annotations

from lxml import etree

from ledgerhub_accounting_link.qbxml.document import request, text

#: The list or transaction type each query, void and delete talks about, by our op name.
QUERY_TAGS = {
    "Customer": "CustomerQueryRq",
    "Vendor": "VendorQueryRq",
    "ItemInventory": "ItemInventoryQueryRq",
    "Invoice": "InvoiceQueryRq",
    "ReceivePayment": "ReceivePaymentQueryRq",
    "Bill": "BillQueryRq",
    "VendorCredit": "VendorCreditQueryRq",
}
LIST_TYPES = frozenset({"Customer", "Vendor", "ItemInventory"})


def by_name(list_type: str, name: str, request_id: str) -> etree._Element:
    """A list query for one exact name (``FullName``), active or not."""
    rq = request(QUERY_TAGS[list_type], request_id)
    text(rq, "FullName", name)
    return rq


def by_list_id(list_type: str, list_id: str, request_id: str) -> etree._Element:
    """A list query for one ListID (to read the current EditSequence)."""
    rq = request(QUERY_TAGS[list_type], request_id)
    text(rq, "ListID", list_id)
    return rq


def by_ref_number(txn_type: str, ref_number: str, request_id: str) -> etree._Element:
    """A transaction query for every transaction with *ref_number*."""
    rq = request(QUERY_TAGS[txn_type], request_id)
    text(rq, "RefNumber", ref_number)
    return rq


def by_txn_id(txn_type: str, txn_id: str, request_id: str) -> etree._Element:
    """A transaction query for one TxnID."""
    rq = request(QUERY_TAGS[txn_type], request_id)
    text(rq, "TxnID", txn_id)
    return rq


def void(txn_type: str, txn_id: str, request_id: str) -> etree._Element:
    """``TxnVoidRq`` (invoices, bills, vendor credits keep a zero-amount record)."""
    rq = request("TxnVoidRq", request_id)
    text(rq, "TxnVoidType", txn_type)
    text(rq, "TxnID", txn_id)
    return rq


def delete(txn_type: str, txn_id: str, request_id: str) -> etree._Element:
    """``TxnDelRq``: QuickBooks cannot void a received payment, only delete it."""
    rq = request("TxnDelRq", request_id)
    text(rq, "TxnDelType", txn_type)
    text(rq, "TxnID", txn_id)
    return rq
