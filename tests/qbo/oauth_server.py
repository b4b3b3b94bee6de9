"""A tiny local Intuit-like OAuth server for the token tests: discovery, token, revoke.

Refresh tokens rotate on every refresh and the old one stops working at once (stricter than
Intuit, so a refresh token spent twice shows up as ``invalid_grant``)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class OAuthState:
    """What the server has issued and seen."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.lock = threading.Lock()
        self.valid_refresh: set[str] = {"RT-0"}
        self.counter = 0
        self.refresh_calls = 0
        self.revoked: list[str] = []
        self.codes = {"good-code"}


def _handler(state: OAuthState, base: list[str]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _json(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._json(200, {"authorization_endpoint": base[0] + "/authorize",
                             "token_endpoint": base[0] + "/token", "revocation_endpoint": base[0] + "/revoke",
                             "issuer": base[0], "jwks_uri": base[0] + "/jwks",
                             "userinfo_endpoint": base[0] + "/userinfo"})

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
            if self.path == "/revoke":
                state.revoked.append(json.loads(raw)["token"])
                self._json(200, {})
                return
            form = {k: v[0] for k, v in parse_qs(raw).items()}
            time.sleep(state.delay)
            with state.lock:
                if form["grant_type"] == "authorization_code":
                    ok = form.get("code") in state.codes
                else:
                    state.refresh_calls += 1
                    ok = form.get("refresh_token") in state.valid_refresh
                    if ok:
                        state.valid_refresh.discard(form["refresh_token"])
                if not ok:
                    self._json(400, {"error": "invalid_grant"})
                    return
                state.counter += 1
                refresh = f"RT-{state.counter}"
                state.valid_refresh.add(refresh)
            self._json(200, {"token_type": "bearer", "access_token": f"AT-{state.counter}",
                             "refresh_token": refresh, "expires_in": 3600,
                             "x_refresh_token_expires_in": 8726400})

    return Handler


@contextmanager
def oauth_server(delay: float = 0.0) -> Iterator[tuple[str, OAuthState]]:
    """Run the server on 127.0.0.1; yields (discovery URL, state)."""
    state = OAuthState(delay)
    base: list[str] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state, base))
    base.append(f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield base[0] + "/discovery", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
