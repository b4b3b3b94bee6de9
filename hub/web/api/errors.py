"""JSON error responses of the ingest API: every 4xx says what went wrong and how to fix it.

Shape: ``{"error": "<code>", "message": "<words for a developer>", ...details}``. Record
validation adds ``errors``: one item per broken rule, naming the record (``index`` in the
request, ``kind``, ``id``), the ``field`` path and the ``rule``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from hub.errors import RecordValidationError

API_PREFIX = "/api/v1"


class ApiError(Exception):
    """Raised by a view to answer with a JSON error (``status``, ``code``, ``message``)."""

    def __init__(self, status: int, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    def response(self) -> Response:
        """The JSON response for this error."""
        return error_response(self.status, self.code, self.message, **self.details)


def error_response(status: int, code: str, message: str, **details: Any) -> Response:
    """A JSON error response."""
    response = jsonify({"error": code, "message": message, **details})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="ledgerhub"'
    return response


def rule_items(exc: RecordValidationError, index: int | None = None) -> list[dict[str, Any]]:
    """One JSON item per broken rule of *exc*."""
    return [
        {"index": index, "kind": exc.kind, "id": exc.record_id, "field": field, "rule": message}
        for field, messages in exc.errors.items()
        for message in messages
    ]


def validation_failed(failures: Iterable[tuple[int | None, RecordValidationError]], total: int) -> ApiError:
    """The 422 for a bulk request with bad records: every bad record, field and rule."""
    items = [item for index, exc in failures for item in rule_items(exc, index)]
    bad = len({(i["index"], i["kind"], i["id"]) for i in items})
    return ApiError(
        422,
        "validation_failed",
        f"{bad} of {total} records are invalid; nothing was stored. Fix them and send the request again.",
        errors=items,
    )


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
}


def _is_api_request() -> bool:
    return request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/")


def install_blueprint_handlers(bp: Blueprint) -> None:
    """JSON answers for :class:`ApiError` and for unexpected exceptions in the API's views (a
    logged 500 that shows no internals). Call once, when the blueprint is defined."""

    @bp.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> Response:
        return exc.response()

    @bp.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:
        if isinstance(exc, HTTPException):
            return _http_error(exc)
        current_app.logger.exception("unexpected error in %s %s", request.method, request.path)
        return error_response(500, "internal_error", "the hub failed to handle this request; it was logged")


def install_app_handlers(app: Flask) -> None:
    """JSON (never HTML) HTTP errors for every request under ``/api/v1``, including 404s and
    405s raised by routing and 413s raised by body parsing."""

    @app.errorhandler(HTTPException)
    def _api_http_error(exc: HTTPException) -> Any:
        return _http_error(exc) if _is_api_request() else exc


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    message = exc.description or exc.name
    if status == 413:
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        message = (
            f"the request body is larger than the limit of {limit} bytes; send fewer records per request"
        )
    return error_response(status, _HTTP_CODES.get(status, "http_error"), message)
