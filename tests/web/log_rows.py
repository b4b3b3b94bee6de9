"""Fill the delivery log with many rows fast (one executemany per chunk), for the scale test
and bench/ui_log_pages.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from hub.storage.models import DeliveryLogRow

KINDS = ("customer", "invoice", "payment", "vendor")


def fill_log(engine: Any, count: int, *, shop_id: str, plugin: str, connection_id: int = 1,
             attention_every: int = 97, chunk: int = 20_000) -> None:
    """Insert *count* attempts, oldest first, one a second from 2026-01-01; every
    *attention_every*-th needs attention. Other shops' rows are mixed in (one in four)."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    table = DeliveryLogRow.__table__
    with engine.begin() as conn:
        for offset in range(0, count, chunk):
            rows = []
            for i in range(offset, min(count, offset + chunk)):
                failed = i % attention_every == 0
                rows.append({
                    "at": start + timedelta(seconds=i), "connection_id": connection_id,
                    "plugin": plugin, "shop_id": shop_id if i % 4 else "other-shop",
                    "record_kind": KINDS[i % len(KINDS)], "source_id": f"R-{i}", "version": 1,
                    "delivery_id": None, "action": "create",
                    "outcome": "needs_attention" if failed else "delivered", "attempt": 1,
                    "duration_ms": 12, "target_id": "" if failed else f"T{i}",
                    "error": "customer is inactive" if failed else "",
                })
            conn.execute(insert(table), rows)
