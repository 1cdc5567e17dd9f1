"""An `exportd` server as users run it: a separate process on a free loopback port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """An `exportd serve` process on a free port, with its output collected."""

    def __init__(self, home: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        environment = {k: v for k, v in os.environ.items() if not k.startswith("EXPORTD_")}
        environment.update(env or {})
        self.process = subprocess.Popen(
            [sys.executable, "-m", "exportd", "--home", str(home), "serve",
             "--port", str(self.port), *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environment,
        )  # fmt: skip
        self.output = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_until_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited early:\n{self.stop()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"serve not ready in {timeout}s:\n{self.stop()}")

    def stop(self) -> str:
        """SIGTERM, then collect everything the process printed."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        self.output, _ = self.process.communicate(timeout=30)
        return self.output

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to clean up."""
        self.process.kill()
        self.process.communicate(timeout=30)
