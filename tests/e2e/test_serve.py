"""`exportd serve --demo` as a user runs it: a real process, real HTTP, a clean SIGTERM."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from tests.e2e.server import Server


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
