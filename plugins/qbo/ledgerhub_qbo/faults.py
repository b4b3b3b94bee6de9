"""QuickBooks errors: what went wrong in one call, and what the sync engine should do about it.

python-quickbooks raises an exception per QBO Fault code range and hides the HTTP status; the
client wrapper (:mod:`ledgerhub_qbo.client`) adds the status and ``Retry-After`` and turns
everything into a :class:`QboFault`. :func:`to_delivery_error` maps that onto the hub's
error tree: retry later, needs a person, or reconnect.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from hub.errors import DeliveryError, FatalConnectionError, NeedsAttentionError, RetryableError

RECONNECT = "Reconnect to QuickBooks"
"""The words a shop reads when the grant is revoked or expired."""

DEFAULT_THROTTLE_WAIT = 60.0
"""QBO's own advice after a 429 that does not say how long to wait."""

STALE_OBJECT = 5010
DUPLICATE_DOC_NUMBER = 6140
DUPLICATE_NAME = 6240
OBJECT_NOT_FOUND = 610
THROTTLED = 3001
_AUTH_CODES = frozenset({100, 110, 120, 3200})

#: Plain words for the validation faults shops meet most; QBO's own text follows them.
PLAIN_WORDS: dict[int, str] = {
    610: "Something this record uses was deleted or made inactive in QuickBooks",
    2040: "A field has characters QuickBooks does not accept",
    2050: "A field is longer than QuickBooks allows",
    2500: "A customer, item or invoice this record refers to does not exist in QuickBooks",
    6000: "QuickBooks refused the record",
    6070: "A line's amount is not its quantity times its unit price",
    6100: "A line has a tax code QuickBooks does not accept (US companies use TAX or NON)",
    6190: "The QuickBooks company's subscription is not active",
    6200: "The accounting period for this date is closed in QuickBooks",
    6210: "The accounting period for this date is closed in QuickBooks",
    6250: "The customer cannot be used on a sale in QuickBooks",
}


class FaultKind(StrEnum):
    """What a failed call means for the caller."""

    UNKNOWN_OUTCOME = "unknown_outcome"
    """Time-out or dropped connection (or a 5xx) after a write: it may or may not have happened."""
    RETRYABLE = "retryable"
    THROTTLED = "throttled"
    UNAUTHORIZED = "unauthorized"
    STALE = "stale"
    DUPLICATE_DOC_NUMBER = "duplicate_doc_number"
    DUPLICATE_NAME = "duplicate_name"
    NOT_FOUND = "not_found"
    INVALID = "invalid"


@dataclass(eq=False)
class QboFault(Exception):
    """One failed QuickBooks call: the fault ``code`` (0 when there was none), QBO's
    ``message`` and ``detail``, the HTTP ``status`` (``None`` when no response came back)
    and how long QBO asked to wait."""

    kind: FaultKind
    message: str
    code: int = 0
    detail: str = ""
    status: int | None = None
    retry_after: float | None = None

    def __post_init__(self) -> None:
        Exception.__init__(self, self.message)

    @property
    def plain(self) -> str:
        """QBO's complaint in words for a shop owner, with its own text after."""
        lead = PLAIN_WORDS.get(self.code, "QuickBooks refused the record")
        own = " ".join(p for p in (self.message, self.detail) if p and p not in lead)
        return f"{lead}: {own}" if own else lead


def kind_for(code: int, status: int | None) -> FaultKind:
    """Classify a fault by QBO ``code`` and HTTP ``status``."""
    if status == 429 or code == THROTTLED:
        return FaultKind.THROTTLED
    if status == 401 or code in _AUTH_CODES:
        return FaultKind.UNAUTHORIZED
    if code == STALE_OBJECT:
        return FaultKind.STALE
    if code == DUPLICATE_DOC_NUMBER:
        return FaultKind.DUPLICATE_DOC_NUMBER
    if code == DUPLICATE_NAME:
        return FaultKind.DUPLICATE_NAME
    if code == OBJECT_NOT_FOUND:
        return FaultKind.NOT_FOUND
    if (status is not None and status >= 500) or code >= 10000:
        return FaultKind.RETRYABLE
    return FaultKind.INVALID


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (only the delta-seconds form is used by QBO)."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return max(seconds, 0.0)


def to_delivery_error(fault: QboFault, what: str = "record") -> DeliveryError:
    """The hub error for a fault the target could not resolve itself."""
    if fault.kind is FaultKind.THROTTLED:
        wait = fault.retry_after if fault.retry_after is not None else DEFAULT_THROTTLE_WAIT
        return RetryableError(f"QuickBooks asked us to slow down (HTTP 429); retrying in {wait:g} s",
                              retry_after=wait)
    if fault.kind in (FaultKind.RETRYABLE, FaultKind.UNKNOWN_OUTCOME):
        where = f"HTTP {fault.status}" if fault.status else "no response"
        return RetryableError(f"QuickBooks did not answer properly ({where}): {fault.message}",
                              retry_after=fault.retry_after)
    if fault.kind is FaultKind.UNAUTHORIZED:
        return FatalConnectionError(RECONNECT)
    return NeedsAttentionError(f"{what}: {fault.plain}")
