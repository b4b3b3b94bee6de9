"""Small CLI promises: honest help text, unknown names are exit 2, countries are checked,
a refusal is said once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import ledgerhub_csv_export
import ledgerhub_qbo
import pytest
from click.testing import CliRunner, Result

from hub.cli import build_cli
from hub.cli.state import CliState
from hub.domain.records import Shop
from hub.plugin.manager import build_plugin_manager
from hub.sync.runtime import Hub


def run(hub: Hub, *args: str) -> Result:
    return CliRunner().invoke(build_cli(CliState(hub=hub)), list(args))


@pytest.fixture
def real_hub(hub_config: Any, clock: Any) -> Iterator[Hub]:
    host = build_plugin_manager(load_entrypoints=False, extra_plugins=[
        ("qbo", ledgerhub_qbo), ("csv_export", ledgerhub_csv_export)])
    instance = Hub(hub_config, host=host, clock=clock)
    yield instance
    instance.close()


def test_export_csv_help_says_latest_version(real_hub: Hub) -> None:
    help_text = run(real_hub, "export", "csv", "--help").output
    summary = help_text.split("\n\n")[1].strip()
    assert summary.startswith("Write the latest version of each record")
    assert "every record version" not in help_text


def test_logs_of_an_unknown_plugin_is_exit_2(hub: Hub) -> None:
    result = run(hub, "logs", "--plugin", "nope")
    assert result.exit_code == 2
    assert "no target named 'nope'; installed: " in result.output and "fake" in result.output
    known = run(hub, "logs", "--plugin", "fake")
    assert known.exit_code == 0 and "No delivery attempts match." in known.output


@pytest.mark.parametrize("country", ["ZZ", "USA", "1A", "U"])
def test_shop_create_refuses_what_is_not_a_country(hub: Hub, country: str) -> None:
    result = run(hub, "shop", "create", "s9", "--name", "X", "--country", country)
    assert result.exit_code == 2
    assert "--country" in result.output and "ISO 3166" in result.output
    with pytest.raises(LookupError):
        hub.get_shop("s9")


def test_shop_create_upper_cases_a_country(hub: Hub) -> None:
    assert run(hub, "shop", "create", "s9", "--name", "X", "--country", "ca").exit_code == 0
    assert hub.get_shop("s9").country == "CA"


def test_the_canada_refusal_is_printed_once(real_hub: Hub) -> None:
    real_hub.create_shop(Shop(id="ca", name="Maple Auto", country="CA", region="ON"))
    result = run(real_hub, "connect", "qbo", "--shop", "ca", "--set", "client_id=x")
    assert result.exit_code == 2
    assert result.output.count("not offered to shops in Canada") == 1
