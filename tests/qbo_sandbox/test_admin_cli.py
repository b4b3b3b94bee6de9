"""The admin JSON endpoints, the request log, the CLI command and the plugin hook."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import ledgerhub_qbo_sandbox
import requests
from click.testing import CliRunner
from ledgerhub_qbo_sandbox import SandboxServer
from ledgerhub_qbo_sandbox.cli import qbo_sandbox
from quickbooks.objects.customer import Customer

from .conftest import Connected
from .helpers import customer


def test_admin_endpoints_list_realms_objects_requests_and_counters(us: Connected) -> None:
    customer(us.qb, "Jane")
    base = us.sandbox.base_url
    realms = requests.get(f"{base}/admin/realms", timeout=10).json()["realms"]
    assert us.realm_id in {realm["realm_id"] for realm in realms}
    objects = requests.get(f"{base}/admin/realms/{us.realm_id}/objects/customer", timeout=10).json()
    assert [c["DisplayName"] for c in objects["Customer"]] == ["Jane"]
    accounts = requests.get(f"{base}/admin/realms/{us.realm_id}/objects/account", timeout=10).json()[
        "Account"
    ]
    income = {a["Name"] for a in accounts if a["AccountType"] == "Income"}
    assert {"Sales of Product Income", "Services"} <= income
    assert {"Cost of Goods Sold", "Other Current Asset"} <= {a["AccountType"] for a in accounts}
    log = requests.get(f"{base}/admin/realms/{us.realm_id}/requests", timeout=10).json()["requests"]
    assert log[-1]["body"]["DisplayName"] == "Jane" and log[-1]["status"] == 200
    counters = requests.get(f"{base}/admin/realms/{us.realm_id}/throttle", timeout=10).json()
    assert counters["accepted"] >= 1 and counters["limits"]["per_minute"] == 100_000
    created = requests.post(f"{base}/admin/realms", data=json.dumps({"country": "CA"}), timeout=10)
    assert created.status_code == 201
    assert (
        requests.post(f"{base}/admin/realms", data=json.dumps({"country": "FR"}), timeout=10).status_code
        == 400
    )
    rate = requests.post(
        f"{base}/admin/realms/{us.realm_id}/tax-rate", data=json.dumps({"rate": "0.07"}), timeout=10
    )
    assert rate.status_code == 200 and us.sandbox.state.realm(us.realm_id).tax_rate == Decimal("0.07")


def test_the_request_log_never_holds_a_token(us: Connected) -> None:
    Customer.count(qb=us.qb)
    us.auth.refresh()  # a token call too
    serialized = json.dumps(us.sandbox.request_log(us.realm_id))
    assert us.auth.access_token not in serialized and us.auth.refresh_token not in serialized
    assert us.sandbox.request_log(us.realm_id)[-1]["authorization"] == "Bearer [redacted]"


def test_plugin_hook_offers_the_command() -> None:
    commands = ledgerhub_qbo_sandbox.ledgerhub_cli_commands()
    assert [command.name for command in commands] == ["qbo-sandbox"]
    help_text = CliRunner().invoke(commands[0], ["--help"]).output
    assert "--port" in help_text and "--time-scale" in help_text


def test_ledgerhub_qbo_sandbox_serves_until_stopped(tmp_path: Path) -> None:
    # `ledgerhub qbo-sandbox`, through the hub's command group (what the console script runs).
    command = [
        "qbo-sandbox",
        "--port",
        "0",
        "--time-scale",
        "60",
        "--auto-approve",
        "--fault",
        "error_503=0.25",
    ]
    process = subprocess.Popen(
        [sys.executable, "-c", "from hub.cli import main; main()", *command],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ},
        cwd=tmp_path,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert " on http://127.0.0.1:" in first, first
        banner = [first]
        while not banner[-1].startswith("  faults:"):
            banner.append(process.stdout.readline())
            assert banner[-1], f"the banner ended early: {banner}"
        assert "'error_503': 0.25" in banner[-1]
        base = first.split(" on ")[1].split()[0]
        assert "time scale 60" in first
        discovery = requests.get(f"{base}/.well-known/openid_configuration", timeout=10).json()
        assert discovery["token_endpoint"] == f"{base}/oauth2/v1/tokens/bearer"
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0 and "stopped" in output


def test_bad_options_are_refused_by_click() -> None:
    result = CliRunner().invoke(qbo_sandbox, ["--time-scale", "0"])
    assert result.exit_code == 2 and "time-scale" in result.output
    result = CliRunner().invoke(qbo_sandbox, ["--fault", "error_500=2"])
    assert result.exit_code == 2 and "between 0 and 1" in result.output
    result = CliRunner().invoke(qbo_sandbox, ["--fault", "explode=1"])
    assert result.exit_code == 2 and "unknown fault setting" in result.output


def test_python_api_helpers() -> None:
    with SandboxServer(country="CA") as sandbox:
        realm = sandbox.default_realm_id
        assert {code["Name"] for code in sandbox.objects(realm, "taxcode")} >= {"GST", "HST ON"}
        assert sandbox.get_object(realm, "CompanyInfo", "1")["Country"] == "CA"
        tokens = sandbox.issue_tokens(realm)
        answer = requests.get(
            f"{sandbox.base_url}/v3/company/{realm}/companyinfo/{realm}",
            timeout=10,
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
        )
        assert answer.json()["CompanyInfo"]["Country"] == "CA"
        assert sandbox.expire_access_tokens() >= 1
        expired = requests.get(
            f"{sandbox.base_url}/v3/company/{realm}/companyinfo/{realm}",
            timeout=10,
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
        )
        assert expired.status_code == 401 and expired.json()["fault"]["error"][0]["code"] == "3200"
