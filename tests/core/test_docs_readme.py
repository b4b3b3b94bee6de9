"""README.md stays true: two set-up commands, working links, real commands and limits."""

from __future__ import annotations

import re
from pathlib import Path

from hub.cli import CORE_COMMANDS
from hub.web.api import MAX_BODY_BYTES
from hub.web.api.openapi import MAX_RECORDS_PER_REQUEST

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def section(title: str) -> str:
    start = README.index(f"## {title}")
    end = README.find("\n## ", start + 1)
    return README[start:end if end != -1 else None]


def test_exactly_two_set_up_commands() -> None:
    block = re.search(r"```sh\n(.*?)```", section("Set up on a fresh machine"), re.DOTALL)
    assert block is not None
    commands = [line.split("#")[0].strip() for line in block[1].splitlines() if line.strip()]
    assert commands == ["make demo", "make test"]
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^demo:", makefile, re.MULTILINE) and re.search(r"^test:", makefile, re.MULTILINE)


def test_relative_links_point_at_files() -> None:
    links = re.findall(r"\]\(((?!https?:)[^)#]+)\)", README)
    assert links
    for link in links:
        assert (ROOT / link).exists(), link


def test_every_core_command_is_in_the_table() -> None:
    table = section("The command line")
    for command in CORE_COMMANDS:
        assert f"ledgerhub {command.name}" in table, command.name


def test_limits_match_the_code() -> None:
    api = section("Pushing records: the REST API")
    assert f"1 to {MAX_RECORDS_PER_REQUEST:,} records" in api
    assert f"{MAX_BODY_BYTES // (1024 * 1024)} MB" in api
    assert "All-or-nothing" in api
