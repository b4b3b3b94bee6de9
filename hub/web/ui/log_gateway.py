"""The sync log as the UI reads it: keyset pages on indexed filters, a record's history, and
Retry / Skip for deliveries that need attention. Only the Hub facade's public methods are used."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from hub.errors import HubError
from hub.web.ui.gateway import connections, hub_of, targets

#: Outcomes the engine writes to the log, in the order the filter offers them.
LOG_OUTCOMES: tuple[str, ...] = ("delivered", "needs_attention", "retry", "error", "fatal", "skipped")
#: Outcomes after which a person has to act (Retry or Skip).
ATTENTION_OUTCOMES = frozenset({"needs_attention", "error"})
#: How many rows a kind-only filter may scan for one page (the log has no kind-only index).
KIND_SCAN_LIMIT = 20_000


@dataclass(frozen=True, slots=True)
class LogFilter:
    """What the sync-log page filters by; ``before_id`` is the keyset cursor."""

    status: str | None = None
    kind: str | None = None
    record: str | None = None
    since: Any = None
    until: Any = None
    before_id: int | None = None


@dataclass(frozen=True, slots=True)
class LogPage:
    """One page of log entries, newest first."""

    entries: list[Any]
    has_more: bool
    fixable: frozenset[int]
    """Delivery ids on this page that still need attention (Retry / Skip apply)."""


@dataclass(frozen=True, slots=True)
class Attention:
    """A delivery of the record that needs a person, and why."""

    delivery_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class RecordHistory:
    """Every attempt for one record, oldest first, what needs attention now, the version the
    hub holds and where each of its deliveries to this plugin stands."""

    entries: list[Any]
    attention: list[Attention]
    stored: Any = None
    """The hub's current version (``record``, ``version``, ``received_at``), or ``None``."""
    deliveries: list[Any] = field(default_factory=list)


def _query(
    shop_id: str,
    plugin: str,
    flt: LogFilter,
    before_id: int | None,
    limit: int,
    record: tuple[str, str] | None,
) -> list[Any]:
    return list(
        hub_of().log_entries(
            plugin=plugin,
            shop_id=shop_id,
            record=record,
            since=flt.since,
            until=flt.until,
            status=flt.status,
            before_id=before_id,
            limit=limit,
        )
    )


def _fetch(shop_id: str, plugin: str, flt: LogFilter, before_id: int | None, limit: int) -> list[Any]:
    """Up to *limit* entries older than *before_id*, each query on an indexed column set."""
    if flt.record:
        kinds = [flt.kind] if flt.kind else [str(k) for k in targets()[plugin].entities]
        merged: list[Any] = []
        for kind in kinds:
            merged.extend(_query(shop_id, plugin, flt, before_id, limit, (kind, flt.record)))
        return sorted(merged, key=lambda e: e.id, reverse=True)[:limit]
    if not flt.kind:
        return _query(shop_id, plugin, flt, before_id, limit, None)
    # Kind without a record id: page through the shop's log and keep that kind.
    found: list[Any] = []
    scanned = 0
    cursor = before_id
    while len(found) < limit and scanned < KIND_SCAN_LIMIT:
        chunk = _query(shop_id, plugin, flt, cursor, 500, None)
        if not chunk:
            break
        scanned += len(chunk)
        found.extend(e for e in chunk if e.kind == flt.kind)
        cursor = chunk[-1].id
    return found[:limit]


def log_page(shop_id: str, plugin: str, flt: LogFilter, size: int) -> LogPage:
    """One page (keyset: entries older than ``flt.before_id``) plus whether more follow."""
    rows = _fetch(shop_id, plugin, flt, flt.before_id, size + 1)
    entries = rows[:size]
    return LogPage(entries=entries, has_more=len(rows) > size, fixable=_still_failing(shop_id, entries))


def iter_log(shop_id: str, plugin: str, flt: LogFilter, max_rows: int) -> Iterator[Any]:
    """Every matching entry, newest first, fetched page by page (for the CSV export)."""
    cursor = flt.before_id
    sent = 0
    while sent < max_rows:
        rows = _fetch(shop_id, plugin, flt, cursor, min(1000, max_rows - sent))
        if not rows:
            return
        yield from rows
        sent += len(rows)
        cursor = rows[-1].id


def _still_failing(shop_id: str, entries: list[Any]) -> frozenset[int]:
    """Deliveries on the page that need attention right now (Retry / Skip apply): the state of
    each failed row's record, one indexed look-up per record (a page has at most 50)."""
    records = {(e.kind, e.source_id) for e in entries
               if e.delivery_id and e.outcome in ATTENTION_OUTCOMES}
    stuck = {d.id for kind, source_id in records for d in _deliveries(shop_id, kind, source_id)
             if d.status == "needs_attention"}
    return frozenset(e.delivery_id for e in entries if e.delivery_id in stuck)


def _deliveries(shop_id: str, kind: str, source_id: str) -> list[Any]:
    try:
        return list(hub_of().delivery_history(shop_id, kind, source_id))
    except ValueError:  # not a kind: nothing was ever delivered
        return []


def record_history(shop_id: str, plugin: str, kind: str, source_id: str) -> RecordHistory:
    """Every attempt for the record in this plugin's log, oldest first, and the deliveries
    that need attention now with their reason."""
    entries = list(iter_log(shop_id, plugin, LogFilter(kind=kind, record=source_id), 5000))
    entries.reverse()
    plugin_connections = {c.id for c in connections(shop_id) if c.target_name == plugin}
    hub = hub_of()
    deliveries = [d for d in _deliveries(shop_id, kind, source_id) if d.connection_id in plugin_connections]
    try:
        stored = hub.get_record(shop_id, kind, source_id)
    except ValueError:  # not a kind at all: nothing was received
        stored = None
    attention = [Attention(d.id, _plain_reason(d.last_error)) for d in deliveries
                 if d.status == "needs_attention"]
    return RecordHistory(entries=entries, attention=attention, stored=stored, deliveries=deliveries)


def _plain_reason(error: str) -> str:
    return error.strip() or "The target gave no reason."


def delivery_belongs_to(shop_id: str, plugin: str, delivery_id: int, kind: str, source_id: str) -> bool:
    """True when the delivery is of this shop's record *kind*/*source_id*, to this plugin, and
    needs attention (the form names the record, so this is one indexed look-up)."""
    plugin_connections = {c.id for c in connections(shop_id) if c.target_name == plugin}
    return any(d.id == delivery_id and d.connection_id in plugin_connections and d.status == "needs_attention"
               for d in _deliveries(shop_id, kind, source_id))


def retry(delivery_id: int) -> None:
    """Send a delivery that needs attention again."""
    try:
        hub_of().retry(delivery_id)
    except (KeyError, ValueError) as exc:
        raise HubError(f"the record cannot be retried now ({exc})") from exc


def skip(delivery_id: int) -> None:
    """Give up on a delivery that needs attention."""
    try:
        hub_of().skip(delivery_id)
    except (KeyError, ValueError) as exc:
        raise HubError(f"the record cannot be skipped now ({exc})") from exc


