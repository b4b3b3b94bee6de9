"""``ledgerhub worker --celery [--beat]`` hands over to the Celery worker (exec mocked: no broker)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import hub.cli.cmd_ops as cmd_ops
from hub.cli import build_cli
from hub.cli.state import CliState
from hub.cli.worker import CELERY_APP


class Execd(Exception):
    """Stands in for the exec that never returns."""


@pytest.fixture
def execs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[str], dict[str, str]]]:
    calls: list[tuple[list[str], dict[str, str]]] = []

    def fake_exec(argv: list[str], env: Any) -> None:
        calls.append((argv, dict(env)))
        raise Execd

    monkeypatch.setattr(cmd_ops, "exec_celery", fake_exec)
    return calls


def invoke(*args: str, instance: Path | None = None) -> Any:
    def no_hub(_: CliState) -> Any:
        raise AssertionError("the Celery worker builds its own hub; the CLI must not open one")

    cli = build_cli(CliState(instance=instance, hub_factory=no_hub))
    return CliRunner().invoke(cli, list(args))


def test_worker_celery_execs_the_celery_worker(execs: list, tmp_path: Path) -> None:
    result = invoke("worker", "--celery", instance=tmp_path)
    assert isinstance(result.exception, Execd)
    [(argv, env)] = execs
    assert argv == [sys.executable, "-m", "celery", "-A", CELERY_APP, "worker", "--loglevel", "INFO"]
    assert env["LEDGERHUB_INSTANCE"] == str(tmp_path)


def test_worker_celery_beat_and_concurrency(execs: list) -> None:
    result = invoke("worker", "--celery", "--beat", "--concurrency", "4")
    assert isinstance(result.exception, Execd)
    [(argv, _)] = execs
    assert argv[argv.index("worker") :] == ["worker", "--loglevel", "INFO", "--concurrency", "4", "--beat"]


def test_beat_without_celery_is_refused(execs: list) -> None:
    result = invoke("worker", "--beat")
    assert result.exit_code == 2 and "--celery" in result.output
    assert invoke("worker", "--celery", "--once").exit_code == 2
    assert execs == []
