"""The :class:`~hub.plugin.target.ConnectionContext` handed to target plugins."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from cryptography.fernet import InvalidToken
from sqlalchemy import select

from hub.domain.kinds import EntityKind
from hub.domain.records import Shop
from hub.plugin.target import ExternalRef
from hub.storage import connections as conn_repo
from hub.storage import tenants
from hub.storage.models import ExternalIdRow, RecordRow
from hub.sync.core import Core

STATE = "state"
SECRETS = "secrets"
_MISSING = object()
REDACTED = "[redacted]"
_SECRET_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(
        r"(?i)((?:access|refresh)_?token|client_secret|password|api_key|authorization)"
        r"([\"']?\s*[:=]\s*[\"']?)[^\s\"',&}]+"
    ),
)


class RedactingFilter(logging.Filter):
    """Rewrites a plugin's log message with token-looking fragments redacted (defence in
    depth: plugins must not log secrets, but a stray ``Bearer …`` never reaches a file)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the rendered message; never drops a record."""
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


_REDACTING = RedactingFilter()


def plugin_logger(target_name: str) -> logging.Logger:
    """The logger a plugin writes through: ``ledgerhub.plugin.<name>``, redacting."""
    logger = logging.getLogger(f"ledgerhub.plugin.{target_name}")
    if _REDACTING not in logger.filters:
        logger.addFilter(_REDACTING)
    return logger


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """*text* with known secret values and token-looking fragments replaced."""
    for value in secrets:
        if len(value) >= 6:
            text = text.replace(value, REDACTED)
    text = _SECRET_PATTERNS[0].sub(lambda m: m.group(1) + REDACTED, text)
    return _SECRET_PATTERNS[1].sub(lambda m: m.group(1) + m.group(2) + REDACTED, text)


class StoredValues:
    """A connection's key/value store; each write is its own committed transaction.

    With ``encrypted`` the JSON is Fernet-encrypted before it reaches the database.
    """

    def __init__(self, core: Core, connection_id: int, namespace: str, *, encrypted: bool) -> None:
        self._core = core
        self._connection_id = connection_id
        self._namespace = namespace
        self._encrypted = encrypted

    def _encode(self, value: Any) -> str:
        text = json.dumps(value, sort_keys=True)
        return self._core.fernet.encrypt(text.encode()).decode() if self._encrypted else text

    def _decode(self, stored: str) -> Any:
        if self._encrypted:
            try:
                stored = self._core.fernet.decrypt(stored.encode()).decode()
            except InvalidToken as exc:
                raise RuntimeError("a stored secret cannot be decrypted with this secret key") from exc
        return json.loads(stored)

    def get(self, key: str, default: Any = None) -> Any:
        """The value stored under *key*, or *default*."""
        with self._core.session_factory() as session:
            row = conn_repo.get_value(session, self._connection_id, self._namespace, key)
            return default if row is None else self._decode(row.value)

    def set(self, key: str, value: Any) -> None:
        """Store *value* under *key*, committed before returning."""
        encoded = self._encode(value)
        with self._core.session_factory.begin() as session:
            conn_repo.put_value(session, self._connection_id, self._namespace, key, encoded)

    def compare_and_set(self, key: str, expected: Any, value: Any) -> bool:
        """Store *value* only if the stored value is still *expected* (``None``: absent)."""
        encoded = self._encode(value)
        with self._core.session_factory.begin() as session:
            row = conn_repo.get_value(session, self._connection_id, self._namespace, key)
            current = None if row is None else self._decode(row.value)
            if current != expected:
                return False
            revision = None if row is None else row.revision
            return conn_repo.swap_value(session, self._connection_id, self._namespace, key, revision, encoded)

    def values(self) -> list[Any]:
        """Every stored value (for redaction)."""
        with self._core.session_factory() as session:
            rows = session.scalars(
                select(conn_repo.ConnectionValueRow.value).where(
                    conn_repo.ConnectionValueRow.connection_id == self._connection_id,
                    conn_repo.ConnectionValueRow.namespace == self._namespace,
                )
            )
            return [self._decode(v) for v in rows]


class HubConnectionContext:
    """One shop's connection to one target, as the plugin sees it (no sessions, no rows)."""

    def __init__(
        self, core: Core, *, connection_id: int, target_name: str, shop: Shop, settings: Mapping[str, Any]
    ) -> None:
        self._core = core
        self.connection_id = connection_id
        self.target_name = target_name
        self.shop = shop
        self.settings = settings
        self.logger = plugin_logger(target_name)
        self.state = StoredValues(core, connection_id, STATE, encrypted=False)
        self.secrets = StoredValues(core, connection_id, SECRETS, encrypted=True)

    def __repr__(self) -> str:
        return f"<ConnectionContext {self.connection_id} {self.target_name} shop={self.shop.id}>"

    def now(self) -> datetime:
        """The hub's current time (UTC, timezone-aware)."""
        return self._core.now()

    def lookup_external(self, kind: EntityKind, record_id: str) -> ExternalRef | None:
        """This connection's ref for another record, if it was delivered."""
        with self._core.session_factory() as session:
            row = session.scalar(
                select(ExternalIdRow)
                .join(RecordRow, RecordRow.id == ExternalIdRow.record_id)
                .where(
                    ExternalIdRow.connection_id == self.connection_id,
                    RecordRow.shop_id == self.shop.id,
                    RecordRow.kind == EntityKind(kind).value,
                    RecordRow.source_id == record_id,
                )
            )
            return None if row is None else ExternalRef(row.target_id, dict(row.data))

    def warn(self, message: str) -> None:
        """Store a connection-level warning the shop sees."""
        self.logger.warning("connection %s: %s", self.connection_id, message)
        with self._core.session_factory.begin() as session:
            conn_repo.add_warning(session, self.connection_id, message, self.now())

    def secret_strings(self) -> list[str]:
        """Every string inside the secrets store, for redacting error texts."""
        found: list[str] = []

        def walk(value: Any) -> None:
            if isinstance(value, str):
                found.append(value)
            elif isinstance(value, Mapping):
                for item in value.values():
                    walk(item)
            elif isinstance(value, list):
                for item in value:
                    walk(item)

        for value in self.secrets.values():
            walk(value)
        target = self._core.targets.get(self.target_name)
        if target is not None:
            for name in secret_fields(target.settings_schema()):
                walk(self.settings.get(name))
        return found


SEALED = "$sealed"
"""Key of the one-key mapping a secret setting is stored as: ``{"$sealed": <Fernet token>}``."""


def secret_fields(schema: Any) -> frozenset[str]:
    """Names of the schema's secret fields: marked ``metadata={"secret": True}`` (or shown as a
    password input, ``metadata={"widget": "password"}``). Their values are stored encrypted and
    never shown back."""
    return frozenset(
        name
        for name, item in schema.fields.items()
        if item.metadata.get("secret") or item.metadata.get("widget") == "password"
    )


def is_sealed(value: Any) -> bool:
    """True for a stored (encrypted) secret setting."""
    return isinstance(value, Mapping) and set(value) == {SEALED}


def seal_settings(core: Core, target: Any, settings: Mapping[str, Any]) -> dict[str, Any]:
    """*settings* as stored: each non-empty secret field Fernet-encrypted."""
    names = secret_fields(target.settings_schema()) if target is not None else frozenset()
    sealed = dict(settings)
    for name in names:
        value = sealed.get(name)
        if value not in (None, "") and not is_sealed(value):
            token = core.fernet.encrypt(json.dumps(value).encode()).decode()
            sealed[name] = {SEALED: token}
    return sealed


def open_settings(core: Core, stored: Mapping[str, Any]) -> dict[str, Any]:
    """Stored settings with their secret fields decrypted (a value this secret key cannot
    decrypt reads as empty, so the shop is asked for it again rather than the hub failing)."""
    opened = {}
    for name, value in stored.items():
        if is_sealed(value):
            try:
                value = json.loads(core.fernet.decrypt(str(value[SEALED]).encode()).decode())
            except InvalidToken:
                value = ""
        opened[name] = value
    return opened


def shown_settings(stored: Mapping[str, Any]) -> dict[str, Any]:
    """Stored settings without their secret fields: what the UI, the CLI and logs may show."""
    return {name: value for name, value in stored.items() if not is_sealed(value)}


def load_settings(target: Any, stored: Mapping[str, Any], core: Core | None = None) -> Mapping[str, Any]:
    """The connection's settings as the target's schema loads them (raw if it no longer loads),
    secret fields decrypted when *core* is given."""
    clear = open_settings(core, stored) if core is not None else shown_settings(stored)
    if target is None:
        return clear
    try:
        return target.settings_schema().load(dict(clear))
    except Exception:  # noqa: BLE001 - a schema change must not make the connection unreadable
        return clear


def context_for(core: Core, session: Any, row: Any) -> HubConnectionContext:
    """The plugin-facing context of the connection *row* (read in *session*)."""
    shop = tenants.load_shop_row(tenants.shop_row(session, row.shop_id))
    target = core.targets.get(row.target_name)
    return HubConnectionContext(
        core,
        connection_id=row.id,
        target_name=row.target_name,
        shop=shop,
        settings=load_settings(target, row.settings, core),
    )
