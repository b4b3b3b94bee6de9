"""The ingest API: bulk all-or-nothing ingest, tokens, bad input (never a 500), record status."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Blueprint, Flask
from flask.testing import FlaskClient

from hub.domain.records import Shop
from hub.plugin import hookimpl
from hub.plugin.manager import build_plugin_manager
from hub.sync.runtime import Hub
from hub.web import create_app


@pytest.fixture
def app(hub: Hub) -> Flask:
    return create_app(hub, {"TESTING": True, "MAX_CONTENT_LENGTH": 64 * 1024})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def token(hub: Hub, shop: Shop) -> str:
    return hub.issue_api_token(shop.id)


@pytest.fixture
def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def customer(n: int, **extra: Any) -> dict[str, Any]:
    return {"id": f"C{n}", "first_name": "Ana", "last_name": f"Lopez {n}", **extra}


def invoice(n: int, customer_id: str = "C1", **extra: Any) -> dict[str, Any]:
    return {"id": f"INV-{n}", "number": str(1000 + n), "customer_id": customer_id,
            "invoice_date": "2026-01-05", "labor": [{"description": "Oil change", "hours": "0.5",
                                                     "rate": "100.00"}],
            "total": "50.00", **extra}


def post(client: FlaskClient, kind: str, records: list[Any], headers: dict[str, str]) -> Any:
    return client.post(f"/api/v1/{kind}", json={"records": records}, headers=headers)


def test_bulk_ingest_reports_created_updated_unchanged(client: FlaskClient, auth: dict[str, str]) -> None:
    first = post(client, "customer", [customer(1), customer(2)], auth)
    assert first.status_code == 200
    assert first.json["results"] == [
        {"index": 0, "kind": "customer", "id": "C1", "status": "created", "version": 1},
        {"index": 1, "kind": "customer", "id": "C2", "status": "created", "version": 1},
    ]
    again = post(client, "customer", [customer(1), customer(2, email="ana@example.com")], auth)
    assert [(r["status"], r["version"]) for r in again.json["results"]] == [("unchanged", 1), ("updated", 2)]
    assert (again.json["created"], again.json["updated"], again.json["unchanged"]) == (0, 1, 1)


def test_one_bad_record_writes_nothing_and_lists_every_problem(
    client: FlaskClient, auth: dict[str, str], hub: Hub, shop: Shop
) -> None:
    bad_hours = invoice(2)
    bad_hours["labor"][0]["hours"] = "-1"
    records = [customer(1), customer(2, last_name="x" * 101), customer(3)]
    response = post(client, "customer", records, auth)
    assert response.status_code == 422
    assert response.json["error"] == "validation_failed"
    assert response.json["errors"] == [{"index": 1, "kind": "customer", "id": "C2", "field": "last_name",
                                        "rule": "must be at most 100 characters long (got 101)"}]
    assert "nothing was stored" in response.json["message"]
    assert list(hub.records_for(shop.id)) == []

    post(client, "customer", [customer(1)], auth)
    response = post(client, "invoice", [invoice(1), bad_hours, invoice(3, total="49.00")], auth)
    assert response.status_code == 422
    by_index = {(e["index"], e["field"]): e["rule"] for e in response.json["errors"]}
    assert by_index == {
        (1, "labor[0].hours"): "must not be negative (got -1)",
        (2, "total"): "lines, discounts and tax add up to 50.00 but total is 49.00",
    }
    assert [r.kind.value for r, _ in hub.records_for(shop.id)] == ["customer"]


def test_unknown_reference_is_rejected_without_writing(
    client: FlaskClient, auth: dict[str, str], hub: Hub, shop: Shop
) -> None:
    post(client, "customer", [customer(1)], auth)
    response = post(client, "invoice", [invoice(1), invoice(2, customer_id="NOPE")], auth)
    assert response.status_code == 422
    [error] = response.json["errors"]
    assert (error["index"], error["id"], error["field"]) == (1, "INV-2", "customer_id")
    assert "NOPE" in error["rule"]
    assert [r.kind.value for r, _ in hub.records_for(shop.id)] == ["customer"]


@pytest.mark.parametrize(
    ("headers", "message"),
    [({}, "Authorization: Bearer"), ({"Authorization": "Basic abc"}, "must be 'Bearer <token>'"),
     ({"Authorization": "Bearer wrong-token"}, "unknown or revoked")],
)
def test_missing_or_wrong_token_is_401(client: FlaskClient, shop: Shop, headers: dict[str, str],
                                       message: str) -> None:
    response = post(client, "customer", [customer(1)], headers)
    assert response.status_code == 401
    assert response.json["error"] == "unauthorized"
    assert message in response.json["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_token_stops_working(client: FlaskClient, hub: Hub, token: str, auth: dict[str, str]) -> None:
    assert post(client, "customer", [customer(1)], auth).status_code == 200
    hub.revoke_api_token(token)
    assert post(client, "customer", [customer(2)], auth).status_code == 401


def test_a_token_only_reaches_its_own_shop(client: FlaskClient, hub: Hub, shop: Shop,
                                           auth: dict[str, str]) -> None:
    hub.create_shop(Shop(id="shop-2", name="Other Garage"))
    other = {"Authorization": f"Bearer {hub.issue_api_token('shop-2')}"}
    post(client, "customer", [customer(1)], auth)
    assert client.get("/api/v1/customer/C1", headers=other).status_code == 404
    assert client.get("/api/v1/shop", headers=other).json["id"] == "shop-2"


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b'{"records": [', "application/json", 400, "bad_json"),
        (b"\xff\xfe", "application/json", 400, "bad_json"),
        (b'{"records": []}', "application/json", 400, "bad_request"),
        (b'{"records": {}}', "application/json", 400, "bad_request"),
        (b'[{"id": "C1"}]', "application/json", 400, "bad_request"),
        (b'{"records": [], "shop": "x"}', "application/json", 400, "bad_request"),
        (b"null", "application/json", 400, "bad_request"),
        (b"id,first_name\nC1,Ana\n", "text/csv", 415, "unsupported_media_type"),
        (b'{"records": [{"id": "C1"}]}', "", 415, "unsupported_media_type"),
    ],
)
def test_bad_bodies_get_clear_4xx(client: FlaskClient, auth: dict[str, str], body: bytes,
                                  content_type: str, status: int, code: str) -> None:
    response = client.post("/api/v1/customer", data=body, content_type=content_type, headers=auth)
    assert response.status_code == status
    assert response.is_json and response.json["error"] == code
    assert response.json["message"]


def test_records_that_are_not_objects_are_named(client: FlaskClient, auth: dict[str, str]) -> None:
    response = post(client, "customer", [customer(1), "C2", None], auth)
    assert response.status_code == 422
    assert [(e["index"], e["field"], e["rule"]) for e in response.json["errors"]] == [
        (1, "_record", "must be a JSON object"), (2, "_record", "must be a JSON object")]


def test_too_large_body_is_413_json(client: FlaskClient, auth: dict[str, str]) -> None:
    records = [customer(n, company_name="y" * 90) for n in range(1000)]
    response = post(client, "customer", records, auth)
    assert response.status_code == 413
    assert response.json["error"] == "body_too_large"
    assert "65536" in response.json["message"]


def test_too_many_records_is_400(app: Flask, auth: dict[str, str]) -> None:
    app.config["MAX_CONTENT_LENGTH"] = None
    response = post(app.test_client(), "customer", [customer(n) for n in range(1001)], auth)
    assert response.status_code == 400
    assert response.json["error"] == "too_many_records"


def test_unknown_kind_and_unknown_paths_are_json_404(client: FlaskClient, auth: dict[str, str]) -> None:
    response = post(client, "widget", [{"id": "W1"}], auth)
    assert response.status_code == 404
    assert response.json["error"] == "unknown_kind" and "invoice" in response.json["message"]
    assert client.get("/api/v1/customer/NOPE", headers=auth).json["error"] == "not_found"
    assert client.get("/api/v1/no/such/path/here", headers=auth).status_code == 404
    wrong_method = client.delete("/api/v1/customer", headers=auth)
    assert wrong_method.status_code == 405 and wrong_method.json["error"] == "method_not_allowed"


def test_an_unexpected_failure_is_a_json_500_without_internals(
    app: Flask, client: FlaskClient, hub: Hub, auth: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*_: Any) -> None:
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(hub, "ingest", explode)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = post(client, "customer", [customer(1)], auth)
    assert response.status_code == 500
    assert response.json["error"] == "internal_error"
    assert "hunter2" not in response.get_data(as_text=True)


def test_record_status_shows_version_and_deliveries(
    client: FlaskClient, auth: dict[str, str], hub: Hub, shop: Shop
) -> None:
    connection_id = hub.connect(shop.id, "narrow", {"company": "Books"})
    post(client, "customer", [customer(1)], auth)
    post(client, "customer", [customer(1, email="a@b.example")], auth)
    response = client.get("/api/v1/customer/C1", headers=auth)
    assert response.status_code == 200
    body = response.json
    assert (body["kind"], body["id"], body["version"]) == ("customer", "C1", 2)
    assert body["record"]["email"] == "a@b.example"
    assert {(d["target"], d["connection_id"], d["version"]) for d in body["deliveries"]} == {
        ("narrow", connection_id, 1), ("narrow", connection_id, 2)}
    hub.sync()
    deliveries = client.get("/api/v1/customer/C1", headers=auth).json["deliveries"]
    statuses = {d["version"]: d["status"] for d in deliveries}
    assert statuses[2] == "delivered"


def test_openapi_document_has_a_schema_and_path_per_kind(client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = json.loads(response.get_data(as_text=True))
    assert doc["openapi"].startswith("3.")
    schemas = doc["components"]["schemas"]
    for kind, name in [("customer", "Customer"), ("vendor", "Vendor"), ("inventory_item", "InventoryItem"),
                       ("invoice", "Invoice"), ("payment", "Payment"), ("parts_purchase", "PartsPurchase"),
                       ("sublet_detail", "SubletDetail"), ("parts_return", "PartsReturn")]:
        assert name in schemas
        post_op = doc["paths"][f"/{kind}"]["post"]
        body_schema = post_op["requestBody"]["content"]["application/json"]["schema"]
        items = body_schema["properties"]["records"]["items"]
        assert items == {"$ref": f"#/components/schemas/{name}"}
        assert set(post_op["responses"]) >= {"200", "400", "401", "413", "415", "422"}
    invoice_props = schemas["Invoice"]["properties"]
    assert invoice_props["total"]["type"] == "string" and invoice_props["total"]["format"] == "decimal"
    assert invoice_props["status"]["enum"] == ["open", "closed", "voided"]
    assert invoice_props["number"]["maxLength"] == 30
    assert "all-or-nothing" in doc["info"]["description"]
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_every_openapi_reference_resolves(client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").json
    refs: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            refs.extend(v for k, v in node.items() if k == "$ref")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)
    assert len(refs) > 20
    for ref in refs:
        section, name = ref.removeprefix("#/components/").split("/")
        assert name in doc["components"][section], ref


class BlueprintPlugins:
    """One plugin whose blueprint takes the API's name (refused), one that works."""

    @hookimpl
    def ledgerhub_blueprints(self, services: Any) -> list[Blueprint]:
        clash = Blueprint("api", __name__, url_prefix="/plugins/clash")
        ok = Blueprint("ledger_log", __name__, url_prefix="/plugins/ledger_log")

        @ok.get("/ping")
        def ping() -> str:
            return "pong" if services is not None else "no services"

        return [clash, ok]


def test_plugin_blueprints_are_added_and_a_clash_is_reported(hub_config: Any, clock: Any) -> None:
    host = build_plugin_manager(load_entrypoints=False, extra_plugins=[("bp", BlueprintPlugins())])
    plugin_hub = Hub(hub_config, host=host, clock=clock)
    try:
        client = create_app(plugin_hub, {"TESTING": True}).test_client()
        assert client.get("/plugins/ledger_log/ping").get_data(as_text=True) == "pong"
        assert "blueprint 'api' could not be registered" in (host.plugins["bp"].error or "")
        assert client.get("/api/v1/openapi.json").status_code == 200
    finally:
        plugin_hub.close()


@pytest.mark.parametrize("body", [b"[" * 100_000 + b"]" * 100_000, b'{"records": [' + b"9" * 5000 + b"]}"])
def test_pathological_json_is_400_not_500(app: Flask, auth: dict[str, str], body: bytes) -> None:
    app.config["MAX_CONTENT_LENGTH"] = None
    response = app.test_client().post("/api/v1/customer", data=body, content_type="application/json",
                                      headers=auth)
    assert response.status_code == 400 and response.json["error"] == "bad_json"


@pytest.mark.parametrize("total", ["NaN", "Infinity", 1e400, "1e13", True, [], {"v": 1}])
def test_non_finite_or_non_numeric_money_is_422(client: FlaskClient, auth: dict[str, str],
                                                total: Any) -> None:
    post(client, "customer", [customer(1)], auth)
    response = post(client, "invoice", [invoice(1, total=total)], auth)
    assert response.status_code == 422
    assert [e["field"] for e in response.json["errors"]] == ["total"]


def test_root_leads_to_sign_in_and_json_keeps_schema_order(client: FlaskClient, auth: dict[str, str]) -> None:
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/sign-in")
    post(client, "customer", [customer(1)], auth)
    body = client.get("/api/v1/customer/C1", headers=auth).get_data(as_text=True)
    assert body.index('"kind"') < body.index('"id"') < body.index('"version"')
