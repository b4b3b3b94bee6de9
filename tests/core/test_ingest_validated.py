"""Records the API and ``ledgerhub import`` validated already are not checked a second time
(``Hub.ingest(validated=True)``), while bad input is still refused, and code-built records
(the default) still are checked."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import hub.cli.records_file
import hub.sync.ingest
import hub.web.api
from hub.cli import build_cli
from hub.cli.state import CliState
from hub.domain.records import Shop
from hub.domain.schemas import dump_record, load_record
from hub.errors import RecordValidationError
from hub.sync.runtime import Hub
from hub.web import create_app
from tests.fakes.records import customer as customer_record
from tests.fakes.records import invoice as invoice_record


@pytest.fixture
def load_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[tuple[str, str]]]:
    """How often each record id went through ``load_record``, by ``(caller, id)``: the caller
    is "edge" (the API or the import reader) or "ingest" (the hub's own check)."""
    calls: Counter[tuple[str, str]] = Counter()

    def counting(caller: str) -> Callable[[Any, Any], Any]:
        def load(kind: Any, data: Any) -> Any:
            calls[(caller, str(data.get("id")))] += 1
            return load_record(kind, data)

        return load

    monkeypatch.setattr(hub.web.api, "load_record", counting("edge"))
    monkeypatch.setattr(hub.cli.records_file, "load_record", counting("edge"))
    monkeypatch.setattr(hub.sync.ingest, "load_record", counting("ingest"))
    yield calls


def api_post(hub_: Hub, shop: Shop, kind: str, records: list[dict[str, Any]]) -> Any:
    client = create_app(hub_, {"TESTING": True}).test_client()
    headers = {"Authorization": f"Bearer {hub_.issue_api_token(shop.id)}"}
    return client.post(f"/api/v1/{kind}", json={"records": records}, headers=headers)


def test_api_ingest_checks_each_record_once(
    hub: Hub, shop: Shop, load_calls: Counter[tuple[str, str]]
) -> None:
    records = [{"id": f"C{n}", "first_name": "Ana", "last_name": f"Lopez {n}"} for n in range(3)]
    response = api_post(hub, shop, "customer", records)
    assert response.status_code == 200, response.json
    assert load_calls == Counter({("edge", "C0"): 1, ("edge", "C1"): 1, ("edge", "C2"): 1})
    assert sorted(r.id for r, _ in hub.records_for(shop.id)) == ["C0", "C1", "C2"]


def test_api_still_refuses_bad_input(hub: Hub, shop: Shop, load_calls: Counter[tuple[str, str]]) -> None:
    response = api_post(hub, shop, "customer", [{"id": "C1", "first_name": "Ana", "last_name": "x" * 101}])
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "last_name"
    assert list(hub.records_for(shop.id)) == []


def test_import_is_not_checked_again_by_the_hub(
    hub: Hub, shop: Shop, tmp_path: Path, load_calls: Counter[tuple[str, str]]
) -> None:
    file = tmp_path / "records.jsonl"
    lines = [
        {"kind": r.kind.value, **dump_record(r)} for r in (customer_record("C-1"), invoice_record("RO-1"))
    ]
    file.write_text("".join(json.dumps(line) + "\n" for line in lines))
    result = CliRunner().invoke(
        build_cli(CliState(hub=hub)), ["import", str(file), "--shop", shop.id], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    # The file is read twice (check, then store), each record checked as it is read; the hub
    # does not check it a third time.
    assert {caller for caller, _ in load_calls} == {"edge"}
    assert {record_id for _, record_id in load_calls} == {"C-1", "RO-1"}


def test_records_built_in_code_are_still_checked(
    hub: Hub, shop: Shop, load_calls: Counter[tuple[str, str]]
) -> None:
    with pytest.raises(RecordValidationError) as error:
        hub.ingest(shop.id, [customer_record("C-1", first_name="x" * 101)])
    assert "first_name" in error.value.errors
    assert load_calls == Counter({("ingest", "C-1"): 1})
    assert list(hub.records_for(shop.id)) == []
