"""The demo connection: a simulated Web Connector and a fake QuickBooks in a background thread.

``ledgerhub demo`` has no Windows PC, so the plugin plays the remote side itself: once the demo
has connected, :class:`DemoWebConnector` runs scheduled Web Connector sessions
(:func:`~ledgerhub_accounting_link.simulator.run_web_connector`) in-process through
``HubServices`` (the same :class:`WebConnectorService` the ``/qbwc`` endpoint uses, no HTTP),
against one in-memory :class:`FakeQuickBooks` company file, until the demo's teardown.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections import deque
from pathlib import Path

from hub.demo_types import DemoConnection
from hub.domain.records import Shop
from hub.plugin.target import HubServices
from ledgerhub_accounting_link.fake_quickbooks import FakeQuickBooks
from ledgerhub_accounting_link.service import TARGET_NAME, WebConnectorService, username_for
from ledgerhub_accounting_link.simulator import SimulatedRun, run_web_connector

log = logging.getLogger("ledgerhub.plugin.accounting_link")
#: Pause after a run that found nothing to do, doubled while the queue stays empty up to
#: IDLE_POLL_SECONDS. A real Web Connector polls every few minutes; the demo wants new work
#: picked up at once, but each login costs a key check (scrypt), so an idle demo polls slowly.
POLL_SECONDS = 0.2
IDLE_POLL_SECONDS = 3.0
STOP_TIMEOUT_SECONDS = 30.0
FIRST_LOGIN_TIMEOUT_SECONDS = 30.0


class DemoWebConnector:
    """A simulated Web Connector polling one connection until :meth:`stop`."""

    def __init__(self, services: HubServices, shop: Shop, api_key: str,
                 poll_seconds: float = POLL_SECONDS) -> None:
        self.service = WebConnectorService(services)
        self.books = FakeQuickBooks(sales_tax_rate=shop.tax.rate)
        self.api_key = api_key
        self.poll_seconds = poll_seconds
        self.runs: deque[SimulatedRun] = deque(maxlen=100)  # the latest, for a look in a debugger
        self._stop = threading.Event()
        self._logged_in = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, connection_id: int) -> None:
        """Start polling *connection_id* in a daemon thread (the demo calls this after
        connecting); return once the first login has claimed work, so the demo, which waits
        while deliveries are pending, never looks before the client has started."""
        if self._thread is not None:
            raise RuntimeError("the demo Web Connector is already running")
        self._thread = threading.Thread(
            target=self._poll, args=(username_for(connection_id),),
            name=f"ledgerhub-demo-web-connector-{connection_id}", daemon=True,
        )
        self._thread.start()
        if not self._logged_in.wait(FIRST_LOGIN_TIMEOUT_SECONDS):
            log.warning("demo Web Connector: no login within %s s", FIRST_LOGIN_TIMEOUT_SECONDS)

    def stop(self) -> None:
        """Stop polling; a run in progress ends after its current document and closes (the hub
        takes back what was not answered)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=STOP_TIMEOUT_SECONDS)

    def _poll(self, username: str) -> None:
        pause = self.poll_seconds
        while not self._stop.is_set():
            try:
                run = run_web_connector(self.service, self.books, username, self.api_key, self._stop,
                                        on_login=lambda _answer: self._logged_in.set())
            except Exception:  # noqa: BLE001 - a failed run is retried, as the real client does
                log.exception("demo Web Connector run failed")
                self._logged_in.set()  # do not keep the demo waiting for a login that failed
                self._stop.wait(pause)
                continue
            self.runs.append(run)
            if run.auth == "nvu":
                self._logged_in.set()
                log.error("demo Web Connector login refused; stopping")
                return
            if run.auth == "none" or run.last_error:
                self._stop.wait(pause)
                pause = min(pause * 2, max(self.poll_seconds, IDLE_POLL_SECONDS))
            else:
                pause = self.poll_seconds


def demo_connection(shop: Shop, workdir: Path, services: HubServices | None) -> DemoConnection | None:
    """Accounting Link for the demo shop's first location, fetched by a simulated Web
    Connector. ``None`` when the shop has no location or no services were given."""
    del workdir  # the fake company file lives in memory for the length of the demo
    if services is None or not shop.locations:
        return None
    api_key = secrets.token_urlsafe(18)
    client = DemoWebConnector(services, shop, api_key)
    return DemoConnection(
        target_name=TARGET_NAME,
        settings={"api_key": api_key, "location": shop.locations[0].id},
        start_client=client.start,
        teardown=client.stop,
    )
