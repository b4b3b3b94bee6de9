"""Fixtures: a sandbox on a loopback port and python-quickbooks clients pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from intuitlib.client import AuthClient
from ledgerhub_qbo_sandbox import Limits, SandboxServer
from quickbooks import QuickBooks

RELAXED = Limits(per_minute=100_000, per_second=10_000, concurrent=100, batch_per_minute=10_000)


@dataclass
class Connected:
    """A realm and a python-quickbooks client holding a live access token for it."""

    sandbox: SandboxServer
    realm_id: str
    auth: AuthClient
    qb: QuickBooks


@pytest.fixture(autouse=True)
def _plain_http(monkeypatch: pytest.MonkeyPatch) -> None:
    # requests-oauthlib refuses http:// URLs unless told this is a local test server.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    """One sandbox per test module (each test takes its own realm).

    Its limits are raised so rule tests are not throttled; test_throttle.py uses QBO's own.
    """
    with SandboxServer(port=0, time_scale=1.0, limits=RELAXED) as server:
        yield server


@pytest.fixture(autouse=True)
def _no_leftover_faults(sandbox: SandboxServer) -> Iterator[None]:
    yield
    sandbox.faults.reset()


def client_for(sandbox: SandboxServer, realm_id: str) -> Connected:
    """Connect python-quickbooks to a realm the way the QBO plugin does (only base URLs changed)."""
    tokens = sandbox.issue_tokens(realm_id)
    credentials = sandbox.client_credentials
    auth = AuthClient(
        credentials.client_id,
        credentials.client_secret,
        credentials.redirect_uris[0],
        environment=sandbox.discovery_url,
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
        realm_id=realm_id,
    )
    qb = QuickBooks(
        auth_client=auth,
        refresh_token=tokens["refresh_token"],
        company_id=realm_id,
        minorversion=75,
        use_decimal=True,
    )
    qb.api_url_v3 = sandbox.base_url + "/v3"
    return Connected(sandbox, realm_id, auth, qb)


@pytest.fixture
def make_company(sandbox: SandboxServer) -> Callable[..., Connected]:
    """Create a fresh realm (``country``, ``tax_rate``) and a client for it."""

    def make(country: str = "US", tax_rate: str = "0.0825") -> Connected:
        realm_id = sandbox.create_realm("Test Garage", country=country, tax_rate=Decimal(tax_rate))
        return client_for(sandbox, realm_id)

    return make


@pytest.fixture
def us(make_company: Callable[..., Connected]) -> Connected:
    """A fresh US company (8.25 % sales tax)."""
    return make_company()
