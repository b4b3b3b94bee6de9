"""QBO's faults: one exception type carrying the code, and the JSON bodies QBO answers with.

Codes and wording follow Intuit's error-code table (see the package docstring for the list the
sandbox produces). python-quickbooks maps the code ranges to its own exception classes, so the
codes matter more than the messages.
"""

from __future__ import annotations

from typing import Any


class QboError(Exception):
    """A failure QBO reports as a ``Fault`` with one ``Error``."""

    def __init__(
        self,
        code: int,
        message: str,
        detail: str = "",
        element: str = "",
        *,
        status: int = 400,
        fault_type: str = "ValidationFault",
    ) -> None:
        super().__init__(f"{code} {message}: {detail}")
        self.code = code
        self.message = message
        self.detail = detail
        self.element = element
        self.status = status
        self.fault_type = fault_type

    def fault(self) -> dict[str, Any]:
        """The ``Fault`` object (without the envelope) as QBO writes it."""
        error = {
            "Message": self.message,
            "Detail": self.detail,
            "code": str(self.code),
            "element": self.element,
        }
        return {"Error": [error], "type": self.fault_type}


def fault_body(error: QboError, time: str) -> dict[str, Any]:
    """The whole JSON body of a faulted answer."""
    return {"Fault": error.fault(), "time": time}


def authentication_body(time_ms: int) -> dict[str, Any]:
    """The lower-case 401 body QBO sends for a missing, expired or revoked access token."""
    return {
        "warnings": None,
        "intuitObject": None,
        "fault": {
            "error": [
                {
                    "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                    "detail": None,
                    "code": "3200",
                    "element": None,
                }
            ],
            "type": "AUTHENTICATION",
        },
        "report": None,
        "queryResponse": None,
        "batchItemResponse": [],
        "attachableResponse": [],
        "syncErrorResponse": None,
        "requestId": None,
        "time": time_ms,
        "status": None,
        "cdcresponse": [],
    }


def unsupported_property(field: str, entity: str) -> QboError:
    """2010: a property QBO does not know for this object."""
    return QboError(
        2010,
        "Request has invalid or unsupported property",
        f'Property Name:Unrecognized field "{field}" (class com.intuit.schema.finance.v3.{entity}), '
        "not marked as ignorable specified is unsupported or invalid",
        field,
    )


def malformed_body(problem: str) -> QboError:
    """2010: the body is not JSON QBO can read."""
    return QboError(
        2010,
        "Request has invalid or unsupported property",
        f"Property Name:{problem} specified is unsupported or invalid",
    )


def required(element: str) -> QboError:
    """2020: a required field is missing or empty."""
    return QboError(
        2020,
        "Required param missing, need to supply the required value for the API",
        f"Required parameter {element} is missing in the request",
        element,
    )


def invalid_id(element: str, value: object) -> QboError:
    """2030: an Id that is not a number QBO could have issued."""
    return QboError(2030, "Invalid ID", f"Id should be a valid number. Supplied value:{value}", element)


def invalid_characters(element: str) -> QboError:
    """2040: a name containing ``:``, a tab or a newline."""
    return QboError(
        2040,
        "Invalid String",
        f"{element} contains invalid characters (a colon, tab or newline is not allowed)",
        element,
    )


def invalid_length(element: str, maximum: int, supplied: int) -> QboError:
    """2050: a string longer than QBO allows."""
    return QboError(
        2050,
        "String length is either shorter or longer than supported by specification",
        f"String length specified does not match the supported length. Min:0 Max:{maximum} "
        f"supplied length:{supplied}",
        element,
    )


def invalid_value(element: str, value: object, expected: str) -> QboError:
    """2010-style rejection of a value of the wrong kind (a date, a number, an enum)."""
    return QboError(
        2010,
        "Request has invalid or unsupported property",
        f"Property Name:{element} value {value!r} is invalid: expected {expected}",
        element,
    )


def invalid_reference(element: str, entity: str, value: object) -> QboError:
    """2500: a reference to an object that does not exist."""
    return QboError(
        2500,
        "Invalid Reference Id",
        f"Invalid Reference Id : {entity} with Id {value} does not exist",
        element,
    )


def object_not_found(entity: str, object_id: object) -> QboError:
    """610: the object read or updated does not exist (or was deleted)."""
    return QboError(
        610,
        "Object Not Found",
        f"Object Not Found : Something you're trying to use has been made inactive or deleted. "
        f"Check the fields with accounts, customers, items, vendors or employees. ({entity} {object_id})",
    )


def inactive_reference(element: str, entity: str, object_id: object) -> QboError:
    """610: a reference to a name-list object that has been made inactive."""
    return QboError(
        610,
        "Object Not Found",
        f"Object Not Found : Something you're trying to use has been made inactive. Check the fields "
        f"with accounts, customers, items, vendors or employees. ({entity} {object_id} is inactive)",
        element,
    )


def stale_object() -> QboError:
    """5010: the SyncToken sent is not the object's current one."""
    return QboError(
        5010,
        "Stale Object Error",
        "Stale Object Error : You and another user were working on this at the same time. "
        "The other user finished before you did, so your work was not saved.",
    )


def business(detail: str, element: str = "") -> QboError:
    """6000: a business rule of QBO refused the change."""
    return QboError(
        6000,
        "A business validation error has occurred while processing your request",
        f"Business Validation Error: {detail}",
        element,
    )


def amount_mismatch(line: int) -> QboError:
    """6070: a line's Amount is not its Qty times its UnitPrice."""
    return QboError(
        6070,
        "Amount is not equal to UnitPrice * Qty",
        f"Amount is not equal to UnitPrice * Qty. Supplied value: line {line}",
        "Line.Amount",
    )


def name_missing() -> QboError:
    """6080: a person or company with no name at all."""
    return QboError(
        6080,
        "Missing required name",
        "Provide a DisplayName or at least one of Title, GivenName, MiddleName, FamilyName or Suffix",
        "DisplayName",
    )


def invalid_line_tax_code(value: object) -> QboError:
    """6100: a US line tax code other than TAX or NON."""
    return QboError(
        6100,
        "Invalid Line TaxCode",
        f"Invalid Line TaxCode {value!r}. For US, specify TAX or NON in Line.SalesItemLineDetail.TaxCodeRef",
        "Line.SalesItemLineDetail.TaxCodeRef",
    )


def duplicate_doc_number(doc_number: str, txn_type: str, txn_id: str) -> QboError:
    """6140: a DocNumber already used by another transaction of the same type."""
    return QboError(
        6140,
        "Duplicate Document Number Error",
        f"Duplicate Document Number Error : You must specify a different number. This number has already "
        f"been used. DocNumber={doc_number} is assigned to TxnType={txn_type} with TxnId={txn_id}",
        "DocNumber",
    )


def duplicate_name(entity: str, object_id: str) -> QboError:
    """6240: a name already used (DisplayName across people, Name within items or accounts)."""
    return QboError(
        6240,
        "Duplicate Name Exists Error",
        f"The name supplied already exists. : Another {entity.lower()} is already using this name "
        f"(Id={object_id})",
    )


def query_syntax(detail: str) -> QboError:
    """4000: a query QBO cannot parse."""
    return QboError(4000, "Error parsing query", f"QueryParserError: {detail}")


def query_invalid(detail: str) -> QboError:
    """4001: a query that parses but asks for something QBO does not support."""
    return QboError(4001, "Invalid query", f"QueryValidationError: {detail}")


def throttled() -> QboError:
    """3001: past one of the realm's request limits (HTTP 429)."""
    return QboError(
        3001,
        "message=ThrottleExceeded; errorCode=003001; statusCode=429",
        "The request limit was reached. Try again later",
        status=429,
        fault_type="SERVICE",
    )


def system_failure(status: int = 500) -> QboError:
    """10000: QBO failed on its side (500, or 503 when it is unavailable)."""
    message = "An application error has occurred while processing your request"
    if status == 503:
        message = "Service Unavailable"
    return QboError(
        10000,
        message,
        "System Failure Error: An unexpected error occurred",
        status=status,
        fault_type="SystemFault",
    )
