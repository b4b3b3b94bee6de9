"""SIGKILL a worker process mid-sync, restart it, and check nothing was lost or duplicated."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from hub import Shop
from hub.config import HubConfig
from hub.plugin.manager import build_plugin_manager
from hub.storage.models import DeliveryRow
from hub.sync.runtime import Hub
from tests.fakes.records import customer, invoice, payment
from tests.fakes.targets import FakePlugin, LedgerTarget, read_ledger

ROOT = Path(__file__).resolve().parents[2]
CUSTOMERS = 20  # x3 records each: 60 deliveries


def start_worker(config: HubConfig) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fakes.worker",
            config.database_url,
            config.secret_key,
            str(config.instance_path),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def ledger_rows(path: Path) -> int:
    try:
        return len(read_ledger(str(path)))
    except Exception:  # the table does not exist yet
        return 0


def kill_after(worker: subprocess.Popen[bytes], ledger: Path, rows: int, timeout: float = 60) -> bool:
    """SIGKILL *worker* once the ledger holds *rows* rows; False if it had already finished."""
    deadline = time.monotonic() + timeout
    while ledger_rows(ledger) < rows:
        if worker.poll() is not None:
            raise AssertionError(f"worker ended early: {worker.stderr.read().decode()[-2000:]}")
        if time.monotonic() > deadline:
            worker.kill()
            raise AssertionError("worker made no progress")
        time.sleep(0.01)
    if worker.poll() is not None:  # a starved test process may look too late; that is no kill
        return False
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)
    return worker.returncode == -signal.SIGKILL


@pytest.mark.slow
def test_sigkill_mid_sync_loses_nothing_and_duplicates_nothing(hub_config: HubConfig, tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite3"
    hub = Hub(
        hub_config,
        host=build_plugin_manager(
            load_entrypoints=False, extra_plugins=[("ledger", FakePlugin([LedgerTarget()]))]
        ),
    )
    try:
        # The worker processes run on the real clock, with a 1 s lease (tests/fakes/worker.py).
        shop_id = "crash-shop"
        hub.create_shop(Shop(id=shop_id, name="Crash Test Garage"))
        hub.connect(shop_id, "ledger", {"path": str(ledger), "delay": 0.02}, start_mode="history")
        records = []
        for i in range(CUSTOMERS):
            records += [customer(f"C-{i}"), invoice(f"RO-{i}", f"C-{i}"), payment(f"P-{i}", f"RO-{i}")]
        hub.ingest(shop_id, records)

        kills = sum(kill_after(start_worker(hub_config), ledger, threshold) for threshold in (8, 30))
        assert kills >= 1
        last = start_worker(hub_config)
        out, err = last.communicate(timeout=120)
        assert last.returncode == 0, err.decode()[-2000:]

        with hub.session_factory() as session:
            rows = list(session.scalars(select(DeliveryRow)))
        assert len(rows) == 3 * CUSTOMERS
        assert {r.status for r in rows} == {"delivered"}
        received = read_ledger(str(ledger))
        assert sorted(r[0] for r in received) == sorted(r.idempotency_key for r in rows)
        # In the target's terms every record exists once; at most the delivery in flight at each
        # kill was handed over twice (and deduplicated by its key).
        assert sorted((r[1], r[2]) for r in received) == sorted((rec.kind.value, rec.id) for rec in records)
        assert sum(r[4] for r in received) - len(received) <= kills
        # Dependency order held across the restarts: no payment before its invoice.
        position = {(r[1], r[2]): n for n, r in enumerate(received)}
        for i in range(CUSTOMERS):
            assert (
                position[("customer", f"C-{i}")]
                < position[("invoice", f"RO-{i}")]
                < position[("payment", f"P-{i}")]
            )
    finally:
        hub.close()
