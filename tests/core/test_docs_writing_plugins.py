"""docs/writing_plugins.md is honest: its example plugin, built from the page's own code
blocks, loads, delivers only its declared kinds, and its example test passes."""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.domain.generator import generate_history
from hub.domain.records import Invoice, InvoiceStatus, Shop
from hub.plugin.manager import build_plugin_manager

DOC = Path(__file__).resolve().parents[2] / "docs" / "writing_plugins.md"
BLOCK = re.compile(r"```python\n# (?P<path>[\w/.]+)\n(?P<code>.*?)```", re.DOTALL)


@pytest.fixture
def example_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Write every ``# path`` code block of the page to *tmp_path* and put it on sys.path."""
    files = {m["path"]: m["code"] for m in BLOCK.finditer(DOC.read_text())}
    for path, code in files.items():
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(code)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield files
    for name in [m for m in sys.modules if m.startswith("ledgerhub_ledger_log")]:
        del sys.modules[name]


def test_the_page_has_the_plugin_and_its_test(example_package: dict[str, str]) -> None:
    assert set(example_package) == {
        "ledgerhub_ledger_log/target.py", "ledgerhub_ledger_log/__init__.py", "tests/test_ledger_log.py"}
    assert "ledger_log = ledgerhub_ledger_log" in DOC.read_text()


def test_the_example_test_passes(example_package: dict[str, str], tmp_path: Path) -> None:
    namespace: dict[str, object] = {}
    exec(compile(example_package["tests/test_ledger_log.py"], "test_ledger_log.py", "exec"), namespace)
    namespace["test_invoices_reach_the_ledger"](tmp_path / "run")  # type: ignore[operator]


def test_the_example_target_delivers_invoices_and_payments_once(example_package: dict[str, str],
                                                                tmp_path: Path) -> None:
    from hub.config import HubConfig
    from hub.sync.runtime import Hub

    plugin = importlib.import_module("ledgerhub_ledger_log")
    host = build_plugin_manager(load_entrypoints=False, extra_plugins=[("ledger_log", plugin)])
    hub = Hub(HubConfig.from_env({}, instance_path=tmp_path / "instance"), host=host)
    try:
        shop = Shop(id="s1", name="Test Garage")
        hub.create_shop(shop)
        ledger = tmp_path / "ledger.log"
        hub.connect("s1", "ledger_log", {"path": str(ledger)})
        records = list(generate_history(5, shop, 20))
        hub.ingest("s1", records)
        hub.sync()
        lines = ledger.read_text().splitlines()
        # A repair order voided before it ever reached the books is not sent at all.
        expected = [r for r in records if r.kind.value in ("invoice", "payment")
                    and not (isinstance(r, Invoice) and r.status is InvoiceStatus.VOIDED)]
        assert sorted(lines) == sorted(f"create {r.kind.value} {r.id}" for r in expected)
        assert any(isinstance(r, Invoice) for r in expected)
    finally:
        hub.close()
