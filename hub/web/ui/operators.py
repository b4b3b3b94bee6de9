"""Support operators from the environment: ``LEDGERHUB_OPERATORS="ops@example.com=scrypt:…"``.

Operators are not shop users: they sign in to the support pages with an email and a password
whose hash (``ledgerhub operator hash``) is configured here or in the Flask config key
``LEDGERHUB_OPERATORS`` (a mapping, which wins for the same email).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

OPERATORS_ENV = "LEDGERHUB_OPERATORS"

#: Password hash methods werkzeug's check_password_hash understands.
_HASH = re.compile(r"^(scrypt|pbkdf2)(:[^$]*)?\$[^$]+\$[0-9a-f]+$")


def parse_operators(value: str) -> dict[str, str]:
    """``"a@x.com=HASH, b@x.com=HASH"`` (commas or whitespace between pairs) → ``{email: hash}``.

    A malformed pair raises :class:`ValueError` naming it (but never echoing the hash).
    """
    operators: dict[str, str] = {}
    for index, pair in enumerate(p for p in re.split(r"[,\s]+", value.strip()) if p):
        email, sep, password_hash = pair.rpartition("=")
        email = email.strip().lower()
        if not sep or "@" not in email:
            raise ValueError(f"{OPERATORS_ENV}: entry {index + 1} must be EMAIL=HASH")
        if not _HASH.match(password_hash):
            raise ValueError(
                f"{OPERATORS_ENV}: the hash for {email} is not one `ledgerhub operator hash` prints"
            )
        operators[email] = password_hash
    return operators


def configured_operators(
    config: Mapping[str, object], environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Operators from the environment, then the app config's ``LEDGERHUB_OPERATORS`` mapping."""
    env = os.environ if environ is None else environ
    from_config = config.get(OPERATORS_ENV) or {}
    if not isinstance(from_config, Mapping):
        raise ValueError(f"the app config's {OPERATORS_ENV} must be a mapping of email to hash")
    operators = parse_operators(env.get(OPERATORS_ENV, ""))
    operators.update({str(email).lower(): str(hashed) for email, hashed in from_config.items()})
    return operators
