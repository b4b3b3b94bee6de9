"""``ledgerhub shop user`` and ``ledgerhub operator``: who may sign in to the settings UI.

Shop users sign in to their own shop's pages (stored in the database, password hashed).
Support operators are configuration, not data: ``ledgerhub operator hash`` prints the
``EMAIL=HASH`` pair to put in ``LEDGERHUB_OPERATORS``.
"""

from __future__ import annotations

import sys

import click
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from hub.cli.state import fail, state
from hub.errors import ConfigurationError
from hub.storage.models import ShopUserRow

MIN_PASSWORD = 8


def _read_password(from_stdin: bool) -> str:
    """The password from the first line of stdin, or a hidden prompt asked twice."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD:
        fail(f"the password must be at least {MIN_PASSWORD} characters", 2)
    return password


_password_stdin = click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin (no prompt)."
)


@click.group("user")
def user_group() -> None:
    """People who sign in to a shop's settings pages."""


@user_group.command("add")
@click.argument("shop_id")
@click.argument("email")
@_password_stdin
def user_add(shop_id: str, email: str, password_stdin: bool) -> None:
    """Let EMAIL sign in to shop SHOP_ID's settings pages (asks for the password twice)."""
    hub = state().hub
    try:
        hub.get_shop(shop_id)
    except (KeyError, LookupError):
        fail(f"no shop {shop_id!r}", 2)
    password = _read_password(password_stdin)
    try:
        hub.create_user(shop_id, email, password)
    except ConfigurationError as exc:
        if "is already registered" in exc.errors.get("email", []):
            fail(f"{email.strip().lower()} already has a sign-in; nothing changed", 2)
        problems = "; ".join(f"{field} {m}" for field, msgs in exc.errors.items() for m in msgs)
        fail(problems or str(exc), 2)
    click.echo(f"{email.strip().lower()} can now sign in to shop {shop_id}'s settings pages.")


@user_group.command("list")
@click.argument("shop_id")
def user_list(shop_id: str) -> None:
    """The sign-ins of shop SHOP_ID, oldest first."""
    hub = state().hub
    try:
        hub.get_shop(shop_id)
    except (KeyError, LookupError):
        fail(f"no shop {shop_id!r}", 2)
    with hub.session_factory() as session:
        rows = session.execute(
            select(ShopUserRow.email, ShopUserRow.created_at)
            .where(ShopUserRow.shop_id == shop_id)
            .order_by(ShopUserRow.created_at, ShopUserRow.id)
        ).all()
    if not rows:
        click.echo(f"Shop {shop_id} has no users; add one with `ledgerhub shop user add {shop_id} EMAIL`.")
        return
    for email, created_at in rows:
        click.echo(f"{email:<40} added {created_at:%Y-%m-%d %H:%M}")


@click.group("operator")
def operator_group() -> None:
    """Support operators (they see every shop): configured, not stored."""


@operator_group.command("hash")
@click.argument("email")
@_password_stdin
def operator_hash(email: str, password_stdin: bool) -> None:
    """Print EMAIL=HASH for LEDGERHUB_OPERATORS (several pairs: separate them with commas)."""
    email = email.strip().lower()
    if "@" not in email or "=" in email or "," in email:
        fail("EMAIL must be an email address (without '=' or ',')", 2)
    pair = f"{email}={generate_password_hash(_read_password(password_stdin))}"
    click.echo(pair)
    click.echo(f"Add it to the environment of `ledgerhub serve`: LEDGERHUB_OPERATORS='{pair}'", err=True)
