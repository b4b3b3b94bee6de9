"""The UI's error page: the reason in words and a way back (the API keeps its JSON errors)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

ERROR_TITLES = {400: "That did not work", 403: "Not allowed", 404: "Not found"}


def error_page(exc: Any) -> Any:
    """Render ``ui/error.html`` for an HTTP error raised in a UI view."""
    code = int(getattr(exc, "code", 500) or 500)
    message = str(getattr(exc, "description", "") or ERROR_TITLES.get(code, ""))
    if code == 400 and "CSRF" in message:
        message = "This form has expired or did not come from this site. Reload the page and try again."
    return render_template("ui/error.html", title=ERROR_TITLES.get(code, "Error"), message=message), code


def with_error_pages(bp: Blueprint) -> Blueprint:
    """Give *bp* the UI's error page for 400, 403 and 404; returns *bp*."""
    for code in ERROR_TITLES:
        bp.register_error_handler(code, error_page)
    return bp
