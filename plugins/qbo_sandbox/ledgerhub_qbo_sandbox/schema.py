"""Which properties QBO accepts on each object, and of what JSON type.

A field maps to ``None`` (a scalar), to a nested spec (an object), or to a one-element list
holding a spec (a list of objects). Anything else in a request is refused with 2010, the way
QBO's deserializer refuses properties "not marked as ignorable". The lists cover everything
python-quickbooks 0.9.12 serializes for these objects, including its read-only defaults.
Text fields must be strings; ids (``value``, ``TxnId``) may be numbers, which QBO reads as text.
"""

from __future__ import annotations

from typing import Any

from ledgerhub_qbo_sandbox import errors

Spec = dict[str, Any]

TEXT_FIELDS = frozenset(
    "DisplayName Title GivenName MiddleName FamilyName Suffix CompanyName PrintOnCheckName Notes Name "
    "Description DocNumber PrivateNote Type AccountType AccountSubType Sku TxnDate DueDate ShipDate "
    "InvStartDate ServiceDate GlobalTaxCalculation Address FreeFormNumber URI DetailType PaymentRefNum "
    "AcctNum ResaleNum Line1 Line2 Line3 Line4 Line5 City Country CountrySubDivisionCode PostalCode "
    "TrackingNum PurchaseDesc".split()
)
ID_FIELDS = frozenset({"value", "TxnId"})

REF: Spec = {"value": None, "name": None, "type": None}
ADDRESS: Spec = {
    key: None
    for key in (
        "Id",
        "Line1",
        "Line2",
        "Line3",
        "Line4",
        "Line5",
        "City",
        "Country",
        "CountrySubDivisionCode",
        "PostalCode",
        "Lat",
        "Long",
        "Note",
    )
}
EMAIL: Spec = {"Address": None}
PHONE: Spec = {"FreeFormNumber": None}
WEB: Spec = {"URI": None}
METADATA: Spec = {"CreateTime": None, "LastUpdatedTime": None}
CUSTOM_FIELD: Spec = {"DefinitionId": None, "Type": None, "Name": None, "StringValue": None}
LINKED_TXN: Spec = {"TxnId": None, "TxnType": None, "TxnLineId": None}
MARKUP: Spec = {"PercentBased": None, "Value": None, "Percent": None, "PriceLevelRef": REF}

COMMON: Spec = {
    "Id": None,
    "SyncToken": None,
    "sparse": None,
    "domain": None,
    "status": None,
    "MetaData": METADATA,
}

PERSON: Spec = {
    **COMMON,
    **{
        key: None
        for key in (
            "Title",
            "GivenName",
            "MiddleName",
            "FamilyName",
            "Suffix",
            "CompanyName",
            "DisplayName",
            "PrintOnCheckName",
            "Active",
            "Balance",
            "Notes",
        )
    },
    "BillAddr": ADDRESS,
    "PrimaryPhone": PHONE,
    "AlternatePhone": PHONE,
    "Mobile": PHONE,
    "Fax": PHONE,
    "PrimaryEmailAddr": EMAIL,
    "WebAddr": WEB,
    "CurrencyRef": REF,
}

CUSTOMER: Spec = {
    **PERSON,
    **{
        key: None
        for key in (
            "FullyQualifiedName",
            "IsProject",
            "Job",
            "BillWithParent",
            "Taxable",
            "BalanceWithJobs",
            "PreferredDeliveryMethod",
            "ResaleNum",
            "Level",
            "OpenBalanceDate",
            "PrimaryTaxIdentifier",
            "CustomerTypeRef",
        )
    },
    "ShipAddr": ADDRESS,
    "DefaultTaxCodeRef": REF,
    "SalesTermRef": REF,
    "PaymentMethodRef": REF,
    "ParentRef": REF,
    "ARAccountRef": REF,
}

VENDOR: Spec = {
    **PERSON,
    **{key: None for key in ("TaxIdentifier", "BillRate", "AcctNum", "Vendor1099", "TaxReportingBasis")},
    "TermRef": REF,
    "APAccountRef": REF,
}

ITEM: Spec = {
    **COMMON,
    **{
        key: None
        for key in (
            "Name",
            "Description",
            "Active",
            "SubItem",
            "FullyQualifiedName",
            "Taxable",
            "SalesTaxIncluded",
            "UnitPrice",
            "Type",
            "Level",
            "PurchaseDesc",
            "PurchaseTaxIncluded",
            "PurchaseCost",
            "TrackQtyOnHand",
            "QtyOnHand",
            "InvStartDate",
            "AbatementRate",
            "ReverseChargeRate",
            "ServiceType",
            "ItemCategoryType",
            "Sku",
        )
    },
    "AssetAccountRef": REF,
    "ExpenseAccountRef": REF,
    "IncomeAccountRef": REF,
    "SalesTaxCodeRef": REF,
    "ParentRef": REF,
    "PurchaseTaxCodeRef": REF,
}

ACCOUNT: Spec = {
    **COMMON,
    **{
        key: None
        for key in (
            "Name",
            "SubAccount",
            "FullyQualifiedName",
            "Active",
            "Classification",
            "AccountType",
            "AccountSubType",
            "Description",
            "AcctNum",
            "CurrentBalance",
            "CurrentBalanceWithSubAccounts",
        )
    },
    "CurrencyRef": REF,
    "ParentRef": REF,
    "TaxCodeRef": REF,
}

SALES_ITEM_DETAIL: Spec = {
    "UnitPrice": None,
    "Qty": None,
    "ServiceDate": None,
    "TaxInclusiveAmt": None,
    "MarkupInfo": MARKUP,
    "ItemRef": REF,
    "ItemAccountRef": REF,
    "ClassRef": REF,
    "TaxCodeRef": REF,
    "PriceLevelRef": REF,
    "DiscountAmt": None,
    "DiscountRate": None,
}
DISCOUNT_DETAIL: Spec = {
    "PercentBased": None,
    "DiscountPercent": None,
    "DiscountAccountRef": REF,
    "ClassRef": REF,
    "TaxCodeRef": REF,
    "Discount": {
        "PercentBased": None,
        "DiscountPercent": None,
        "DiscountRef": REF,
        "DiscountAccountRef": REF,
    },
}
LINE_DETAILS: dict[str, tuple[str, Spec]] = {
    "SalesItemLineDetail": ("SalesItemLineDetail", SALES_ITEM_DETAIL),
    "SubTotalLineDetail": ("SubTotalLineDetail", {"ItemRef": REF}),
    "DiscountLineDetail": ("DiscountLineDetail", DISCOUNT_DETAIL),
    "DescriptionOnly": ("DescriptionLineDetail", {"ServiceDate": None, "TaxCodeRef": REF}),
}
LINE_BASE: Spec = {
    "Id": None,
    "LineNum": None,
    "Description": None,
    "Amount": None,
    "DetailType": None,
    "LinkedTxn": [LINKED_TXN],
    "CustomField": [CUSTOM_FIELD],
}

TAX_LINE: Spec = {
    "Amount": None,
    "DetailType": None,
    "TaxLineDetail": {
        "TaxRateRef": REF,
        "PercentBased": None,
        "TaxPercent": None,
        "NetAmountTaxable": None,
        "TaxInclusiveAmount": None,
        "OverrideDeltaAmount": None,
    },
}
TXN_TAX_DETAIL: Spec = {"TxnTaxCodeRef": REF, "TotalTax": None, "TaxLine": [TAX_LINE]}

INVOICE: Spec = {
    **COMMON,
    **{
        key: None
        for key in (
            "Deposit",
            "Balance",
            "AllowIPNPayment",
            "AllowOnlineCreditCardPayment",
            "AllowOnlineACHPayment",
            "AllowOnlinePayment",
            "DocNumber",
            "PrivateNote",
            "DueDate",
            "ShipDate",
            "TrackingNum",
            "TotalAmt",
            "TxnDate",
            "ApplyTaxAfterDiscount",
            "PrintStatus",
            "EmailStatus",
            "ExchangeRate",
            "GlobalTaxCalculation",
            "InvoiceLink",
            "HomeBalance",
            "HomeTotalAmt",
            "FreeFormAddress",
            "EInvoiceStatus",
        )
    },
    "BillAddr": ADDRESS,
    "ShipAddr": ADDRESS,
    "BillEmail": EMAIL,
    "BillEmailCc": EMAIL,
    "BillEmailBcc": EMAIL,
    "CustomerRef": REF,
    "CurrencyRef": REF,
    "CustomerMemo": {"value": None},
    "DepartmentRef": REF,
    "TxnTaxDetail": TXN_TAX_DETAIL,
    "RecurDataRef": REF,
    "SalesTermRef": REF,
    "ShipMethodRef": REF,
    "TaxExemptionRef": REF,
    "ClassRef": REF,
    "CustomField": [CUSTOM_FIELD],
    "LinkedTxn": [LINKED_TXN],
    "Line": "LINE",
}

PAYMENT: Spec = {
    **COMMON,
    **{
        key: None
        for key in (
            "PaymentRefNum",
            "TotalAmt",
            "UnappliedAmt",
            "ExchangeRate",
            "TxnDate",
            "TxnSource",
            "PrivateNote",
            "TxnStatus",
            "ProcessPayment",
            "TransactionLocationType",
        )
    },
    "CreditCardPayment": {"CreditChargeInfo": None, "CreditChargeResponse": None},
    "ARAccountRef": REF,
    "CustomerRef": REF,
    "CurrencyRef": REF,
    "PaymentMethodRef": REF,
    "DepositToAccountRef": REF,
    "TaxExemptionRef": REF,
    "Line": [{"Amount": None, "LinkedTxn": [LINKED_TXN], "LineEx": None}],
}

SPECS: dict[str, Spec] = {
    "Customer": CUSTOMER,
    "Vendor": VENDOR,
    "Item": ITEM,
    "Account": ACCOUNT,
    "Invoice": INVOICE,
    "Payment": PAYMENT,
}


def check_properties(entity: str, body: dict[str, Any]) -> None:
    """Refuse (2010) any property the entity does not have, at any depth."""
    _check(entity, SPECS[entity], body)


def _check(entity: str, spec: Spec, body: Any) -> None:
    if not isinstance(body, dict):
        raise errors.malformed_body(f"an object was expected for {entity}")
    for key, value in body.items():
        if key not in spec:
            raise errors.unsupported_property(key, entity)
        sub = spec[key]
        if value is None:
            continue
        if sub is None:
            _check_scalar(body, key, value)
            continue
        if sub == "LINE":
            _check_lines(value)
        elif isinstance(sub, list):
            if not isinstance(value, list):
                raise errors.malformed_body(f"{key} must be a list")
            for item in value:
                _check(entity, sub[0], item)
        elif isinstance(value, dict):
            _check(entity, sub, value)
        elif not (isinstance(value, str) and value == ""):
            raise errors.malformed_body(f"{key} must be an object")


def _check_lines(lines: Any) -> None:
    if not isinstance(lines, list):
        raise errors.malformed_body("Line must be a list")
    for line in lines:
        if not isinstance(line, dict):
            raise errors.malformed_body("each Line must be an object")
        detail_type = line.get("DetailType")
        if detail_type not in LINE_DETAILS:
            raise errors.invalid_value("Line.DetailType", detail_type, " | ".join(LINE_DETAILS))
        detail_key, detail_spec = LINE_DETAILS[detail_type]
        _check("Line", {**LINE_BASE, detail_key: detail_spec}, line)


def _check_scalar(body: dict[str, Any], key: str, value: Any) -> None:
    if isinstance(value, dict | list):
        raise errors.invalid_value(key, "an object or list", "a single value")
    if key in ID_FIELDS and isinstance(value, int) and not isinstance(value, bool):
        body[key] = str(value)
    elif key in TEXT_FIELDS and not isinstance(value, str):
        raise errors.invalid_value(key, value, "text")
