"""The OpenAPI 3 document of the ingest API, generated from the marshmallow record schemas."""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import fields

from hub.domain.fields import BoundedDecimal, MaxLength
from hub.domain.kinds import EntityKind
from hub.domain.schemas import SCHEMAS

MAX_RECORDS_PER_REQUEST = 1000
"""The most records one bulk request may carry."""

DESCRIPTION = f"""\
Push records from a shop-management system into LedgerHub.

**Authentication.** Every endpoint except this document needs the shop's API token:
`Authorization: Bearer <token>` (issue one with `ledgerhub shop token SHOP_ID`). The token
decides the shop; records never name it.

**Bulk requests are all-or-nothing.** `POST /api/v1/{{kind}}` takes `{{"records": [...]}}` with
1 to {MAX_RECORDS_PER_REQUEST} records of that kind. Every record is validated first. If any
record is invalid (a broken rule, or a reference such as `customer_id` that names no record
of the shop sent before or in the same request), the answer is **422** listing every bad
record (`index` in the request, `kind`, `id`), the `field` path (such as `labor[2].hours`)
and the `rule`, and **nothing is stored**. Otherwise every record is stored and the answer
is **200** with one result per record, in request order: `created` (version 1), `updated` (a
new version; it will be delivered again) or `unchanged` (identical to the stored version;
nothing happens). Sending the same request twice is therefore safe.

**Money** is a decimal string with at most two places (`"412.50"`); JSON numbers are accepted
and read exactly. Dates are ISO (`2024-05-01`); `closed_at` needs a UTC offset.

**Errors** are JSON: `{{"error": code, "message": words, ...}}` with 400 (bad JSON, wrong shape),
401 (missing or unknown token), 404 (unknown kind or record), 413 (body too large), 415 (not
`application/json`) and 422 (invalid records).
"""


def _money_as_string(self: Any, field: fields.Field, ret: dict[str, Any], **_: Any) -> dict[str, Any]:
    """Decimal fields travel as strings (``"12.50"``), with at most ``max_places`` places."""
    if not isinstance(field, BoundedDecimal):
        return {}
    places = field.max_places
    props: dict[str, Any] = {
        "type": "string",
        "format": "decimal",
        "pattern": rf"^\d+(\.\d{{1,{places}}})?$" if places else r"^\d+$",
        "example": "12.50" if places == 2 else "1.5",
    }
    if field.maximum is not None:
        props["description"] = f"at most {field.maximum}"
    return props


def _text_lengths(self: Any, field: fields.Field, ret: dict[str, Any], **_: Any) -> dict[str, Any]:
    """Our own length validator, which apispec does not know, as ``maxLength``/``minLength``."""
    props: dict[str, Any] = {}
    for validator in field.validators:
        if isinstance(validator, MaxLength):
            props["maxLength"] = validator.limit
    if field.required and isinstance(field, fields.String):
        props["minLength"] = 1
    return props


def schema_name(kind: EntityKind) -> str:
    """``parts_purchase`` → ``PartsPurchase``: the component name of a kind's schema."""
    return "".join(part.title() for part in kind.value.split("_"))


def _error_schemas(spec: APISpec) -> None:
    spec.components.schema(
        "Error",
        {
            "type": "object",
            "required": ["error", "message"],
            "properties": {
                "error": {"type": "string", "example": "unsupported_media_type"},
                "message": {"type": "string"},
            },
        },
    )
    spec.components.schema(
        "RuleViolation",
        {
            "type": "object",
            "properties": {
                "index": {"type": "integer", "nullable": True, "description": "position in `records`"},
                "kind": {"type": "string"},
                "id": {"type": "string", "nullable": True},
                "field": {"type": "string", "example": "labor[2].hours"},
                "rule": {"type": "string", "example": "must not be negative (got -1)"},
            },
        },
    )
    spec.components.schema(
        "ValidationFailed",
        {
            "allOf": [
                {"$ref": "#/components/schemas/Error"},
                {
                    "type": "object",
                    "properties": {
                        "errors": {"type": "array", "items": {"$ref": "#/components/schemas/RuleViolation"}}
                    },
                },
            ],
        },
    )
    spec.components.schema(
        "IngestResult",
        {
            "type": "object",
            "properties": {
                "index": {"type": "integer"},
                "kind": {"type": "string"},
                "id": {"type": "string"},
                "status": {"type": "string", "enum": ["created", "updated", "unchanged"]},
                "version": {"type": "integer", "minimum": 1},
            },
        },
    )
    spec.components.schema(
        "IngestResponse",
        {
            "type": "object",
            "properties": {
                "results": {"type": "array", "items": {"$ref": "#/components/schemas/IngestResult"}},
                "created": {"type": "integer"},
                "updated": {"type": "integer"},
                "unchanged": {"type": "integer"},
            },
        },
    )
    spec.components.schema(
        "RecordStatus",
        {
            "type": "object",
            "properties": {
                "kind": {"type": "string"},
                "id": {"type": "string"},
                "version": {"type": "integer"},
                "record": {"type": "object"},
                "deliveries": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "target": {"type": "string"},
                            "connection_id": {"type": "integer"},
                            "version": {"type": "integer"},
                            "status": {"type": "string"},
                            "attempts": {"type": "integer"},
                            "last_error": {"type": "string", "nullable": True},
                        },
                    },
                },
            },
        },
    )


def _error(description: str, schema: str = "Error") -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def build_spec(version: str) -> dict[str, Any]:
    """The OpenAPI document as a JSON-ready dict: a schema component per kind, a bulk
    ``POST`` and a ``GET`` per kind, bearer-token security."""
    plugin = MarshmallowPlugin()
    spec = APISpec(
        title="LedgerHub ingest API",
        version=version,
        openapi_version="3.0.3",
        plugins=[plugin],
        info={"description": DESCRIPTION},
        servers=[{"url": "/api/v1"}],
    )
    assert plugin.converter is not None  # set by APISpec(plugins=...)
    plugin.converter.add_attribute_function(_money_as_string)
    plugin.converter.add_attribute_function(_text_lengths)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    _error_schemas(spec)
    for kind in EntityKind:
        name = schema_name(kind)
        spec.components.schema(name, schema=SCHEMAS[kind])
        spec.path(
            path=f"/{kind.value}",
            operations={
                "post": {
                    "operationId": f"ingest_{kind.value}",
                    "summary": f"Store up to {MAX_RECORDS_PER_REQUEST} {kind.value} records (all-or-nothing)",
                    "tags": [kind.value],
                    "security": [{"bearer": []}],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["records"],
                                    "additionalProperties": False,
                                    "properties": {
                                        "records": {
                                            "type": "array",
                                            "minItems": 1,
                                            "maxItems": MAX_RECORDS_PER_REQUEST,
                                            "items": {"$ref": f"#/components/schemas/{name}"},
                                        }
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "every record stored; one result per record, in order",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/IngestResponse"}
                                }
                            },
                        },
                        "400": _error('the body is not JSON, or not {"records": [...]}'),
                        "401": _error("missing or unknown API token"),
                        "413": _error("the body is too large"),
                        "415": _error("the body is not application/json"),
                        "422": _error("some records are invalid; nothing was stored", "ValidationFailed"),
                    },
                }
            },
        )
        spec.path(
            path=f"/{kind.value}/{{record_id}}",
            operations={
                "get": {
                    "operationId": f"get_{kind.value}",
                    "summary": f"The stored {kind.value} and its delivery status per connected target",
                    "tags": [kind.value],
                    "security": [{"bearer": []}],
                    "parameters": [
                        {"name": "record_id", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {
                        "200": {
                            "description": "the current version and its deliveries",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/RecordStatus"}}
                            },
                        },
                        "401": _error("missing or unknown API token"),
                        "404": _error("no such record for this shop"),
                    },
                }
            },
        )
    return spec.to_dict()
