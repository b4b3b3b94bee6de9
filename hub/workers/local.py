"""A Celery cluster on this machine: beat plus N ``celery worker`` processes, as subprocesses.

The scale tests and ``bench/scale.py`` use it to run real workers against a real broker; an
operator can use it to try the vendor set-up on one box. Each worker uses the ``solo`` pool,
so one process is one worker and killing it kills the worker mid-batch.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

CELERY_APP = "hub.workers.celery_app"


@dataclass
class LocalCluster:
    """Subprocesses sharing *env* (``DATABASE_URL``, ``BROKER_URL``, ``LEDGERHUB_*``)."""

    env: Mapping[str, str]
    logdir: Path
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    beat: subprocess.Popen[bytes] | None = None

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        self.logdir.mkdir(parents=True, exist_ok=True)
        log = (self.logdir / f"{name}.log").open("ab")
        env = {**os.environ, **self.env}
        try:
            return subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", CELERY_APP, *args],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            log.close()

    def start_workers(self, count: int) -> None:
        """Start *count* more worker processes."""
        queue = self.env.get("LEDGERHUB_QUEUE", "ledgerhub")
        for _ in range(count):
            name = f"w{len(self.workers) + 1}"
            self.workers.append(
                self._spawn(
                    name,
                    [
                        "worker",
                        "--pool",
                        "solo",
                        "-Q",
                        queue,
                        "-n",
                        f"{name}-{os.getpid()}@%h",
                        "--without-gossip",
                        "--without-mingle",
                        "--without-heartbeat",
                        "--loglevel",
                        "WARNING",
                    ],
                )
            )

    def start_beat(self) -> None:
        """Start the scheduler (its schedule file goes in the log folder)."""
        self.beat = self._spawn(
            "beat", ["beat", "--loglevel", "WARNING", "--schedule", str(self.logdir / "beat-schedule")]
        )

    def kill(self, pid: int) -> None:
        """SIGKILL one worker: no clean-up, no acknowledgement, lease left behind."""
        os.kill(pid, signal.SIGKILL)
        for proc in self.workers:
            if proc.pid == pid:
                proc.wait(timeout=10)

    def alive(self) -> list[int]:
        """Pids of the workers still running."""
        return [p.pid for p in self.workers if p.poll() is None]

    def stop(self, timeout: float = 10.0) -> None:
        """Stop every process (SIGTERM, then SIGKILL after *timeout*)."""
        procs = [p for p in [*self.workers, self.beat] if p is not None and p.poll() is None]
        for proc in procs:
            proc.terminate()
        deadline = time.monotonic() + timeout
        for proc in procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.workers.clear()
        self.beat = None

    def logs(self) -> str:
        """Everything the processes printed (for a failing test's message)."""
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-4000:]}"
            for p in sorted(self.logdir.glob("*.log"))
        )
