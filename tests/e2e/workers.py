"""`exportd worker` processes as a deployment runs them, and what tests read of them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path


class Worker:
    """An `exportd worker` process; its output goes to a file (a pipe nobody reads while
    the test runs could fill up and stall it)."""

    def __init__(self, home: Path, log: Path, *args: str, env: dict[str, str]) -> None:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("EXPORTD_")}
        environment.update(env)
        self.env = environment
        self.log = log
        with log.open("w") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "exportd", "--home", str(home), "worker", *args],
                stdout=output, stderr=subprocess.STDOUT, env=environment,
            )  # fmt: skip

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def output(self) -> str:
        return self.log.read_text()

    def terminate(self) -> None:
        """SIGTERM: the worker stops taking jobs and finishes or hands back its own."""
        self.process.send_signal(signal.SIGTERM)

    def wait(self, timeout: float = 60) -> int:
        return self.process.wait(timeout)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.terminate()
            try:
                self.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()

    def kill(self) -> None:
        """SIGKILL: the worker gets no chance to clean up."""
        self.process.kill()
        self.process.wait(30)


def owner_pid(lease_owner: str) -> int:
    """The process id in a worker id (`host:pid:token:n`)."""
    return int(lease_owner.split(":")[1])
