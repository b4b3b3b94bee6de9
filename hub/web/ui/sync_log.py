"""The sync log of one plugin for one shop: filters, keyset pages, a record's full history,
Retry and Skip for a record that needs attention, and a CSV export for support."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, stream_with_context, url_for

from hub.errors import HubError
from hub.web.auth import safe_local_path, shop_user_required
from hub.web.ui import log_gateway
from hub.web.ui.errors import with_error_pages
from hub.web.ui.labels import all_kinds, kind_label, record_label
from hub.web.ui.lookups import shop_or_404, target_or_404

bp = with_error_pages(Blueprint("sync_log", __name__, url_prefix="/shops/<shop_id>/logs"))

PAGE_SIZE = 50
CSV_MAX_ROWS = 200_000
CSV_COLUMNS = (
    "id",
    "at",
    "plugin",
    "shop_id",
    "kind",
    "source_id",
    "version",
    "delivery_id",
    "action",
    "outcome",
    "attempt",
    "duration_ms",
    "target_id",
    "error",
)


def _parse_day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def read_filters(args: Any) -> tuple[log_gateway.LogFilter, list[str]]:
    """The filters from the query string, and a message per value that was not understood."""
    problems = []
    kind = args.get("kind") or None
    if kind is not None and kind not in {str(k) for k in all_kinds()}:
        problems.append(f"There is no record kind {kind!r}; showing every kind.")
        kind = None
    status = args.get("status") or None
    if status is not None and status not in log_gateway.LOG_OUTCOMES:
        problems.append(f"There is no status {status!r}; showing every status.")
        status = None
    since_day, until_day = _parse_day(args.get("from")), _parse_day(args.get("to"))
    for name in ("from", "to"):
        if args.get(name) and _parse_day(args.get(name)) is None:
            problems.append(f"The {name!r} date must look like 2026-11-26.")
    since = datetime.combine(since_day, time.min, UTC) if since_day else None
    until = datetime.combine(until_day + timedelta(days=1), time.min, UTC) if until_day else None
    before = args.get("before", type=int)
    return log_gateway.LogFilter(
        status=status,
        kind=kind,
        record=(args.get("record") or "").strip() or None,
        since=since,
        until=until,
        before_id=before,
    ), problems


@bp.route("/<plugin>")
@shop_user_required
def entries(shop_id: str, plugin: str) -> Any:
    """One page of the log, newest first; "Older" continues after the last row shown."""
    shop = shop_or_404(shop_id)
    target = target_or_404(plugin)
    filters, problems = read_filters(request.args)
    page = log_gateway.log_page(shop_id, plugin, filters, PAGE_SIZE)
    older = None
    if page.has_more and page.entries:
        args = {k: v for k, v in request.args.items() if k != "before"}
        older = url_for(".entries", shop_id=shop_id, plugin=plugin, before=page.entries[-1].id, **args)
    export_args = {k: v for k, v in request.args.items() if k != "before"}
    return render_template(
        "ui/log/entries.html",
        shop=shop,
        target=target,
        page=page,
        filters=filters,
        older=older,
        problems=problems,
        kinds=[(str(k), kind_label(k)) for k in all_kinds()],
        outcomes=log_gateway.LOG_OUTCOMES,
        export_url=url_for(".export", shop_id=shop_id, plugin=plugin, **export_args),
    )


@bp.route("/<plugin>/records/<kind>/<path:source_id>")
@shop_user_required
def record_history(shop_id: str, plugin: str, kind: str, source_id: str) -> Any:
    """Every attempt for one record in this plugin, oldest first, with the deliveries' state."""
    shop = shop_or_404(shop_id)
    target = target_or_404(plugin)
    history = log_gateway.record_history(shop_id, plugin, kind, source_id)
    return render_template(
        "ui/log/record.html",
        shop=shop,
        target=target,
        kind=kind,
        kind_label=record_label(kind),
        source_id=source_id,
        history=history,
    )


def _csv_rows(shop_id: str, plugin: str, filters: log_gateway.LogFilter) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    written = 0
    for entry in log_gateway.iter_log(shop_id, plugin, filters, CSV_MAX_ROWS):
        writer.writerow([_csv_cell(getattr(entry, c)) for c in CSV_COLUMNS])
        written += 1
        if written % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _csv_cell(value: Any) -> str:
    text = value.isoformat() if isinstance(value, datetime) else "" if value is None else str(value)
    # A cell starting with = + - @ would run as a formula when support opens the file.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


@bp.route("/<plugin>/export.csv")
@shop_user_required
def export(shop_id: str, plugin: str) -> Any:
    """The filtered log as CSV, streamed page by page (memory stays flat)."""
    shop_or_404(shop_id)
    target_or_404(plugin)
    filters, _ = read_filters(request.args)
    filename = f"ledgerhub-{shop_id}-{plugin}-log.csv"
    rows = stream_with_context(_csv_rows(shop_id, plugin, filters))
    return Response(
        rows, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


def _act(shop_id: str, plugin: str, delivery_id: int, action: str) -> Any:
    back = safe_local_path(request.form.get("back")) or url_for(".entries", shop_id=shop_id, plugin=plugin)
    kind, source_id = request.form.get("kind", ""), request.form.get("source_id", "")
    if not log_gateway.delivery_belongs_to(shop_id, plugin, delivery_id, kind, source_id):
        flash("That record does not need attention (any more): nothing was changed.", "error")
        return redirect(back)
    try:
        if action == "retry":
            log_gateway.retry(delivery_id)
            flash("The record will be sent again shortly.")
        else:
            log_gateway.skip(delivery_id)
            flash("The record was skipped; it will not be sent.")
    except HubError as exc:
        flash(f"Could not {action}: {exc}", "error")
    return redirect(back)


@bp.route("/<plugin>/deliveries/<int:delivery_id>/retry", methods=["POST"])
@shop_user_required
def retry(shop_id: str, plugin: str, delivery_id: int) -> Any:
    """Send a record that needs attention again."""
    return _act(shop_id, plugin, delivery_id, "retry")


@bp.route("/<plugin>/deliveries/<int:delivery_id>/skip", methods=["POST"])
@shop_user_required
def skip(shop_id: str, plugin: str, delivery_id: int) -> Any:
    """Give up on a record that needs attention; it is not sent."""
    return _act(shop_id, plugin, delivery_id, "skip")
