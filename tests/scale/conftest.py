"""Fixtures for the scale-out tests: a private Redis key space and a private PostgreSQL database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import redis

REDIS_BASE = os.environ.get("LEDGERHUB_TEST_REDIS_URL", "redis://127.0.0.1:6379")
REDIS_DB = 11  # kept apart from db 0, which a developer's running hub may use


@pytest.fixture
def redis_url() -> str:
    """A Redis database number of its own for the scale tests."""
    return f"{REDIS_BASE}/{REDIS_DB}"


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix unique to the test; every key under it is deleted afterwards."""
    prefix = f"ledgerhub-test:{uuid.uuid4().hex[:12]}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()
