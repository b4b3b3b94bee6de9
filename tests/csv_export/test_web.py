"""The CSV export's buttons in the settings UI: "Export now" and "Download as ZIP", guarded by
the UI (signed-in user of the shop, CSRF on the POST), and the ``LEDGERHUB_CSV_ROOT`` rule."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ledgerhub_csv_export
import pytest
from flask import Flask
from flask.testing import FlaskClient
from ledgerhub_csv_export import archive
from ledgerhub_csv_export.settings import CSV_ROOT_ENV

from hub import ConfigurationError, Shop
from hub.domain.generator import generate_history
from hub.plugin.manager import build_plugin_manager
from hub.sync.runtime import Hub
from hub.web import create_app

OWNER = "owner@mainstreet.test"
OTHER = "owner@elsewhere.test"
PASSWORD = "correct horse battery"
SHOP = Shop(id="shop-1", name="Main Street Auto")
OTHER_SHOP = Shop(id="shop-2", name="Elsewhere Garage")


@pytest.fixture(autouse=True)
def _no_csv_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CSV_ROOT_ENV, raising=False)


@pytest.fixture
def csv_hub(hub_config: Any, clock: Any) -> Iterator[Hub]:
    """A Hub with only the CSV export plugin, two shops with one user each."""
    host = build_plugin_manager(load_entrypoints=False, extra_plugins=[("csv_export", ledgerhub_csv_export)])
    instance = Hub(hub_config, host=host, clock=clock)
    for shop, user in ((SHOP, OWNER), (OTHER_SHOP, OTHER)):
        instance.create_shop(shop)
        instance.create_user(shop.id, user, PASSWORD)
    yield instance
    instance.close()


@pytest.fixture
def app(csv_hub: Hub) -> Flask:
    return create_app(csv_hub, {"TESTING": True})


@pytest.fixture
def records(csv_hub: Hub) -> list[Any]:
    history = list(generate_history(11, SHOP, 6))
    csv_hub.ingest(SHOP.id, history)
    return history


@pytest.fixture
def connection_id(csv_hub: Hub, tmp_path: Path) -> int:
    return csv_hub.connect(SHOP.id, "csv_export", {"output_folder": str(tmp_path / "books")},
                           start_mode="history")


def signed_in(app: Flask, email: str, shop_id: str) -> FlaskClient:
    client = app.test_client()
    with client.session_transaction() as session:
        session["ledgerhub_user"] = {"email": email, "shop_id": shop_id, "operator": False}
    return client


def overview(shop_id: str) -> str:
    return f"/shops/{shop_id}/settings/accounting/"


def csrf_token(client: FlaskClient, shop_id: str) -> str:
    html = client.get(overview(shop_id)).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


def urls(connection_id: int, shop_id: str = SHOP.id) -> tuple[str, str]:
    base = f"/plugins/csv_export/shops/{shop_id}/connections/{connection_id}"
    return f"{base}/export-now", f"{base}/export.zip"


def folder_files(folder: Path) -> dict[str, bytes]:
    """Every file of an export folder a bookkeeper needs (not the .ledgerhub internals)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")
            if p.is_file() and ".ledgerhub" not in p.parts}


def test_card_offers_export_now_and_zip(app: Flask, connection_id: int) -> None:
    html = signed_in(app, OWNER, SHOP.id).get(overview(SHOP.id)).get_data(as_text=True)
    export_now, download = urls(connection_id)
    assert export_now in html and "Export now" in html
    assert download in html and "Download as ZIP" in html
    assert "Send now" not in html  # the target's own POST action replaces the generic button


def test_export_now_writes_the_pending_rows(app: Flask, csv_hub: Hub, records: list[Any],
                                            connection_id: int, tmp_path: Path, kit: Any) -> None:
    client = signed_in(app, OWNER, SHOP.id)
    assert csv_hub.delivery_counts(connection_id).get("delivered", 0) == 0
    answer = client.post(urls(connection_id)[0], data={"csrf_token": csrf_token(client, SHOP.id)})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(overview(SHOP.id))
    counts = csv_hub.delivery_counts(connection_id)
    delivered = counts.get("delivered", 0)
    assert delivered > len(records) // 2 and not counts.get("pending") and not counts.get("needs_attention")
    rebuilt = kit.rebuild(tmp_path / "books")
    assert len(rebuilt) == delivered
    for record in records:
        if (record.kind.value, record.id, 1) in rebuilt:
            assert rebuilt[(record.kind.value, record.id, 1)] == record
    assert len(kit.summaries(tmp_path / "books")) == 1
    page = client.get(overview(SHOP.id)).get_data(as_text=True)
    assert f"Exported {delivered} record(s)" in page
    # Nothing is left, so a second click writes nothing twice.
    client.post(urls(connection_id)[0], data={"csrf_token": csrf_token(client, SHOP.id)})
    assert len(kit.rebuild(tmp_path / "books")) == delivered


def test_export_now_needs_the_csrf_token(app: Flask, csv_hub: Hub, records: list[Any],
                                         connection_id: int) -> None:
    answer = signed_in(app, OWNER, SHOP.id).post(urls(connection_id)[0])
    assert answer.status_code == 400
    assert csv_hub.delivery_counts(connection_id).get("delivered", 0) == 0


def test_zip_holds_the_folders_files(app: Flask, csv_hub: Hub, records: list[Any], connection_id: int,
                                     tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    csv_hub.sync(connection_id)
    monkeypatch.setattr(archive, "CHUNK", 512)
    answer = signed_in(app, OWNER, SHOP.id).get(urls(connection_id)[1], buffered=False)
    assert answer.status_code == 200 and answer.is_streamed
    assert answer.headers["Content-Type"] == "application/zip"
    assert answer.headers["Content-Disposition"] == f'attachment; filename="csv-export-{connection_id}.zip"'
    chunks = list(answer.response)
    answer.close()
    expected = folder_files(tmp_path / "books")
    assert len(chunks) > len(expected)  # streamed piece by piece, not built in memory first
    with zipfile.ZipFile(io.BytesIO(b"".join(chunks))) as zipped:
        assert zipped.testzip() is None
        contents = {name: zipped.read(name) for name in zipped.namelist()}
    assert "invoice.csv" in expected and any(name.startswith("runs/") for name in expected)
    assert contents == expected


def test_zip_and_export_now_are_refused_to_another_shops_user(app: Flask, csv_hub: Hub, records: list[Any],
                                                              connection_id: int) -> None:
    export_now, download = urls(connection_id)
    intruder = signed_in(app, OTHER, OTHER_SHOP.id)
    assert intruder.get(download).status_code == 403
    token = csrf_token(intruder, OTHER_SHOP.id)
    assert intruder.post(export_now, data={"csrf_token": token}).status_code == 403
    # Their own shop in the URL with this shop's connection: not theirs either.
    own_export_now, own_download = urls(connection_id, OTHER_SHOP.id)
    assert intruder.get(own_download).status_code == 404
    assert intruder.post(own_export_now, data={"csrf_token": token}).status_code == 404
    assert csv_hub.delivery_counts(connection_id).get("delivered", 0) == 0


def test_signed_out_visitors_are_sent_to_sign_in(app: Flask, csv_hub: Hub, records: list[Any],
                                                 connection_id: int) -> None:
    export_now, download = urls(connection_id)
    client = app.test_client()
    for answer in (client.get(download), client.post(export_now)):
        assert answer.status_code == 302 and "/sign-in" in answer.headers["Location"]
    assert csv_hub.delivery_counts(connection_id).get("delivered", 0) == 0


def test_zip_before_any_export_is_404(app: Flask, csv_hub: Hub, tmp_path: Path) -> None:
    cid = csv_hub.connect(SHOP.id, "csv_export", {"output_folder": str(tmp_path / "fresh")})
    (tmp_path / "fresh" / ".ledgerhub").rename(tmp_path / "moved")
    assert signed_in(app, OWNER, SHOP.id).get(urls(cid)[1]).status_code == 404


def test_output_folder_must_lie_inside_the_csv_root(csv_hub: Hub, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "exports"
    (root / "shops").mkdir(parents=True)
    outside = tmp_path / "secret"
    outside.mkdir()
    (root / "link").symlink_to(outside)
    monkeypatch.setenv(CSV_ROOT_ENV, str(root))
    for bad in (outside / "books", root / ".." / "secret" / "books", root / "link" / "books", Path("/etc")):
        with pytest.raises(ConfigurationError) as caught:
            csv_hub.connect(SHOP.id, "csv_export", {"output_folder": str(bad)})
        [message] = caught.value.errors["output_folder"]
        assert f"must lie inside {root.resolve()} ({CSV_ROOT_ENV})" in message
    assert not (outside / "books").exists()
    cid = csv_hub.connect(SHOP.id, "csv_export", {"output_folder": str(root / "shops" / "main")})
    assert (root / "shops" / "main" / ".ledgerhub").is_dir() and cid


def test_zip_refuses_a_folder_outside_a_root_set_later(app: Flask, csv_hub: Hub, records: list[Any],
                                                      connection_id: int, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    csv_hub.sync(connection_id)
    monkeypatch.setenv(CSV_ROOT_ENV, str(tmp_path / "exports"))
    answer = signed_in(app, OWNER, SHOP.id).get(urls(connection_id)[1])
    assert answer.status_code == 409
    assert b"must lie inside" in answer.data


def test_export_now_says_why_when_the_folder_cannot_be_used(app: Flask, csv_hub: Hub, records: list[Any],
                                                            connection_id: int, tmp_path: Path) -> None:
    meta = tmp_path / "books" / ".ledgerhub" / "folder.json"
    meta.write_text(meta.read_text().replace('"shop-1"', '"shop-9"'))
    client = signed_in(app, OWNER, SHOP.id)
    answer = client.post(urls(connection_id)[0], data={"csrf_token": csrf_token(client, SHOP.id)},
                         follow_redirects=True)
    assert answer.status_code == 200
    assert "Could not export" in answer.get_data(as_text=True)
    assert "holds the export of shop" in answer.get_data(as_text=True)
    assert csv_hub.delivery_counts(connection_id).get("delivered", 0) == 0


def test_csv_root_from_the_hub_configuration(hub_config: Any, clock: Any, tmp_path: Path) -> None:
    from dataclasses import replace

    from ledgerhub_csv_export.settings import CsvExportSettings

    root = tmp_path / "exports"
    host = build_plugin_manager(load_entrypoints=False, extra_plugins=[("csv_export", ledgerhub_csv_export)])
    configured = Hub(replace(hub_config, extra={"csv_root": str(root)}), host=host, clock=clock)
    try:
        with pytest.raises(ConfigurationError) as caught:
            CsvExportSettings.load({"output_folder": str(tmp_path / "elsewhere")})
        assert "output_folder" in caught.value.errors
        inside = CsvExportSettings.load({"output_folder": str(root / "shop-1")})
        assert inside.output_folder == root / "shop-1"
    finally:
        configured.close()
    Hub(hub_config, host=host, clock=clock).close()  # configured without the key: no root any more
    assert CsvExportSettings.load({"output_folder": str(tmp_path / "elsewhere")})
