"""The REST ingest API under ``/api/v1``: bulk record ingest, record status, OpenAPI document.

Bulk requests are all-or-nothing: every record is validated before anything is stored, and a
request with one bad record stores nothing and answers 422 listing every bad record, field and
rule (see :data:`hub.web.api.openapi.DESCRIPTION`, which is also the published contract).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request

from hub import __version__
from hub.domain.kinds import EntityKind
from hub.domain.records import Record
from hub.domain.schemas import dump_shop, load_record, parse_kind
from hub.errors import RecordValidationError
from hub.web.api.errors import (
    API_PREFIX,
    ApiError,
    install_app_handlers,
    install_blueprint_handlers,
    validation_failed,
)
from hub.web.api.openapi import MAX_RECORDS_PER_REQUEST, build_spec

if TYPE_CHECKING:
    from hub.sync.runtime import Hub

bp = Blueprint("api", __name__, url_prefix=API_PREFIX)
install_blueprint_handlers(bp)

#: Default body limit: 1,000 large invoices fit comfortably.
MAX_BODY_BYTES = 8 * 1024 * 1024
EXTENSION = "ledgerhub_api"


def _hub() -> Any:
    return current_app.extensions[EXTENSION]


def init_api(app: Flask, hub: Hub) -> None:
    """Register the API blueprint and its JSON error handling on *app*, serving *hub*."""
    app.extensions[EXTENSION] = hub
    app.config.setdefault("MAX_CONTENT_LENGTH", MAX_BODY_BYTES)
    install_app_handlers(app)
    app.register_blueprint(bp)


@bp.before_request
def _authenticate() -> None:
    """Every endpoint but the OpenAPI document needs ``Authorization: Bearer <token>``."""
    if request.endpoint == "api.openapi":
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise ApiError(401, "unauthorized", "send the shop's API token as 'Authorization: Bearer <token>'")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "the Authorization header must be 'Bearer <token>'")
    shop_id = _hub().shop_for_token(token.strip())
    if shop_id is None:
        raise ApiError(401, "unauthorized", "unknown or revoked API token")
    g.shop_id = shop_id


def _kind(name: str) -> EntityKind:
    try:
        return parse_kind(name)
    except ValueError as exc:
        raise ApiError(404, "unknown_kind", str(exc)) from None


def _json_body() -> Any:
    if request.mimetype != "application/json":
        got = request.mimetype or "no Content-Type"
        raise ApiError(
            415, "unsupported_media_type", f"send JSON with 'Content-Type: application/json' (got {got})"
        )
    raw = request.get_data(cache=False)  # raises 413 past MAX_CONTENT_LENGTH
    try:
        return json.loads(raw)
    except UnicodeDecodeError:
        raise ApiError(400, "bad_json", "the body is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ApiError(
            400, "bad_json", f"the body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except (ValueError, RecursionError) as exc:  # 5,000-digit numbers, absurd nesting
        raise ApiError(400, "bad_json", f"the body cannot be read as JSON: {exc}") from None


def _records_of(body: Any) -> list[Any]:
    if not isinstance(body, dict) or set(body) != {"records"}:
        raise ApiError(
            400, "bad_request", 'the body must be a JSON object {"records": [...]} and nothing else'
        )
    records = body["records"]
    if not isinstance(records, list) or not records:
        raise ApiError(400, "bad_request", '"records" must be a non-empty list of record objects')
    if len(records) > MAX_RECORDS_PER_REQUEST:
        raise ApiError(
            400,
            "too_many_records",
            f"send at most {MAX_RECORDS_PER_REQUEST} records per request (got {len(records)})",
        )
    return records


@bp.post("/<kind_name>")
def ingest(kind_name: str) -> Response:
    """Store a batch of records of one kind: all of them, or (422) none."""
    kind = _kind(kind_name)
    items = _records_of(_json_body())
    loaded: list[Record] = []
    failures: list[tuple[int | None, RecordValidationError]] = []
    for index, item in enumerate(items):
        try:
            loaded.append(load_record(kind, item))
        except RecordValidationError as exc:
            failures.append((index, exc))
    if failures:
        raise validation_failed(failures, len(items))
    try:
        outcomes = _hub().ingest(g.shop_id, loaded, validated=True)  # each went through load_record
    except RecordValidationError as exc:
        position = next((i for i, r in enumerate(loaded) if r.id == exc.record_id), None)
        raise validation_failed([(position, exc)], len(items)) from None
    results = [
        {"index": i, "kind": o.kind.value, "id": o.id, "status": o.status, "version": o.version}
        for i, o in enumerate(outcomes)
    ]
    counts = Counter(o.status for o in outcomes)
    return jsonify(
        {
            "results": results,
            "created": counts["created"],
            "updated": counts["updated"],
            "unchanged": counts["unchanged"],
        }
    )


@bp.get("/<kind_name>/<path:record_id>")
def record_status(kind_name: str, record_id: str) -> Response:
    """The current version of a record and where each connected target stands with it."""
    kind = _kind(kind_name)
    hub = _hub()
    stored = hub.get_record(g.shop_id, kind, record_id)
    if stored is None:
        raise ApiError(404, "not_found", f"this shop has no {kind.value} {record_id!r}")
    connections = {c.id: c.target_name for c in hub.connections(g.shop_id)}
    deliveries = [
        {
            "target": connections.get(d.connection_id, ""),
            "connection_id": d.connection_id,
            "version": d.version,
            "action": d.action,
            "status": d.status,
            "attempts": d.attempts,
            "last_error": d.last_error or None,
            "waiting_on": d.waiting_on or None,
            "warnings": list(d.warnings),
        }
        for d in hub.delivery_history(g.shop_id, kind, record_id)
    ]
    return jsonify(
        {
            "kind": kind.value,
            "id": record_id,
            "version": stored.version,
            "received_at": stored.received_at.isoformat(),
            "record": stored.payload,
            "deliveries": deliveries,
        }
    )


@bp.get("/shop")
def shop() -> Response:
    """The shop the token belongs to (a cheap way to check a token)."""
    return jsonify(dump_shop(_hub().get_shop(g.shop_id)))


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3 document of this API (no token needed)."""
    spec = current_app.extensions.get("ledgerhub_openapi")
    if spec is None:
        spec = current_app.extensions["ledgerhub_openapi"] = build_spec(__version__)
    return jsonify(spec)
