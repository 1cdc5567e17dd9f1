"""`exportd serve --demo` as a user runs it: a real process, real HTTP, a clean SIGTERM."""

from __future__ import annotations

import os
import re
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

    def __init__(self, home: Path, *args: str) -> None:
        self.port = free_port()
        environment = {k: v for k, v in os.environ.items() if not k.startswith("EXPORTD_")}
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


def printed_token(server: Server) -> str:
    """The token of the `--demo` banner (printed before the server listens)."""
    assert server.process.stdout is not None
    for line in server.process.stdout:
        match = re.search(r"token \(shown once\): (\S+)", line)
        if match:
            return match.group(1)
    raise AssertionError("no token was printed")


def test_demo_serves_the_printed_token_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    home = tmp_path / "exportd-data"
    server = Server(home, "--demo")
    try:
        server.wait_until_ready()
        headers = {"Authorization": f"Bearer {printed_token(server)}"}
        me = httpx.get(f"{server.url}/api/1.0/users/me", headers=headers).json()["data"]
        workspaces = httpx.get(f"{server.url}/api/1.0/workspaces", headers=headers).json()
        assert len(workspaces["data"]) == 1
        assert me["workspaces"] == workspaces["data"]
    finally:
        server.stop()
    assert server.process.returncode == 0, server.output
    assert "Finished server process" in server.output

    # A second start finds the demo organization and hands out a new, working token.
    again = Server(home, "--demo")
    try:
        again.wait_until_ready()
        fresh = {"Authorization": f"Bearer {printed_token(again)}"}
        assert fresh != headers
        assert httpx.get(f"{again.url}/api/1.0/users/me", headers=fresh).status_code == 200
    finally:
        again.stop()
    assert again.process.returncode == 0, again.output
