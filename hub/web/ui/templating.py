"""What every UI template can use: the signed-in user, labels, and date formatting."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Flask, request

from hub.web.auth import current_user
from hub.web.ui.labels import kind_label, record_label, status_label


def format_when(value: datetime | None) -> str:
    """``2026-11-26 14:05 UTC``; naive datetimes are taken as UTC."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def register_template_helpers(app: Flask) -> None:
    """Add the UI's globals and filters to *app*'s Jinja environment."""
    app.jinja_env.filters["when"] = format_when
    app.jinja_env.filters["kind_label"] = kind_label
    app.jinja_env.filters["status_label"] = status_label
    app.jinja_env.filters["record_label"] = record_label

    @app.context_processor
    def _ui_globals() -> dict[str, Any]:
        user = current_user()
        shop_id = (request.view_args or {}).get("shop_id") or (user.shop_id if user else "")
        return {"signed_in": user, "nav_shop_id": shop_id}
