"""Numbers with huge exponents ("1e999999999") are a clear too-large error, never an Overflow."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask

from hub.cli import build_cli
from hub.cli.state import CliState
from hub.domain.generator import generate_history
from hub.domain.kinds import EntityKind
from hub.domain.records import Shop
from hub.domain.schemas import dump_record, load_record
from hub.errors import RecordValidationError
from hub.sync.runtime import Hub
from hub.web import create_app

HUGE = ["1e999999999", "-1e999999999", "9E+99999999999", "1e1000000"]

SAMPLES: dict[EntityKind, dict[str, Any]] = {}
for _record in generate_history(9, Shop(id="f", name="F"), 120):
    SAMPLES.setdefault(_record.kind, dump_record(_record))


def decimal_paths(node: Any, path: str = "") -> list[tuple[str, list[Any]]]:
    """Every (error path, key path) of a value dumped as a decimal string ("12.50", "0.0825")."""
    found: list[tuple[str, list[Any]]] = []

    def walk(value: Any, shown: str, keys: list[Any]) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{shown}.{key}" if shown else key, [*keys, key])
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{shown}[{index}]", [*keys, index])
        elif isinstance(value, str) and value.replace(".", "", 1).isdigit() and "." in value:
            found.append((shown, keys))

    walk(node, path, [])
    return found


def replaced(data: Any, keys: list[Any], value: Any) -> Any:
    copy = json.loads(json.dumps(data))
    target = copy
    for key in keys[:-1]:
        target = target[key]
    target[keys[-1]] = value
    return copy


CASES = [(kind, shown, keys) for kind, sample in sorted(SAMPLES.items())
         for shown, keys in decimal_paths(sample)]


def test_every_kind_with_money_is_covered() -> None:
    kinds = {kind for kind, _, _ in CASES}
    assert {EntityKind.INVOICE, EntityKind.PAYMENT} <= kinds
    assert any(shown.endswith(".hours") for _, shown, _ in CASES)


@pytest.mark.parametrize("huge", HUGE)
@pytest.mark.parametrize(("kind", "shown", "keys"), CASES, ids=[f"{k}:{s}" for k, s, _ in CASES])
def test_huge_exponent_in_any_decimal_field_is_too_large(kind: EntityKind, shown: str, keys: list[Any],
                                                         huge: str) -> None:
    with pytest.raises(RecordValidationError) as caught:
        load_record(kind, replaced(SAMPLES[kind], keys, huge))
    messages = caught.value.errors.get(shown, [])
    assert any("must be less than" in m or "must be at most" in m for m in messages), caught.value.errors


def test_invoice_hours_and_tax_huge() -> None:
    invoice = SAMPLES[EntityKind.INVOICE]
    for field in ("tax",):
        with pytest.raises(RecordValidationError) as caught:
            load_record("invoice", {**invoice, field: "1e999999999"})
        assert caught.value.errors[field] == ["must be less than 1000000000000 (got 1e999999999)"]
    labor = [dict(line) for line in invoice["labor"]]
    labor[0]["hours"] = "1e999999999"
    with pytest.raises(RecordValidationError) as caught:
        load_record("invoice", {**invoice, "labor": labor})
    assert any("must be less than" in m for m in caught.value.errors["labor[0].hours"])


def test_tiny_exponent_is_a_places_error() -> None:
    with pytest.raises(RecordValidationError) as caught:
        load_record("invoice", {**SAMPLES[EntityKind.INVOICE], "tax": "1e-999999999"})
    assert any("decimal places" in m for m in caught.value.errors["tax"])


@pytest.fixture
def app(hub: Hub) -> Flask:
    return create_app(hub, {"TESTING": True})


def test_api_answers_422_for_a_huge_payment_amount(app: Flask, hub: Hub, shop: Shop) -> None:
    headers = {"Authorization": f"Bearer {hub.issue_api_token(shop.id)}"}
    payment = {**SAMPLES[EntityKind.PAYMENT], "amount": "1e999999999"}
    response = app.test_client().post("/api/v1/payment", json={"records": [payment]}, headers=headers)
    assert response.status_code in (400, 422), response.data
    assert [e["field"] for e in response.json["errors"]] == ["amount"]


def test_import_names_the_line_with_the_huge_amount(hub: Hub, shop: Shop, tmp_path: Path) -> None:
    payment = {"kind": "payment", **SAMPLES[EntityKind.PAYMENT], "amount": "1e999999999"}
    file = tmp_path / "records.jsonl"
    file.write_text(json.dumps(payment) + "\n")
    result = CliRunner().invoke(build_cli(CliState(hub=hub)), ["import", str(file), "--shop", shop.id],
                                catch_exceptions=False)
    assert result.exit_code == 1
    assert "line 1: payment" in result.output and "amount: must be less than" in result.output
