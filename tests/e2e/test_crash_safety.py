"""A server killed in the middle of an export: the export still ends correctly.

The embedded worker runs inside `exportd serve`, so SIGKILL to the server kills the worker
mid-write. After a restart the export must end `finished` with a complete, correct file
(or `error`), never `finished` with a broken one, and the crashed attempt's temporary file
must go at the next sweep.
"""

from __future__ import annotations

import gzip
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson

from exportd.storage import LocalStorage
from tests.e2e.server import Server

LEASE = {"EXPORTD_JOB_LEASE": "2"}  # a dead worker's job is taken over after 2 s


def seed(home: Path) -> dict[str, Any]:
    command = [sys.executable, "-m", "exportd", "--home", str(home), "seed", "--seed", "5",
               "--tasks", "20000", "--stories-per-task", "5", "--json"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=300)
    result: dict[str, Any] = orjson.loads(done.stdout)
    return result


def export_row(home: Path, gid: str) -> tuple[str, int, int]:
    with sqlite3.connect(home / "exportd.sqlite3") as connection:
        row = connection.execute(
            "SELECT state, progress_objects, attempts FROM exports WHERE gid = ?", (int(gid),)
        ).fetchone()
    return row[0], row[1], row[2]


def test_a_killed_server_never_leaves_a_broken_finished_export(tmp_path: Path) -> None:
    home = tmp_path / "exportd-data"
    seeded = seed(home)
    headers = {"Authorization": f"Bearer {seeded['service_account']['token']}"}
    body = {"data": {"organization": seeded["organization"]["gid"]}}

    first = Server(home, "--workers", "1", env=LEASE)
    try:
        first.wait_until_ready()
        created = httpx.post(
            f"{first.url}/api/1.0/organization_exports", json=body, headers=headers
        )
        assert created.status_code == 201, created.text
        gid = created.json()["data"]["gid"]
        deadline = time.monotonic() + 60
        while export_row(home, gid)[1] == 0:  # wait until it is writing
            assert time.monotonic() < deadline, "the export never started writing"
            time.sleep(0.02)
        first.kill()
    finally:
        if first.process.poll() is None:
            first.kill()
    state, progress, attempts = export_row(home, gid)
    assert (state, attempts) == ("started", 1)
    assert progress > 0
    temporary = list((home / "exports" / ".tmp").iterdir())
    assert temporary, "the crashed attempt left its partial file behind"
    assert not list((home / "exports").glob("exports/*.json.gz"))

    second = Server(home, "--workers", "1", env=LEASE)
    try:
        second.wait_until_ready()
        deadline = time.monotonic() + 120
        while True:
            export = httpx.get(
                f"{second.url}/api/1.0/organization_exports/{gid}", headers=headers
            ).json()["data"]
            if export["state"] in ("finished", "error"):
                break
            assert time.monotonic() < deadline, f"still {export['state']}"
            time.sleep(0.2)
        assert export["state"] == "finished"
        lines = gzip.decompress(httpx.get(export["download_url"], timeout=60).content).splitlines()
    finally:
        second.stop()

    objects = [orjson.loads(line) for line in lines]
    assert len(objects) > progress
    assert sum(o["resource_type"] == "task" for o in objects) == seeded["counts"]["tasks"]
    assert objects[0]["resource_type"] == "workspace"
    assert export_row(home, gid)[2] == 2  # the second attempt finished it

    # The crashed attempt's temporary file goes at the next sweep past its grace period.
    storage = LocalStorage(home / "exports")
    later = datetime.now(UTC) + timedelta(hours=2)
    assert storage.sweep_temporary(older_than=later) >= len(temporary)
    assert not list((home / "exports" / ".tmp").iterdir())
