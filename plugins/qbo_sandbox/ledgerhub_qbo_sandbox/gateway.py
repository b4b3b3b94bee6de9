"""The HTTP side of ``/v3/company/{realmId}/...``: authentication, throttling, fault injection,
``requestid`` replay and the request log, around the operations of :mod:`company`."""

from __future__ import annotations

import secrets
import socket
import time
from typing import Any

from flask import Request, Response

from ledgerhub_qbo_sandbox import batch, company, errors, jsonio, query
from ledgerhub_qbo_sandbox.state import SandboxState
from ledgerhub_qbo_sandbox.store import CachedAnswer, Realm

MAX_REQUEST_ID = 50
MAX_BATCH_REQUEST_ID = 36
XML_THROTTLE_FAULT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><IntuitResponse xmlns="http://schema.intuit.com/'
    'finance/v3"><Fault type="SERVICE"><Error code="3001"><Message>message=ThrottleExceeded; '
    "errorCode=003001; statusCode=429</Message><Detail>The request limit was reached. Try again later"
    "</Detail>"
    "</Error></Fault></IntuitResponse>"
)


def handle(state: SandboxState, realm_id: str, path: str, request: Request) -> Response:
    """Answer one company request the way QBO would."""
    started = time.monotonic()
    entry: dict[str, Any] = {
        "time": state.clock.timestamp(),
        "method": request.method,
        "path": request.path,
        "params": dict(request.args),
        "authorization": _redacted(request.headers.get("Authorization")),
    }
    realm = state.realms.get(realm_id)
    authorization = request.headers.get("Authorization", "")
    token = authorization[7:] if authorization.startswith("Bearer ") else ""
    token_realm = state.oauth.realm_of_access_token(token) if token else None
    if token_realm is None:
        return _finish(state, realm, entry, started, _unauthorized(state), "unauthorized")
    if realm is None or token_realm != realm_id:
        error = errors.QboError(
            120,
            "AuthorizationFailure",
            f"The access token does not open realm {realm_id}",
            status=403,
            fault_type="AuthorizationFault",
        )
        return _finish(state, realm, entry, started, _fault(state, error), "forbidden")
    broken = state.throttle.enter(realm_id, batch=path == "batch")
    if broken:
        entry["limit"] = broken
        return _finish(state, realm, entry, started, _throttled(state), "throttled")
    try:
        injected = state.faults.draw()
        if "slow" in injected:
            time.sleep(state.clock.real_seconds(state.faults.slow_seconds))
        if "401" in injected:
            return _finish(state, realm, entry, started, _unauthorized(state), "injected-401")
        for status in (500, 503):
            if str(status) in injected:
                answer = _fault(state, errors.system_failure(status))
                return _finish(state, realm, entry, started, answer, f"injected-{status}")
        response, outcome = _answer(state, realm, path, request, entry)
        if "drop" in injected and _drop(request):
            outcome = "dropped"
        return _finish(state, realm, entry, started, response, outcome)
    finally:
        state.throttle.leave(realm_id)


def _answer(
    state: SandboxState, realm: Realm, path: str, request: Request, entry: dict[str, Any]
) -> tuple[Response, str]:
    request_id = request.args.get("requestid")
    payload = request.get_data()  # read before taking the realm's lock: a slow client holds up no one
    try:
        parts = [part for part in path.split("/") if part]
        if not parts:
            raise errors.QboError(500, "Unsupported Operation", "No operation in the URL", status=400)
        entry["operation"] = parts[0]
        if request_id is not None:
            limit = MAX_BATCH_REQUEST_ID if parts[0] == "batch" else MAX_REQUEST_ID
            if not request_id or len(request_id) > limit:
                raise errors.QboError(
                    2130,
                    "Invalid Request Id Format",
                    f"requestid must be 1 to {limit} characters; got {len(request_id)}",
                    "requestid",
                )
        if request.method == "GET" and parts[0] != "query":
            if len(parts) != 2:
                raise errors.QboError(
                    500, "Unsupported Operation", f"GET {path} is not supported", status=400
                )
            return _json(state, 200, company.read(realm, company.entity_for(parts[0]), parts[1])), "ok"
        with realm.lock:
            if request_id is not None and request_id in realm.answers:
                cached = realm.answers[request_id]
                return _json(state, cached.status, cached.body), "replayed"
            body = _run(realm, parts, request, payload, entry)
            if request_id is not None:
                realm.remember(request_id, CachedAnswer(200, body))
        entry["result_ids"] = _result_ids(body)
        return _json(state, 200, body), "ok"
    except errors.QboError as error:
        entry["fault_codes"] = [str(error.code)]
        return _fault(state, error), "fault"
    except Exception as crash:  # noqa: BLE001 - a sandbox bug must still answer like QBO, and show in the log
        entry["crash"] = f"{type(crash).__name__}: {crash}"
        return _fault(state, errors.system_failure(500)), "crash"


def _run(
    realm: Realm, parts: list[str], request: Request, payload: bytes, entry: dict[str, Any]
) -> dict[str, Any]:
    operation = parts[0].lower()
    if operation == "query":
        text = request.args.get("query") if request.method == "GET" else payload.decode("utf-8", "replace")
        entry["query"] = text
        return query.run(realm, text or "")
    if request.method != "POST" or len(parts) != 1:
        raise errors.QboError(
            500, "Unsupported Operation", f"{request.method} {'/'.join(parts)} is not supported", status=400
        )
    try:
        body = jsonio.loads(payload or b"{}")
    except ValueError as problem:
        raise errors.malformed_body(f"the body is not JSON ({problem})") from None
    entry["body"] = body
    if operation == "batch":
        answer = batch.run(realm, body, with_request_id="requestid" in request.args)
        entry["fault_codes"] = [
            item["Fault"]["Error"][0]["code"] for item in answer["BatchItemResponse"] if "Fault" in item
        ]
        return answer
    return company.write(realm, company.entity_for(operation), body, dict(request.args))


def _result_ids(body: dict[str, Any]) -> list[str]:
    """Ids of the objects an answer carries (for the request log)."""
    answers = body.get("BatchItemResponse") or [body]
    return [
        str(value["Id"])
        for answer in answers
        for value in answer.values()
        if isinstance(value, dict) and "Id" in value
    ]


def _json(state: SandboxState, status: int, body: dict[str, Any]) -> Response:
    stamped = {**body, "time": state.clock.timestamp()}
    response = Response(jsonio.dumps(stamped), status=status, mimetype="application/json")
    response.headers["intuit_tid"] = secrets.token_hex(16)
    return response


def _fault(state: SandboxState, error: errors.QboError) -> Response:
    return _json(state, error.status, errors.fault_body(error, state.clock.timestamp()))


def _unauthorized(state: SandboxState) -> Response:
    body = errors.authentication_body(int(state.clock.now() * 1000))
    response = Response(jsonio.dumps(body), status=401, mimetype="application/json")
    response.headers["WWW-Authenticate"] = 'Bearer realm="Intuit", error="invalid_token"'
    return response


def _throttled(state: SandboxState) -> Response:
    if state.faults.throttle_format == "xml":
        return Response(XML_THROTTLE_FAULT, status=429, mimetype="application/xml")
    return _fault(state, errors.throttled())


def _drop(request: Request) -> bool:
    """Close the connection without answering (the change has already been applied)."""
    sock = request.environ.get("werkzeug.socket")
    if sock is None:
        return False
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        return False
    return True


def _finish(
    state: SandboxState,
    realm: Realm | None,
    entry: dict[str, Any],
    started: float,
    response: Response,
    outcome: str,
) -> Response:
    entry["status"] = response.status_code
    entry["outcome"] = outcome
    entry["duration_ms"] = round((time.monotonic() - started) * 1000, 2)
    if realm is not None:
        with realm.lock:
            realm.request_log.append(entry)
    return response


def _redacted(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme = authorization.split(" ", 1)[0]
    return f"{scheme} [redacted]"
