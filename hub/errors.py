"""The hub's exception tree.

Delivery errors are raised by target plugins and acted on by the sync engine:

* :class:`RetryableError` — try again later (exponential backoff with jitter, capped; or after
  ``retry_after`` seconds when the target said when).
* :class:`NeedsAttentionError` — this record stops; a person reads the reason and retries or
  skips it. Other records keep flowing.
* :class:`FatalConnectionError` — the whole connection stops and is marked disconnected (for
  example a revoked grant). Nothing more is sent until someone reconnects.

Any other exception escaping a plugin is treated as needs-attention and attributed to the plugin.
"""

from __future__ import annotations

from collections.abc import Mapping


class HubError(Exception):
    """Root of every error the hub raises on purpose."""


class ConfigurationError(HubError):
    """Settings are missing or invalid. ``errors`` maps field names to messages."""

    def __init__(self, message: str, errors: Mapping[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.errors: dict[str, list[str]] = dict(errors or {})


class RecordValidationError(HubError):
    """A record failed validation. ``errors`` maps field paths to messages naming the rule."""

    def __init__(self, kind: str, record_id: str | None, errors: Mapping[str, list[str]]) -> None:
        self.kind = kind
        self.record_id = record_id
        self.errors: dict[str, list[str]] = {k: list(v) for k, v in errors.items()}
        label = f"{kind} {record_id!r}" if record_id else kind
        details = "; ".join(f"{f}: {' '.join(m)}" for f, m in self.errors.items())
        super().__init__(f"{label}: {details}")


class PluginError(HubError):
    """A plugin failed to load or misbehaved. ``plugin`` names it."""

    def __init__(self, plugin: str, message: str) -> None:
        super().__init__(f"plugin {plugin!r}: {message}")
        self.plugin = plugin


class DeliveryError(HubError):
    """Base of the errors a target raises when a delivery did not succeed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RetryableError(DeliveryError):
    """A passing failure (time-out, 5xx, throttling). ``retry_after`` in seconds, if known."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class NeedsAttentionError(DeliveryError):
    """This record cannot go until a person acts; ``message`` says why in plain words."""


class FatalConnectionError(DeliveryError):
    """The connection cannot work at all (revoked credentials); it is marked disconnected."""
