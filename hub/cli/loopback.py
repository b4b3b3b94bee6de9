"""A one-shot HTTP server on 127.0.0.1 that receives an OAuth redirect for ``ledgerhub connect``."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import TracebackType
from urllib.parse import parse_qsl, urlparse

CALLBACK_PATH = "/callback"

#: Fixed so ``http://127.0.0.1:8976/callback`` can be registered with the Intuit app in advance.
DEFAULT_CALLBACK_PORT = 8976


def loopback_redirect_uri(port: int) -> str:
    """``http://127.0.0.1:<port>/callback``: what ``ledgerhub connect`` asks the answer to go to."""
    return f"http://127.0.0.1:{port}{CALLBACK_PATH}"

_PAGE = (
    b"<!doctype html><meta charset=utf-8><title>LedgerHub</title>"
    b"<p>LedgerHub received the answer. You can close this window and return to the terminal."
)


class LoopbackRedirect:
    """Listen on loopback *port* (0: a free one); :attr:`redirect_uri` goes into the authorization
    URL and :meth:`wait` returns the query parameters of the first request to it. A busy port
    raises :class:`OSError`."""

    def __init__(self, port: int = 0) -> None:
        self._params: dict[str, str] | None = None
        self._received = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                url = urlparse(self.path)
                if url.path != CALLBACK_PATH:
                    self.send_error(404)
                    return
                receiver._params = dict(parse_qsl(url.query, keep_blank_values=True))
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(_PAGE)
                receiver._received.set()

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                """The callback carries a one-time code: keep it out of the terminal."""

        self._server = HTTPServer(("127.0.0.1", port), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="ledgerhub-oauth-callback", daemon=True
        )

    @property
    def redirect_uri(self) -> str:
        """``http://127.0.0.1:<port>/callback``."""
        return loopback_redirect_uri(self._server.server_address[1])

    def __enter__(self) -> LoopbackRedirect:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait(self, timeout: float) -> dict[str, str] | None:
        """The callback's query parameters, or ``None`` after *timeout* seconds."""
        if not self._received.wait(timeout):
            return None
        return self._params
