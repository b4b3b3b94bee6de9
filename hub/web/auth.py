"""Sign-in for shop users, and the guard every settings page goes through.

The session holds only the signed-in user's id, shop and role; passwords are checked by the Hub
(stored hashed there). A shop user may open only their own shop's pages; an operator (support
staff) may open every shop's pages and the admin pages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlparse

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from hub.web.ui import gateway
from hub.web.ui.errors import with_error_pages
from hub.web.ui.signin_limit import SignInLimiter

bp = with_error_pages(Blueprint("auth", __name__))

F = TypeVar("F", bound=Callable[..., Any])

SESSION_KEY = "ledgerhub_user"


@dataclass(frozen=True, slots=True)
class SignedIn:
    """Who is signed in, as kept in the session cookie."""

    email: str
    shop_id: str
    operator: bool = False

    def may_open(self, shop_id: str) -> bool:
        """True when this user may see and change *shop_id*'s settings."""
        return self.operator or self.shop_id == shop_id


def current_user() -> SignedIn | None:
    """The signed-in user of this request, or ``None``."""
    if "user" not in g:
        raw = session.get(SESSION_KEY)
        g.user = SignedIn(**raw) if isinstance(raw, dict) else None
    return g.user


def _sign_in_redirect() -> Any:
    return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))


def shop_user_required(view: F) -> F:
    """Guard a view taking ``shop_id``: a signed-in user of that shop (or an operator)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        user = current_user()
        if user is None:
            return _sign_in_redirect()
        if not user.may_open(str(kwargs.get("shop_id", ""))):
            abort(403, "You are signed in for another shop.")
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def operator_required(view: F) -> F:
    """Guard an admin view: a signed-in operator."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        user = current_user()
        if user is None:
            return _sign_in_redirect()
        if not user.operator:
            abort(403, "Only LedgerHub support can open this page.")
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def safe_local_path(target: str | None) -> str | None:
    """*target* when it is a path on this site, else ``None`` (no open redirect). Browsers read
    a backslash as a slash, so ``/\\evil.example`` is as foreign as ``//evil.example``."""
    if not target or "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def home_url(user: SignedIn) -> str:
    """Where a user lands after signing in."""
    if user.operator and not user.shop_id:
        return url_for("admin.shops")
    return url_for("accounting.overview", shop_id=user.shop_id)


def _limiters() -> tuple[SignInLimiter, SignInLimiter]:
    """Per e-mail address (10 failures in 15 minutes) and per client address (50: a shop's
    staff may share one address, and must not lock each other out so easily)."""
    return current_app.extensions.setdefault(
        "ledgerhub_signin_limiters", (SignInLimiter(max_failures=10), SignInLimiter(max_failures=50)))


def _too_many(wait: float) -> str:
    minutes = max(1, round(wait / 60))
    return f"Too many failed attempts. Wait {minutes} minute{'s' if minutes != 1 else ''} and try again."


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Any:
    """Show the sign-in form; check the password and start a session."""
    error = ""
    status = 200
    email = request.form.get("email", "").strip()
    if request.method == "POST":
        by_email, by_addr = _limiters()
        email_key, addr_key = f"email:{email.lower()}", f"addr:{request.remote_addr}"
        wait = max(by_email.wait_seconds(email_key), by_addr.wait_seconds(addr_key))
        if wait > 0:
            return render_template("ui/sign_in.html", email=email, error=_too_many(wait)), 429
        user = gateway.authenticate(current_app, email, request.form.get("password", ""))
        if user is None:
            by_email.failed(email_key)
            by_addr.failed(addr_key)
            error = "That e-mail address and password do not match. Check them and try again."
            status = 401
        else:
            by_email.succeeded(email_key)
            session.clear()
            session[SESSION_KEY] = {"email": user.email, "shop_id": user.shop_id,
                                    "operator": user.operator}
            session.permanent = True
            signed_in = SignedIn(**session[SESSION_KEY])
            return redirect(safe_local_path(request.args.get("next")) or home_url(signed_in))
    return render_template("ui/sign_in.html", email=email, error=error), status


@bp.route("/sign-out", methods=["POST"])
def sign_out() -> Any:
    """End the session."""
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("auth.sign_in"))
