"""``POST /batch``: up to 30 operations, each answered on its own (an object or a Fault) by bId."""

from __future__ import annotations

from typing import Any

from ledgerhub_qbo_sandbox import company, errors, query
from ledgerhub_qbo_sandbox.store import Realm

MAX_ITEMS = 30
#: With a requestid, QBO limits each bId to 10 characters.
MAX_BID_WITH_REQUEST_ID = 10
OPERATIONS = ("create", "update", "delete")


def run(realm: Realm, body: Any, *, with_request_id: bool = False) -> dict[str, Any]:
    """Run every item of a batch; a failed item gets a Fault and does not stop the others."""
    if not isinstance(body, dict) or not isinstance(body.get("BatchItemRequest"), list):
        raise errors.required("BatchItemRequest")
    items = body["BatchItemRequest"]
    if len(items) > MAX_ITEMS:
        raise errors.QboError(
            1040,
            "Batch size exceeds allowed limit",
            f"A batch may hold at most {MAX_ITEMS} items; this one has {len(items)}",
        )
    seen: set[str] = set()
    for item in items:
        bid = item.get("bId") if isinstance(item, dict) else None
        if not bid:
            raise errors.required("BatchItemRequest.bId")
        if with_request_id and len(str(bid)) > MAX_BID_WITH_REQUEST_ID:
            raise errors.invalid_value(
                "bId", bid, f"at most {MAX_BID_WITH_REQUEST_ID} characters with a requestid"
            )
        if bid in seen:
            raise errors.QboError(
                2010,
                "Request has invalid or unsupported property",
                f"Property Name:bId {bid!r} is used twice in one batch",
                "bId",
            )
        seen.add(bid)
    return {"BatchItemResponse": [_run_item(realm, item) for item in items]}


def _run_item(realm: Realm, item: dict[str, Any]) -> dict[str, Any]:
    bid = item["bId"]
    try:
        if "Query" in item:
            return {"bId": bid, **query.run(realm, str(item["Query"]))}
        entity_keys = [key for key in item if key not in ("bId", "operation", "optionsData")]
        if len(entity_keys) != 1:
            raise errors.malformed_body("a batch item must hold exactly one object or a Query")
        entity = entity_keys[0]
        if entity not in company.WRITABLE:
            raise errors.unsupported_property(entity, "BatchItemRequest")
        operation = item.get("operation", "create")
        if operation not in OPERATIONS:
            raise errors.invalid_value("operation", operation, " | ".join(OPERATIONS))
        params = {"operation": operation} if operation != "create" else {}
        if item.get("optionsData") == "void":
            params = {"operation": "void"}
        return {"bId": bid, **company.write(realm, entity, item[entity], params)}
    except errors.QboError as error:
        return {"bId": bid, "Fault": error.fault()}
