"""The HTTP side: python-quickbooks pointed at the configured base URL, with time-outs,
rate limiting and faults that carry the HTTP status.

python-quickbooks 0.9.12 has no base-URL argument, no time-out and hides the HTTP status, so
:class:`_QuickBooks` (a subclass, the library itself untouched) sets ``api_url_v3`` per
instance and sends through a plain ``requests`` session: the bearer token is set here, so the
library's OAuth session (which refuses plain http, as used by a local sandbox) is not needed.
Request bodies are built as JSON text by :mod:`ledgerhub_qbo.mapping` and sent with the
library's ``create_object``/``update_object``/``query``/``post``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import requests
from quickbooks import QuickBooks
from quickbooks.exceptions import QuickbooksException

from ledgerhub_qbo.faults import DEFAULT_THROTTLE_WAIT, FaultKind, QboFault, kind_for, parse_retry_after
from ledgerhub_qbo.limiter import RateLimiter
from ledgerhub_qbo.names import query_literal

MINOR_VERSION = 75
DEFAULT_TIMEOUT = 30.0
MAX_BATCH_ITEMS = 30
READ_RETRY_DELAYS = (0.2, 0.6)
"""Reads that meet a 5xx or a time-out are repeated after these pauses (seconds) before the
failure is handed to the engine; a read has no side effect, so repeating it is always safe."""
PAGE_SIZE = 1000

_DECIMAL_MARK = re.compile(r'"\\u0000dec:(-?[0-9]+(?:\.[0-9]+)?)"')


def to_json(body: Mapping[str, Any], indent: int | None = None) -> str:
    """*body* as JSON text with every :class:`~decimal.Decimal` written as an exact number."""

    def encode(value: Any) -> Any:
        if isinstance(value, Decimal):
            return f"\u0000dec:{value:f}"
        raise TypeError(f"cannot encode {type(value).__name__}")

    return _DECIMAL_MARK.sub(r"\1", json.dumps(body, default=encode, indent=indent))


class _QuickBooks(QuickBooks):
    """python-quickbooks with a per-instance base URL, a time-out and the last response kept."""

    _access_token: str = ""
    _timeout: float = DEFAULT_TIMEOUT
    _http: requests.Session
    last_response: requests.Response | None = None

    @classmethod
    def build(cls, realm_id: str, api_url_v3: str, access_token: str, timeout: float) -> _QuickBooks:
        """A client for *realm_id* at *api_url_v3* (no auth client: the token is ours)."""
        qb = cls(company_id=realm_id, minorversion=MINOR_VERSION, use_decimal=True)
        qb.api_url_v3 = api_url_v3
        qb.sandbox = False
        qb._access_token = access_token
        qb._timeout = timeout
        qb._http = requests.Session()
        return qb

    def process_request(self, request_type: str, url: str, headers: Any = "", params: Any = "",
                        data: Any = "") -> requests.Response:
        """Send one request with our bearer token and time-out."""
        headers = dict(headers or {})
        headers["Authorization"] = "Bearer " + self._access_token
        self.last_response = None
        response = self._http.request(request_type, url, headers=headers, params=params or None,
                                      data=data, timeout=self._timeout)
        self.last_response = response
        return response


class QboApi:
    """The calls the target makes to one QuickBooks company. Every call waits for the rate
    limiter and raises :class:`~ledgerhub_qbo.faults.QboFault` on any failure."""

    def __init__(self, *, api_url_v3: str, realm_id: str, access_token: str, limiter: RateLimiter,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        self.realm_id = realm_id
        self.limiter = limiter
        self.qb = _QuickBooks.build(realm_id, api_url_v3, access_token, timeout)
        self.requests_sent = 0
        self.throttled_until = 0.0
        """After a 429, nothing is sent before this (``time.monotonic()``) — QBO's own wait."""

    def set_access_token(self, access_token: str) -> None:
        """Use a refreshed access token from now on."""
        self.qb._access_token = access_token

    def _call(self, fn: Any, *args: Any, write: bool, batch: bool = False, **kwargs: Any) -> Any:
        delays = () if write else READ_RETRY_DELAYS
        for delay in delays:
            try:
                return self._call_once(fn, *args, write=write, batch=batch, **kwargs)
            except QboFault as fault:
                if fault.kind is not FaultKind.RETRYABLE:
                    raise
            time.sleep(delay)
        return self._call_once(fn, *args, write=write, batch=batch, **kwargs)

    def _call_once(self, fn: Any, *args: Any, write: bool, batch: bool = False, **kwargs: Any) -> Any:
        wait = self.throttled_until - time.monotonic()
        if wait > 0:
            raise QboFault(FaultKind.THROTTLED, "QuickBooks asked us to wait", status=429, retry_after=wait)
        try:
            with self.limiter.acquire(self.realm_id, batch=batch):
                self.requests_sent += 1
                return fn(*args, **kwargs)
        except (requests.Timeout, requests.ConnectionError) as exc:
            kind = FaultKind.UNKNOWN_OUTCOME if write else FaultKind.RETRYABLE
            raise QboFault(kind, f"{type(exc).__name__}: no answer from QuickBooks") from exc
        except QuickbooksException as exc:
            fault = self._fault(exc, write)
            if fault.kind is FaultKind.THROTTLED:
                wait = fault.retry_after if fault.retry_after is not None else DEFAULT_THROTTLE_WAIT
                self.throttled_until = time.monotonic() + wait
            raise fault from exc

    def _fault(self, exc: QuickbooksException, write: bool) -> QboFault:
        response = self.qb.last_response
        status = response.status_code if response is not None else None
        code = exc.error_code if isinstance(exc.error_code, int) else 0
        if code == 10000 and status not in (None, 200):
            code = 0  # the library's "could not read the answer", not a QBO fault code
        kind = kind_for(code, status)
        if kind is FaultKind.RETRYABLE and write:
            kind = FaultKind.UNKNOWN_OUTCOME
        retry_after = parse_retry_after(response.headers.get("Retry-After")) if response is not None else None
        detail = str(exc.detail or "")[:500]
        return QboFault(kind, str(exc.message)[:500], code=code, detail=detail, status=status,
                        retry_after=retry_after)

    def query(self, statement: str) -> list[dict[str, Any]]:
        """Rows of a ``select * from <Entity> …`` statement (one page of up to 1000)."""
        entity = statement.split()[3]
        result = self._call(self.qb.query, f"{statement} MAXRESULTS {PAGE_SIZE}", write=False)
        return list(result.get("QueryResponse", {}).get(entity, []))

    def find_one(self, entity: str, field: str, value: str) -> dict[str, Any] | None:
        """The first *entity* whose *field* equals *value*, or ``None``."""
        rows = self.query(f"select * from {entity} where {field} = {query_literal(value)}")
        return rows[0] if rows else None

    def read(self, entity: str, entity_id: str) -> dict[str, Any]:
        """One object by Id."""
        result = self._call(self.qb.get_single_object, entity, entity_id, write=False)
        return dict(result[entity])

    def create(self, entity: str, body: Mapping[str, Any], request_id: str | None) -> dict[str, Any]:
        """Create *entity*; *request_id* lets QBO answer a replay with the first result."""
        result = self._call(self.qb.create_object, entity, to_json(body), request_id=request_id,
                            write=True)
        return dict(result[entity])

    def update(self, entity: str, body: Mapping[str, Any], request_id: str | None = None,
               operation: str | None = None, include: str | None = None) -> dict[str, Any]:
        """Update (sparse when the body says so), or void with ``operation``/``include``."""
        params = {k: v for k, v in (("operation", operation), ("include", include)) if v}
        result = self._call(self.qb.update_object, entity, to_json(body), request_id=request_id,
                            params=params, write=True)
        return dict(result[entity])

    def batch(self, items: Sequence[Mapping[str, Any]], request_id: str) -> dict[str, dict[str, Any]]:
        """Send up to 30 ``BatchItemRequest`` entries; the answers keyed by ``bId``."""
        if len(items) > MAX_BATCH_ITEMS:
            raise ValueError(f"a QuickBooks batch holds at most {MAX_BATCH_ITEMS} items")
        url = f"{self.qb.api_url}/company/{self.realm_id}/batch"
        body = to_json({"BatchItemRequest": list(items)})
        result = self._call(self.qb.post, url, body, request_id=request_id, write=True, batch=True)
        return {str(item.get("bId")): dict(item) for item in result.get("BatchItemResponse", [])}
