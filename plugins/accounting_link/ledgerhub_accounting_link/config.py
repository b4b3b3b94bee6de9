"""Where the plugin finds things outside the repository: the qbXML schema folder, the public URL.

The qbXML 13.0 XSDs are Intuit's files and are never copied into the repository; a shop with
Intuit's SDK points :envvar:`LEDGERHUB_QBXML_SCHEMA_DIR` (or the ``qbxml_schema_dir`` config key)
at its own copy. The default is ``../shared/reference/qbxml-13.0`` next to the project root.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

SCHEMA_DIR_ENV = "LEDGERHUB_QBXML_SCHEMA_DIR"
SCHEMA_DIR_KEY = "qbxml_schema_dir"
PROJECT_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_SCHEMA_DIR = PROJECT_ROOT.parent / "shared" / "reference" / "qbxml-13.0"

_configured: dict[str, Any] = {}


def configure(config: Mapping[str, Any]) -> None:
    """Remember the hub's configuration keys this plugin reads (``ledgerhub_configure``)."""
    for key in (SCHEMA_DIR_KEY, "public_url"):
        if config.get(key):
            _configured[key] = config[key]


def schema_dir() -> Path:
    """The folder holding ``qbxmlops130.xsd``: env var, then config key, then the default."""
    chosen = os.environ.get(SCHEMA_DIR_ENV) or _configured.get(SCHEMA_DIR_KEY)
    return Path(chosen) if chosen else DEFAULT_SCHEMA_DIR


def public_url(default: str = "") -> str:
    """The hub's public base URL (for the ``.qwc`` file's AppURL), without a trailing slash:
    the configured one, else ``LEDGERHUB_PUBLIC_URL``, else *default*."""
    chosen = _configured.get("public_url") or os.environ.get("LEDGERHUB_PUBLIC_URL") or default
    return str(chosen).rstrip("/")
