"""A sync worker process for the crash test.

``python -m tests.fakes.worker DATABASE_URL SECRET_KEY INSTANCE_DIR`` runs :meth:`Hub.sync` with
the ledger target until no delivery is left open, then exits 0. The test SIGKILLs it mid-way.
"""

from __future__ import annotations

import sys
import time

from sqlalchemy import func, select

from hub.config import HubConfig
from hub.plugin.manager import build_plugin_manager
from hub.storage.models import DeliveryRow
from hub.storage.outbox import OPEN_STATUSES
from hub.sync.runtime import Hub
from tests.fakes.targets import FakePlugin, LedgerTarget

LEASE_SECONDS = 1.0


def open_deliveries(hub: Hub) -> int:
    """How many deliveries have not reached an end."""
    with hub.session_factory() as session:
        return session.scalar(select(func.count()).where(DeliveryRow.status.in_(OPEN_STATUSES))) or 0


def main(argv: list[str]) -> int:
    """Sync until done."""
    database_url, secret_key, instance = argv
    config = HubConfig.from_env(
        {},
        database_url=database_url,
        secret_key=secret_key,
        instance_path=instance,
        lease_seconds=LEASE_SECONDS,
        retry_base_seconds=0.1,
    )
    host = build_plugin_manager(
        load_entrypoints=False, extra_plugins=[("ledger", FakePlugin([LedgerTarget()]))]
    )
    hub = Hub(config, host=host)
    while open_deliveries(hub):
        hub.sync()
        time.sleep(0.05)  # a crashed worker's lease has to run out first
    hub.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
