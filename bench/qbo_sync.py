"""QuickBooks Online sync benchmark: a shop's history through the hub, python-quickbooks and
intuit-oauth into the local QBO sandbox, in both start modes.

    .venv/bin/python bench/qbo_sync.py                          # 200 repair orders, real QBO limits
    .venv/bin/python bench/qbo_sync.py --repair-orders 1000 --time-scale 10

``--time-scale`` speeds the sandbox's clock (its throttle windows and token lifetimes) and the
plugin's rate limiter alike; 1 means QBO's real limits (500 requests/min, 40 batches/min per
realm). Reported per mode: wall time, deliveries per second, requests and batch calls sent,
requests QBO throttled (429; the limiter should keep this at 0), invoices whose total differs
in QBO, and duplicates (invoices sharing a DocNumber; must be 0).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import ledgerhub_qbo
from cryptography.fernet import Fernet
from ledgerhub_qbo.demo import follow_authorization
from ledgerhub_qbo.limiter import TIME_SCALE_ENV

from hub.config import HubConfig
from hub.domain.generator import generate_history
from hub.domain.kinds import EntityKind
from hub.domain.records import Shop, TaxCategory, TaxSettings
from hub.plugin.manager import build_plugin_manager
from hub.sync.runtime import Hub

KINDS = {EntityKind.CUSTOMER, EntityKind.INVOICE, EntityKind.PAYMENT}


def _shop() -> Shop:
    return Shop(id="bench-shop", name="Bench Garage", country="US", region="TX",
                tax=TaxSettings(rate=Decimal("0.0825"),
                                taxable=frozenset({TaxCategory.PARTS, TaxCategory.SHOP_SUPPLIES})))


def run(mode: str, repair_orders: int, time_scale: float, workdir: Path) -> dict[str, object]:
    """Sync *repair_orders* in *mode* ("history" or "forward"); returns the figures."""
    from ledgerhub_qbo_sandbox import SandboxServer

    os.environ[TIME_SCALE_ENV] = str(time_scale)
    shop = _shop()
    records = [r for r in generate_history(7, shop, repair_orders) if r.kind in KINDS]
    config = HubConfig.from_env({}, database_url=f"sqlite:///{workdir / mode}.sqlite3",
                                instance_path=workdir / mode, secret_key=Fernet.generate_key().decode())
    host = build_plugin_manager(load_entrypoints=False, extra_plugins=[("qbo", ledgerhub_qbo)])
    with SandboxServer(port=0, time_scale=time_scale, auto_approve=True, tax_rate=shop.tax.rate) as sandbox:
        hub = Hub(config, host=host)
        try:
            hub.create_shop(shop)
            if mode == "history":
                hub.ingest(shop.id, records)
            settings = {"api_base_url": sandbox.base_url, "discovery_url": sandbox.discovery_url,
                        "client_id": sandbox.client_credentials.client_id,
                        "client_secret": sandbox.client_credentials.client_secret}
            cid = hub.connect(shop.id, "qbo", settings, mode)
            hub.complete_authorization(cid, follow_authorization(
                hub.begin_authorization(cid, "http://127.0.0.1/callback")))
            realm = sandbox.default_realm_id
            connect_requests = len(sandbox.request_log(realm))
            started = time.perf_counter()
            if mode == "forward":
                for start in range(0, len(records), 25):  # the shop closes ROs as the day goes on
                    hub.ingest(shop.id, records[start:start + 25])
                    hub.sync(cid)
            report = hub.sync(cid)
            elapsed = time.perf_counter() - started
            log = sandbox.request_log(realm)[connect_requests:]
            invoices = sandbox.objects(realm, "Invoice")
            numbers = Counter(i["DocNumber"] for i in invoices)
            warnings = sum(
                1 for r in records if r.kind is EntityKind.INVOICE
                for d in hub.delivery_history(shop.id, "invoice", r.id)[-1:] if d.warnings)
            delivered = sum(1 for r in records for d in hub.delivery_history(shop.id, str(r.kind), r.id)[-1:]
                            if d.status == "delivered")
            return {
                "mode": mode, "records": len(records), "delivered": delivered,
                "seconds": round(elapsed, 2), "per_second": round(delivered / elapsed, 1) if elapsed else 0,
                "requests": len(log), "batch_calls": sum(1 for e in log if e.get("operation") == "batch"),
                "throttled": sandbox.throttle_counters(realm)["throttled_total"],
                "total_mismatches": warnings, "duplicates": sum(n - 1 for n in numbers.values() if n > 1),
                "needs_attention": report.needs_attention,
            }
        finally:
            hub.close()


def main() -> None:
    """Parse arguments, run both modes, print one line per mode."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repair-orders", type=int, default=200)
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--modes", default="history,forward")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for mode in args.modes.split(","):
            figures = run(mode, args.repair_orders, args.time_scale, Path(tmp))
            print("  ".join(f"{k}={v}" for k, v in figures.items()), flush=True)
    print(f"(local QBO sandbox, time scale {args.time_scale}; plugin limiter matched to it)")


if __name__ == "__main__":
    main()
