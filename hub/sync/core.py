"""What every part of the sync layer shares: configuration, sessions, targets, the clock."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cryptography.fernet import Fernet
from sqlalchemy.orm import Session, sessionmaker

from hub.config import HubConfig
from hub.errors import ConfigurationError
from hub.plugin.manager import PluginHost
from hub.plugin.target import Target

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time, UTC, timezone-aware."""
    return datetime.now(UTC)


def new_worker_id() -> str:
    """A name for this process's claims: host, pid and a random suffix."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(kw_only=True)
class Core:
    """The hub's shared runtime state, handed to the engine, services and contexts."""

    config: HubConfig
    session_factory: sessionmaker[Session]
    host: PluginHost
    targets: dict[str, Target]
    clock: Clock = utc_now
    worker_id: str = field(default_factory=new_worker_id)
    fernet: Fernet = field(init=False)

    def __post_init__(self) -> None:
        try:
            self.fernet = Fernet(self.config.secret_key.encode())
        except ValueError:
            raise ConfigurationError(
                "the secret key is not a Fernet key",
                {
                    "LEDGERHUB_SECRET_KEY": [
                        "must be 32 url-safe base64-encoded bytes, as made by "
                        "cryptography.fernet.Fernet.generate_key()"
                    ]
                },
            ) from None

    def now(self) -> datetime:
        """The hub's current time (tests replace :attr:`clock`)."""
        return self.clock()
