"""A shop's country is an ISO 3166-1 alpha-2 code, checked by the shop schema itself; the CLI
uses the same list (hub.domain.countries)."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from hub.cli import build_cli
from hub.cli.state import CliState
from hub.domain.countries import ISO_3166_ALPHA2, country_problem
from hub.domain.schemas import load_shop
from hub.errors import RecordValidationError
from hub.sync.runtime import Hub


def shop_data(**changes: Any) -> dict[str, Any]:
    return {"id": "s1", "name": "Main St Auto", "timezone": "America/Chicago", **changes}


@pytest.mark.parametrize("code", ["US", "CA", "GB", "MX"])
def test_assigned_codes_load(code: str) -> None:
    assert load_shop(shop_data(country=code)).country == code


@pytest.mark.parametrize(
    ("code", "rule"),
    [
        ("ZZ", "'ZZ' is not an ISO 3166 country code"),
        ("XX", "'XX' is not an ISO 3166 country code"),
        ("USA", "must be a two-letter ISO 3166 country code such as US or CA (got 'USA')"),
        ("", "must be a two-letter ISO 3166 country code such as US or CA (got '')"),
        ("us", "must be upper case, such as 'US' (got 'us')"),
    ],
)
def test_unassigned_or_malformed_codes_are_refused_naming_the_field(code: str, rule: str) -> None:
    with pytest.raises(RecordValidationError) as error:
        load_shop(shop_data(country=code))
    assert error.value.kind == "shop"
    (message,) = error.value.errors["country"]
    assert message.startswith(rule)


def test_the_list_is_the_assigned_codes() -> None:
    assert len(ISO_3166_ALPHA2) == 249
    assert country_problem("DE") is None and country_problem("EU") is not None


def test_cli_uses_the_domain_list(hub: Hub) -> None:
    import hub.cli.cmd_records as cmd_records

    assert cmd_records.country_problem is country_problem
    cli = build_cli(CliState(hub=hub))
    refused = CliRunner().invoke(cli, ["shop", "create", "s9", "--name", "X", "--country", "ZZ"])
    assert refused.exit_code == 2 and "'ZZ' is not an ISO 3166 country code" in refused.output
    made = CliRunner().invoke(cli, ["shop", "create", "s9", "--name", "X", "--country", "gb"])
    assert made.exit_code == 0, made.output
    assert hub.get_shop("s9").country == "GB"
