"""Test helpers for LedgerHub plugin authors, and a pytest plugin offering them as fixtures.

Installing the hub registers this module with pytest (entry point ``pytest11``), so a
plugin's own test suite gets, with no conftest:

* ``ledgerhub_shop`` — a Texas shop with one location and sales tax (see :func:`make_shop`);
* ``ledgerhub_factory`` — ``ledgerhub_factory([my_plugin]) -> Hub``: a real hub on a private
  SQLite database with the given plugins registered, closed after the test; a plugin that
  fails to load raises :class:`PluginLoadError` with its error.

and imports the rest from here: :func:`sample_records`, :func:`make_delivery`,
:class:`FakeContext`, :func:`check_target` / :func:`target_params` and :func:`run_sync`.
Every fixture is named ``ledgerhub_*`` so it never shadows a project's own fixtures.
See docs/testing_plugins.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.domain.records import Shop
from hub.testing.conformance import TargetContractError, check_target, target_params, target_problems
from hub.testing.context import FakeContext, MemoryStore, make_delivery
from hub.testing.hubs import HubFactory, PluginLoadError, SingleTargetPlugin, run_sync
from hub.testing.records import make_shop, sample_records

__all__ = [
    "FakeContext",
    "HubFactory",
    "MemoryStore",
    "PluginLoadError",
    "SingleTargetPlugin",
    "TargetContractError",
    "check_target",
    "ledgerhub_factory",
    "ledgerhub_shop",
    "make_delivery",
    "make_shop",
    "run_sync",
    "sample_records",
    "target_params",
    "target_problems",
]


@pytest.fixture
def ledgerhub_shop() -> Shop:
    """A Texas shop (``shop-1``) with one location, charging 8.25 % on parts and supplies."""
    return make_shop()


@pytest.fixture
def ledgerhub_factory(tmp_path: Path) -> Iterator[HubFactory]:
    """Builds hubs on private SQLite databases: ``ledgerhub_factory([plugin], load_entrypoints=False)``."""
    factory = HubFactory(tmp_path / "ledgerhub")
    yield factory
    factory.close()
