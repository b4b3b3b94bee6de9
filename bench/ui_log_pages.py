"""How long the sync-log pages take on a big log.

Fills the delivery log with N attempts (default one million) for one shop and plugin, then
times each page the support engineer opens: the first page, a deep keyset page, each filter,
one record's history and a CSV export of a filtered log. Run::

    .venv/bin/python bench/ui_log_pages.py [--rows 1000000] [--database-url postgresql+psycopg://127.0.0.1/test]

Without ``--database-url`` a SQLite file in a temporary folder is used. With a PostgreSQL URL
a scratch database (``ui_log_bench_<pid>``) is created next to the named one and dropped at
the end; the named database is never touched.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import create_engine, make_url, text
from werkzeug.security import generate_password_hash

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hub.config import HubConfig  # noqa: E402
from hub.domain.records import Shop  # noqa: E402
from hub.plugin.manager import build_plugin_manager  # noqa: E402
from hub.sync.runtime import Hub  # noqa: E402
from hub.web import create_app  # noqa: E402
from tests.fakes.targets import FakeBooks, FakePlugin  # noqa: E402
from tests.web.log_rows import fill_log  # noqa: E402

EMAIL, PASSWORD = "bench@shop.test", "bench password 1"
PAGES = [
    ("first page", "/shops/bench/logs/fake"),
    ("deep page (keyset)", "/shops/bench/logs/fake?before={deep}"),
    ("status = needs attention", "/shops/bench/logs/fake?status=needs_attention"),
    ("status, deep", "/shops/bench/logs/fake?status=needs_attention&before={deep}"),
    ("one record id", "/shops/bench/logs/fake?record=R-{deep}"),
    ("kind + record id", "/shops/bench/logs/fake?kind=invoice&record=R-{deep_invoice}"),
    ("kind only", "/shops/bench/logs/fake?kind=payment"),
    ("one day", "/shops/bench/logs/fake?from=2026-01-05&to=2026-01-05"),
    ("record history", "/shops/bench/logs/fake/records/invoice/R-{deep_invoice}"),
    ("CSV, one day (86,400 rows max)", "/shops/bench/logs/fake/export.csv?from=2026-01-05&to=2026-01-05"),
]


@contextmanager
def scratch_database(database_url: str | None, workdir: Path) -> Iterator[str]:
    """A SQLite file in *workdir*, or a new PostgreSQL database dropped afterwards."""
    if not database_url:
        yield f"sqlite:///{workdir / 'bench.sqlite3'}"
        return
    url = make_url(database_url)
    name = f"ui_log_bench_{os.getpid()}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def build_hub(url: str, workdir: Path) -> Hub:
    """A hub with only the fake target on the database at *url*."""
    config = HubConfig.from_env({}, database_url=url, instance_path=workdir / "instance",
                                secret_key=Fernet.generate_key().decode())
    host = build_plugin_manager(load_entrypoints=False, extra_plugins=[("fake", FakePlugin([FakeBooks()]))])
    return Hub(config, host=host)


def main() -> None:
    """Fill, then time every page a few times and print the best and worst."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, scratch_database(args.database_url, Path(tmp)) as url:
        hub = build_hub(url, Path(tmp))
        hub.create_shop(Shop(id="bench", name="Bench Garage"))
        hub.create_user("bench", EMAIL, PASSWORD)
        began = time.perf_counter()
        fill_log(hub.engine, args.rows, shop_id="bench", plugin="fake")
        print(f"filled {args.rows:,} log rows in {time.perf_counter() - began:.1f} s "
              f"({hub.engine.dialect.name})")
        app = create_app(hub, {"TESTING": True, "LEDGERHUB_OPERATORS": {"x@y": generate_password_hash("x")}})
        client = app.test_client()
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/sign-in").get_data(as_text=True))
        assert token is not None
        client.post("/sign-in", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token.group(1)})
        deep = args.rows // 10 * 4 + 1  # shop rows are the ones with i % 4 != 0
        values = {"deep": deep, "deep_invoice": deep if deep % 4 == 1 else deep + (1 - deep % 4) % 4}
        print(f"{'page':34} {'best ms':>9} {'worst ms':>9} {'bytes':>10}")
        for label, template in PAGES:
            url = template.format(**values)
            times, size = [], 0
            for _ in range(args.repeat):
                start = time.perf_counter()
                response = client.get(url)
                size = len(response.get_data())
                times.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, (url, response.status_code)
            print(f"{label:34} {min(times):9.1f} {max(times):9.1f} {size:10,}")
        hub.close()


if __name__ == "__main__":
    main()
