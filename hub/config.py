"""Core configuration: where the database, broker and instance folder are, and the secret key."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

SECRET_KEY_FILE = "secret.key"


@dataclass(frozen=True, kw_only=True)
class HubConfig:
    """Everything the core needs to run. Build it with :meth:`from_env`.

    ``secret_key`` is a Fernet key: it encrypts connection secrets at rest. Timing values
    (leases, backoff) are here so tests can shrink them instead of sleeping.
    """

    database_url: str
    instance_path: Path
    secret_key: str
    broker_url: str = ""
    public_url: str = "http://127.0.0.1:5000"
    blocked_plugins: frozenset[str] = frozenset()
    lease_seconds: float = 300.0
    """How long a claimed delivery or a connection lease stays with a worker that went quiet."""
    retry_base_seconds: float = 30.0
    retry_cap_seconds: float = 6 * 3600.0
    max_attempts: int = 12
    """After this many retryable failures a delivery needs attention instead."""
    backfill_chunk: int = 500
    """How many records a history backfill enqueues per transaction."""
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Anything else, handed to plugins through ``ledgerhub_configure``."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> HubConfig:
        """Read the configuration from environment variables, then apply *overrides*.

        ``DATABASE_URL`` (or ``LEDGERHUB_DATABASE_URL``), ``BROKER_URL``, ``LEDGERHUB_INSTANCE``
        (default ``./instance``), ``LEDGERHUB_SECRET_KEY`` (otherwise a key generated once into
        the instance folder), ``LEDGERHUB_PUBLIC_URL`` and ``LEDGERHUB_BLOCK_PLUGINS``
        (comma-separated plugin names).
        """
        env = os.environ if environ is None else environ
        instance = Path(overrides.pop("instance_path", None) or env.get("LEDGERHUB_INSTANCE") or "instance")
        instance = instance.resolve()
        database_url = (
            overrides.pop("database_url", None)
            or env.get("LEDGERHUB_DATABASE_URL")
            or env.get("DATABASE_URL")
            or f"sqlite:///{instance / 'ledgerhub.sqlite3'}"
        )
        secret_key = overrides.pop("secret_key", None) or env.get("LEDGERHUB_SECRET_KEY") or ""
        if not secret_key:
            secret_key = _instance_secret_key(instance)
        blocked = overrides.pop("blocked_plugins", None)
        if blocked is None:
            blocked = [n.strip() for n in env.get("LEDGERHUB_BLOCK_PLUGINS", "").split(",") if n.strip()]
        values: dict[str, Any] = {
            "database_url": database_url,
            "instance_path": instance,
            "secret_key": secret_key,
            "broker_url": env.get("BROKER_URL", ""),
            "blocked_plugins": frozenset(blocked),
        }
        if env.get("LEDGERHUB_PUBLIC_URL"):
            values["public_url"] = env["LEDGERHUB_PUBLIC_URL"]
        known = {f.name for f in fields(cls)}
        unknown = set(overrides) - known
        if unknown:
            raise TypeError(f"unknown HubConfig settings: {', '.join(sorted(unknown))}")
        values.update(overrides)
        if database_url.startswith("sqlite:///"):
            instance.mkdir(parents=True, exist_ok=True)
        return cls(**values)

    def with_changes(self, **changes: Any) -> HubConfig:
        """A copy with *changes* applied."""
        return replace(self, **changes)

    def as_plugin_config(self) -> dict[str, Any]:
        """The mapping handed to ``ledgerhub_configure`` (no secrets in it)."""
        return {
            "instance_path": str(self.instance_path),
            "public_url": self.public_url,
            "broker_url": self.broker_url,
            **dict(self.extra),
        }


def _instance_secret_key(instance: Path) -> str:
    """The Fernet key stored in the instance folder, created (owner-readable only) on first use."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / SECRET_KEY_FILE
    if path.exists():
        return path.read_text().strip()
    key = Fernet.generate_key().decode()
    # O_EXCL: two processes starting at once must not both write a key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
