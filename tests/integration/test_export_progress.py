"""The `progress` extension of jobs and organization exports, over real HTTP: there when
asked for with `opt_fields`, absent otherwise (the documented shapes stay as they are)."""

from __future__ import annotations

import gzip
import time
from typing import Any

import httpx
import pytest

from exportd.datagen.seed import seed_organization
from exportd.datagen.spec import SeedResult
from exportd.jobs import WorkerPool
from exportd.jobs.handlers import HANDLERS
from exportd.runtime import Runtime
from tests.conftest import LiveServer
from tests.integration.test_cli_export import SPEC


@pytest.fixture
def seeded(runtime: Runtime) -> SeedResult:
    return seed_organization(runtime.database, SPEC)


def api(server: LiveServer, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=server.api, headers={"authorization": f"Bearer {token}"}, timeout=30
    )


def until_done(client: httpx.Client, path: str, key: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        data: dict[str, Any] = client.get(path, params={"opt_fields": f"{key},progress"}).json()[
            "data"
        ]
        if data[key] in ("finished", "error", "succeeded", "failed"):
            return data
        time.sleep(0.05)
    raise AssertionError(f"{path} did not finish")


def lines_behind(client: httpx.Client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200
    return gzip.decompress(response.content).count(b"\n")


def test_an_organization_export_shows_progress_only_when_asked(
    live_server: LiveServer, runtime: Runtime, seeded: SeedResult
) -> None:
    with api(live_server, seeded.service_account_token) as client:
        created = client.post(
            "/organization_exports", json={"data": {"organization": str(seeded.organization_gid)}}
        )
        assert created.status_code == 201
        path = f"/organization_exports/{created.json()['data']['gid']}"
        plain = client.get(path).json()["data"]
        assert "progress" not in plain  # Asana's documented shape
        pending = client.get(path, params={"opt_fields": "state,progress"}).json()["data"]
        assert set(pending) == {"gid", "state", "progress"}
        assert pending["progress"]["objects_written"] == 0
        expected = pending["progress"]["objects_expected"]
        pool = WorkerPool(runtime, HANDLERS, workers=1, poll_interval=0.05)
        pool.start()
        try:
            done = until_done(client, path, "state")
        finally:
            pool.stop(timeout=10)
        lines = lines_behind(client, client.get(path).json()["data"]["download_url"])
        assert done["progress"] == {"objects_written": lines, "objects_expected": lines}
        assert lines <= expected <= lines * 1.1  # an estimate, close and never short


def test_a_job_shows_progress_only_when_asked(
    live_server: LiveServer, seeded: SeedResult, workers: WorkerPool
) -> None:
    with api(live_server, seeded.service_account_token) as client:
        body = {"data": {"workspace": str(seeded.organization_gid),
                         "export_request_parameters": [{"resource_type": "task"}]}}  # fmt: skip
        job = client.post("/exports/resource", json=body).json()["data"]
        assert "progress" not in job
        path = f"/jobs/{job['gid']}"
        assert "progress" not in client.get(path).json()["data"]
        done = until_done(client, path, "status")
        url = client.get(path).json()["data"]["new_resource_export"]["download_url"]
        lines = lines_behind(client, url)
        assert done["progress"] == {"objects_written": lines, "objects_expected": lines}
