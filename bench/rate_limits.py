"""What the rate limits cost a request: `GET /users/me` per second with them off, on in
memory, and on in Redis, against one `exportd serve` process.

Each configuration gets a fresh `exportd serve --demo --workers 0` (SQLite) with quotas
high enough never to refuse, then `--requests` sequential calls over one keep-alive
connection, after a warm-up; prints requests/s per run and the median. docs/benchmarks.md
records the results.

    python bench/rate_limits.py --runs 3 --requests 3000
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

HIGH = "100000000"
CONFIGURATIONS = {
    "off": {"EXPORTD_RATE_LIMIT": "0", "EXPORTD_RATE_LIMIT_IP": "0",
            "EXPORTD_CONCURRENT_READS": "0", "EXPORTD_CONCURRENT_WRITES": "0"},
    "memory": {"EXPORTD_RATE_LIMIT": HIGH, "EXPORTD_RATE_LIMIT_IP": HIGH},
    "redis": {"EXPORTD_RATE_LIMIT": HIGH, "EXPORTD_RATE_LIMIT_IP": HIGH,
              "EXPORTD_RATE_LIMIT_STORAGE": "redis://127.0.0.1:6379/0"},
}  # fmt: skip


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve(home: Path, env: dict[str, str]) -> tuple[subprocess.Popen[str], str, str]:
    """A demo server; its URL and the token it printed."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("EXPORTD_")}
    environment |= env | {"EXPORTD_LOG_LEVEL": "warning"}
    process = subprocess.Popen(
        [sys.executable, "-m", "exportd", "--home", str(home), "serve", "--demo",
         "--workers", "0", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environment,
    )  # fmt: skip
    assert process.stdout is not None
    token = ""
    for line in process.stdout:
        found = re.search(r"token \(shown once\): (\S+)", line)
        if found:
            token = found.group(1)
            break
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return process, url, token
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit("the server did not start")


def requests_per_second(url: str, token: str, count: int) -> float:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=10) as client:
        for _ in range(200):  # warm-up: connections, caches
            assert client.get("/api/1.0/users/me").status_code == 200
        started = time.perf_counter()
        for _ in range(count):
            assert client.get("/api/1.0/users/me").status_code == 200
        return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
    for name, env in CONFIGURATIONS.items():
        rates = []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as home:
                process, url, token = serve(Path(home), env)
                try:
                    rates.append(requests_per_second(url, token, args.requests))
                finally:
                    process.terminate()
                    process.wait(30)
        runs = ", ".join(f"{rate:.0f}" for rate in rates)
        print(f"{name:>7}: median {statistics.median(rates):.0f} requests/s ({runs})")


if __name__ == "__main__":
    main()
