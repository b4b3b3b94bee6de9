"""docs/plugin_hooks.md documents every hookspec, with its exact signature, and nothing else."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from hub.plugin import hookspecs

DOC = Path(__file__).resolve().parents[2] / "docs" / "plugin_hooks.md"
HEADING = re.compile(r"^## `(?P<signature>(?P<name>\w+)\(.*)`\s*$", re.MULTILINE)


def hookspec_signatures() -> dict[str, str]:
    """``{name: "name(arg: Type, ...) -> Return"}`` for every hookspec, annotations as written."""
    specs: dict[str, str] = {}
    for name, fn in inspect.getmembers(hookspecs, inspect.isfunction):
        if not hasattr(fn, "ledgerhub_spec"):
            continue
        sig = inspect.signature(fn)  # annotations stay strings (postponed evaluation)
        params = ", ".join(f"{p.name}: {p.annotation}" for p in sig.parameters.values())
        specs[name] = f"{name}({params}) -> {sig.return_annotation}"
    return specs


def documented_signatures() -> dict[str, str]:
    return {m["name"]: m["signature"] for m in HEADING.finditer(DOC.read_text())}


def test_the_hookspecs_are_found() -> None:
    assert {"ledgerhub_targets", "ledgerhub_preview", "ledgerhub_configure"} <= set(hookspec_signatures())


def test_every_hookspec_is_documented() -> None:
    missing = set(hookspec_signatures()) - set(documented_signatures())
    assert not missing, f"hooks missing from {DOC.name}: {sorted(missing)}"


def test_every_documented_hook_exists() -> None:
    unknown = set(documented_signatures()) - set(hookspec_signatures())
    assert not unknown, f"{DOC.name} documents hooks that do not exist: {sorted(unknown)}"


@pytest.mark.parametrize("name", sorted(hookspec_signatures()))
def test_documented_signature_is_exact(name: str) -> None:
    assert documented_signatures().get(name) == hookspec_signatures()[name]


def test_each_hook_section_has_parameters_returns_and_example() -> None:
    text = DOC.read_text()
    starts = [m.start() for m in HEADING.finditer(text)] + [len(text)]
    for start, end in zip(starts, starts[1:], strict=False):
        section = text[start:end]
        name = HEADING.match(section)["name"]  # type: ignore[index]
        for part in ("**Parameters:**", "**Returns:**", "**Example:**", "```python", "@hookimpl"):
            assert part in section, f"{name}: no {part}"


def test_the_checker_notices_a_wrong_signature() -> None:
    """The comparison is real: a heading with a changed argument does not match."""
    doc = DOC.read_text().replace("shop: Shop, workdir: Path", "shop: Shop, folder: Path")
    found = {m["name"]: m["signature"] for m in HEADING.finditer(doc)}
    assert found["ledgerhub_demo_connection"] != hookspec_signatures()["ledgerhub_demo_connection"]
