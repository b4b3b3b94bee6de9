"""Everything one sandbox holds: its clock, realms, OAuth clients and tokens, throttle, faults."""

from __future__ import annotations

import secrets
import threading
from decimal import Decimal

from ledgerhub_qbo_sandbox.clock import SandboxClock
from ledgerhub_qbo_sandbox.faults import FaultConfig
from ledgerhub_qbo_sandbox.oauth import OAuthServer
from ledgerhub_qbo_sandbox.store import Realm, seed
from ledgerhub_qbo_sandbox.throttle import Limits, Throttle

COUNTRIES = ("US", "CA")


class SandboxState:
    """The sandbox's in-memory world, shared by the HTTP layer and the Python API."""

    def __init__(
        self,
        *,
        time_scale: float,
        auto_approve: bool,
        country: str,
        tax_rate: Decimal,
        limits: Limits | None = None,
    ) -> None:
        self.clock = SandboxClock(time_scale)
        self.oauth = OAuthServer(self.clock)
        self.throttle = Throttle(self.clock, limits)
        self.faults = FaultConfig()
        self.auto_approve = auto_approve
        self.default_country = _country(country)
        self.default_tax_rate = Decimal(tax_rate)
        self.realms: dict[str, Realm] = {}
        self._lock = threading.Lock()

    def create_realm(
        self,
        company_name: str = "Sandbox Garage",
        *,
        country: str | None = None,
        tax_rate: Decimal | str | None = None,
        realm_id: str | None = None,
    ) -> Realm:
        """A new seeded company; its id looks like QBO's (16 digits)."""
        realm = Realm(
            realm_id=realm_id or "9341" + "".join(secrets.choice("0123456789") for _ in range(12)),
            company_name=company_name,
            country=_country(country or self.default_country),
            tax_rate=Decimal(tax_rate) if tax_rate is not None else self.default_tax_rate,
            clock=self.clock,
        )
        with self._lock:
            if realm.realm_id in self.realms:
                raise ValueError(f"realm {realm.realm_id} already exists")
            self.realms[realm.realm_id] = realm
        with realm.lock:
            seed(realm)
        return realm

    def realm(self, realm_id: str) -> Realm:
        """A realm by id (KeyError naming it if unknown)."""
        try:
            return self.realms[str(realm_id)]
        except KeyError:
            raise KeyError(f"no realm {realm_id!r} in this sandbox") from None

    def default_realm(self) -> Realm:
        """The realm the consent page offers first (the oldest one; created if none exists)."""
        with self._lock:
            first = next(iter(self.realms.values()), None)
        return first or self.create_realm()


def _country(country: str) -> str:
    country = country.upper()
    if country not in COUNTRIES:
        raise ValueError(f"country must be one of {', '.join(COUNTRIES)}, got {country!r}")
    return country
