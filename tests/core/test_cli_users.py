"""``ledgerhub shop user add|list`` and ``ledgerhub operator hash`` + ``LEDGERHUB_OPERATORS``:
the first sign-in for the settings UI without the demo or editing Flask config."""

from __future__ import annotations

import re
from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask.testing import FlaskClient

from hub.cli import build_cli
from hub.cli.state import CliState
from hub.domain.records import Shop
from hub.sync.runtime import Hub
from hub.web import create_app
from hub.web.ui.operators import parse_operators

PASSWORD = "correct horse battery"


def sign_in(client: FlaskClient, email: str, password: str) -> Any:
    """Post the sign-in form with its CSRF token."""
    page = client.get("/sign-in").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match
    return client.post("/sign-in", data={"email": email, "password": password, "csrf_token": match.group(1)})


def run(hub: Hub, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(build_cli(CliState(hub=hub)), list(args), input=stdin, catch_exceptions=False)


def test_user_add_with_password_stdin_then_sign_in(hub: Hub, shop: Shop) -> None:
    added = run(hub, "shop", "user", "add", shop.id, "Owner@Shop.Example", "--password-stdin",
                stdin=PASSWORD + "\n")
    assert added.exit_code == 0, added.output
    assert "owner@shop.example can now sign in" in added.output
    assert PASSWORD not in added.output
    assert hub.check_user("owner@shop.example", PASSWORD) == shop.id
    with create_app(hub, {"TESTING": True}).test_client() as client:
        assert sign_in(client, "owner@shop.example", PASSWORD).status_code == 302
        assert sign_in(client, "owner@shop.example", "wrong-password").status_code != 302


def test_user_add_prompts_twice_and_refuses_a_duplicate(hub: Hub, shop: Shop) -> None:
    prompted = run(hub, "shop", "user", "add", shop.id, "a@shop.example", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert prompted.exit_code == 0, prompted.output
    assert "Repeat for confirmation" in prompted.output
    again = run(hub, "shop", "user", "add", shop.id, "A@shop.example", "--password-stdin",
                stdin="other-password\n")
    assert again.exit_code == 2
    assert "a@shop.example already has a sign-in; nothing changed" in again.output
    assert hub.check_user("a@shop.example", "other-password") is None


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (("nope", "a@shop.example"), PASSWORD, "no shop 'nope'"),
    (("{shop}", "not-an-email"), PASSWORD, "email must be an email address"),
    (("{shop}", "b@shop.example"), "short", "at least 8 characters"),
])
def test_user_add_problems_are_named(hub: Hub, shop: Shop, args: tuple[str, str], stdin: str,
                                     message: str) -> None:
    shop_id, email = (a.format(shop=shop.id) for a in args)
    result = run(hub, "shop", "user", "add", shop_id, email, "--password-stdin", stdin=stdin + "\n")
    assert result.exit_code == 2
    assert message in result.output


def test_user_list(hub: Hub, shop: Shop, clock: Any) -> None:
    assert "has no users" in run(hub, "shop", "user", "list", shop.id).output
    hub.create_user(shop.id, "first@shop.example", PASSWORD)
    clock.advance(minutes=1)
    hub.create_user(shop.id, "second@shop.example", PASSWORD)
    lines = run(hub, "shop", "user", "list", shop.id).output.splitlines()
    assert [line.split()[0] for line in lines] == ["first@shop.example", "second@shop.example"]
    assert run(hub, "shop", "user", "list", "nope").exit_code == 2


def test_operator_hash_in_the_environment_signs_in_an_operator(hub: Hub, shop: Shop,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    result = CliRunner().invoke(build_cli(CliState(hub=hub)), ["operator", "hash", "Ops@Example.com",
                                                             "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    pair = result.stdout.splitlines()[0]
    assert pair.startswith("ops@example.com=scrypt:") and PASSWORD not in pair
    monkeypatch.setenv("LEDGERHUB_OPERATORS", f"other@example.com={pair.split('=', 1)[1]}, {pair}")
    app = create_app(hub, {"TESTING": True})
    with app.test_client() as client:
        assert client.get("/admin/").status_code in (302, 401, 403)
        assert sign_in(client, "ops@example.com", "nope-nope").status_code != 302
        assert sign_in(client, "Ops@Example.com", PASSWORD).status_code == 302
        admin = client.get("/admin/")
        assert admin.status_code == 200 and shop.id in admin.get_data(as_text=True)


@pytest.mark.parametrize("value", ["ops@example.com", "ops@example.com=plaintext", "=scrypt:1$a$0f"])
def test_malformed_operator_settings_are_refused_without_echoing(value: str) -> None:
    with pytest.raises(ValueError, match="LEDGERHUB_OPERATORS") as caught:
        parse_operators(value)
    assert "plaintext" not in str(caught.value)
