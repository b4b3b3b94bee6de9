"""A simulated Web Connector: the call sequence QBWC makes, run in-process against
:class:`~ledgerhub_accounting_link.service.WebConnectorService` with a fake QuickBooks behind it.

It lets a developer (``ledgerhub accounting-link simulate``) or a demo watch Accounting Link
deliver without a Windows PC. It is not used in production.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from ledgerhub_accounting_link.fake_quickbooks import FakeQuickBooks
from ledgerhub_accounting_link.service import WebConnectorService

CLIENT_VERSION = "2.3.0.36"
MAX_DOCUMENTS = 100_000


@dataclass
class SimulatedRun:
    """What one simulated run saw."""

    auth: str
    documents: int = 0
    percents: list[int] = field(default_factory=list)
    last_error: str = ""
    closed: str = ""


def run_web_connector(service: WebConnectorService, books: FakeQuickBooks, username: str,
                      password: str, stop: threading.Event | None = None,
                      on_login: Callable[[str], None] | None = None) -> SimulatedRun:
    """One scheduled run: authenticate, then request/answer until done (or until *stop* is
    set: the run then closes early and the hub takes its work back), then close. *on_login* is
    called with the login's answer ("" = work to do, "none", "nvu")."""
    service.server_version()
    service.client_version(CLIENT_VERSION)
    ticket, answer = service.authenticate(username, password)[:2]
    run = SimulatedRun(auth=answer)
    if on_login is not None:
        on_login(answer)
    if answer in ("nvu", "none"):
        return run
    while run.documents < MAX_DOCUMENTS and not (stop is not None and stop.is_set()):
        document = service.send_request_xml(ticket, 13, 0)
        if not document:
            run.last_error = service.get_last_error(ticket)
            break
        run.documents += 1
        percent = service.receive_response_xml(ticket, books.process(document), "", "")
        run.percents.append(percent)
        if percent < 0:
            run.last_error = service.get_last_error(ticket)
            break
        if percent >= 100:
            break
    run.closed = service.close_connection(ticket)
    return run
