"""``SandboxServer``: the sandbox on a real loopback port, plus the Python API tests use."""

from __future__ import annotations

import logging
import threading
from decimal import Decimal
from types import TracebackType
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

from ledgerhub_qbo_sandbox import company, errors
from ledgerhub_qbo_sandbox.faults import FaultConfig
from ledgerhub_qbo_sandbox.oauth import ClientCredentials
from ledgerhub_qbo_sandbox.state import SandboxState
from ledgerhub_qbo_sandbox.store import Realm
from ledgerhub_qbo_sandbox.throttle import Limits
from ledgerhub_qbo_sandbox.web import create_app

DEFAULT_REDIRECT_URIS = ("http://127.0.0.1/callback", "http://localhost/callback")


class SandboxServer:
    """A local QBO: OAuth 2 and the v3 company API over HTTP on 127.0.0.1.

    :param port: 0 picks a free port.
    :param time_scale: sandbox seconds per real second (token lifetimes, throttle windows,
        slow answers all shrink by this factor).
    :param auto_approve: the consent page approves at once, for the default realm.
    :param country: ``"US"`` (TAX/NON codes, one company rate) or ``"CA"`` (a tax code per line)
        for realms created without one.
    :param tax_rate: the US sales-tax rate of new realms (0.0825 = 8.25 %).
    :param redirect_uris: the redirect URIs registered for :attr:`client_credentials`.
    """

    def __init__(
        self,
        port: int = 0,
        time_scale: float = 1.0,
        auto_approve: bool = False,
        country: str = "US",
        tax_rate: Decimal = Decimal("0.0825"),
        *,
        host: str = "127.0.0.1",
        redirect_uris: tuple[str, ...] | list[str] = DEFAULT_REDIRECT_URIS,
        limits: Limits | None = None,
    ) -> None:
        self.state = SandboxState(
            time_scale=time_scale,
            auto_approve=auto_approve,
            country=country,
            tax_rate=tax_rate,
            limits=limits,
        )
        self.host = host
        self.port = port
        self.client_credentials: ClientCredentials = self.state.oauth.register_client(tuple(redirect_uris))
        self.default_realm_id = self.state.create_realm().realm_id
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> SandboxServer:
        """Listen and serve in a background thread; returns self."""
        if self._server is not None:
            return self
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = make_server(self.host, self.port, create_app(self.state), threaded=True)
        self._server.daemon_threads = True
        self.port = self._server.server_port
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="qbo-sandbox", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    # -- where it is -----------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The API base (``http://127.0.0.1:PORT``); python-quickbooks wants ``base_url + "/v3"``."""
        return f"http://{self.host}:{self.port}"

    @property
    def discovery_url(self) -> str:
        """The discovery document; pass it as intuit-oauth's ``environment``."""
        return f"{self.base_url}/.well-known/openid_configuration"

    @property
    def authorization_endpoint(self) -> str:
        """The consent page."""
        return f"{self.base_url}/connect/oauth2"

    # -- set-up ----------------------------------------------------------------------------------

    @property
    def time_scale(self) -> float:
        """Sandbox seconds per real second."""
        return self.state.clock.time_scale

    @property
    def faults(self) -> FaultConfig:
        """Fault-injection settings (shares, ``inject_next``, ``reset``)."""
        return self.state.faults

    def create_realm(
        self,
        company_name: str = "Sandbox Garage",
        *,
        country: str | None = None,
        tax_rate: Decimal | str | None = None,
    ) -> str:
        """A new seeded company; returns its realm id."""
        return self.state.create_realm(company_name, country=country, tax_rate=tax_rate).realm_id

    def register_client(self, redirect_uris: tuple[str, ...] | list[str]) -> ClientCredentials:
        """Register another app."""
        return self.state.oauth.register_client(tuple(redirect_uris))

    def add_redirect_uri(self, redirect_uri: str) -> None:
        """Allow one more redirect URI for :attr:`client_credentials`."""
        self.state.oauth.add_redirect_uri(self.client_credentials.client_id, redirect_uri)

    def issue_tokens(self, realm_id: str | None = None) -> dict[str, Any]:
        """Tokens for a realm without the consent dance (``access_token``, ``refresh_token``, ...)."""
        realm_id = realm_id or self.default_realm_id
        self.state.realm(realm_id)
        return self.state.oauth.grant_tokens(self.client_credentials.client_id, realm_id)

    def expire_access_tokens(self) -> int:
        """Expire every access token issued so far (the next API call answers 401)."""
        return self.state.oauth.expire_access_tokens()

    def advance(self, seconds: float) -> None:
        """Move the sandbox clock forward by ``seconds`` sandbox seconds."""
        self.state.clock.advance(seconds)

    def set_tax_rate(self, realm_id: str, rate: Decimal | str) -> None:
        """Change a US company's sales-tax rate (0.0725 = 7.25 %)."""
        self._realm(realm_id).tax_rate = Decimal(str(rate))

    # -- inspection ------------------------------------------------------------------------------

    def objects(self, realm_id: str, entity: str) -> list[dict[str, Any]]:
        """Copies of every object of ``entity`` (``"Invoice"`` or ``"invoice"``) in a realm."""
        return company.listing(self._realm(realm_id), _entity(entity))

    def get_object(self, realm_id: str, entity: str, object_id: str) -> dict[str, Any] | None:
        """A copy of one object, or None."""
        return next((obj for obj in self.objects(realm_id, entity) if obj["Id"] == str(object_id)), None)

    def request_log(self, realm_id: str) -> list[dict[str, Any]]:
        """The realm's requests, oldest first (Authorization headers redacted)."""
        realm = self._realm(realm_id)
        with realm.lock:
            return list(realm.request_log)

    def throttle_counters(self, realm_id: str) -> dict[str, Any]:
        """The realm's throttle windows and how many requests were admitted or refused."""
        return self.state.throttle.counters(realm_id)

    # -- what a bookkeeper does in QBO behind the integration's back -----------------------------

    def rename_item(self, realm_id: str, item_id: str, new_name: str) -> dict[str, Any]:
        """Rename an item as a user would in QBO (bumps its SyncToken)."""
        return self._edit(realm_id, "Item", item_id, {"Name": new_name})

    def delete_item(self, realm_id: str, item_id: str) -> dict[str, Any]:
        """ "Delete" an item as QBO does: make it inactive."""
        return self._edit(realm_id, "Item", item_id, {"Active": False})

    def set_active(self, realm_id: str, entity: str, object_id: str, active: bool) -> dict[str, Any]:
        """Make a customer, vendor, item or account active or inactive."""
        return self._edit(realm_id, _entity(entity), object_id, {"Active": active})

    def _edit(self, realm_id: str, entity: str, object_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        realm = self._realm(realm_id)
        with realm.lock:
            current = realm.get(entity, str(object_id))
            if current is None:
                raise KeyError(f"no {entity} {object_id} in realm {realm_id}")
            body = {"Id": current["Id"], "SyncToken": current["SyncToken"], "sparse": True, **changes}
            try:
                return company.save(realm, entity, body)[entity]
            except errors.QboError as error:
                raise ValueError(f"QBO would refuse this edit: {error}") from error

    def _realm(self, realm_id: str) -> Realm:
        return self.state.realm(realm_id)


def _entity(name: str) -> str:
    entity = company.ENTITIES.get(name.lower())
    if entity is None:
        raise KeyError(f"unknown entity {name!r}; known: {', '.join(company.ENTITIES.values())}")
    return entity


__all__ = ["SandboxServer"]
