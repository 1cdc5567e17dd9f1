"""The scaled-out deployment of docs/deploy.md, for real: processes on loopback.

Two `exportd serve --workers 0` processes and two `exportd worker` processes share one
PostgreSQL schema (`EXPORTD_QUEUE=procrastinate`) and one bucket on a local S3-compatible
server. Exports of both kinds across several organizations run at once on the workers and
download correct; the one-export-per-workspace rule holds across both API processes; a
worker killed mid-export leaves the export to another one; a worker told to stop hands its
export back or finishes it.
"""

from __future__ import annotations

import gzip
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import select, text

from exportd.datagen.seed import seed_organization
from exportd.datagen.spec import SeedResult, SeedSpec
from exportd.domain.resource_exports import parse_export_request
from exportd.exports.organization import organization_objects
from exportd.exports.reader import snapshot
from exportd.exports.resource import resource_export_pages
from exportd.settings import Settings
from exportd.storage.s3 import S3Storage
from exportd.store import migrate
from exportd.store.database import Database
from exportd.store.schema import exports
from tests.conftest import _postgres_schema
from tests.e2e.server import Server
from tests.e2e.workers import Worker, owner_pid
from tests.integration.s3_server import S3Server

pytestmark = pytest.mark.postgres

PREFIX = "exportd"
LEASE = 2  # seconds: a dead worker's export is taken over about this soon
SMALL = [
    SeedSpec(seed=seed, users=6, teams=2, projects=3, tasks=60, stories_per_task=2,
             attachments_per_task=1, messages=10)
    for seed in range(11, 16)
]  # fmt: skip
LARGE = SeedSpec(
    seed=20, users=10, teams=2, projects=4, tasks=12000, stories_per_task=4,
    attachments_per_task=1, messages=20,
)  # fmt: skip
EVERY_KIND = [{"resource_type": "task"}, {"resource_type": "team"}, {"resource_type": "message"}]
TASKS = [{"resource_type": "task"}]

Row = Any  # a row of the `exports` table


@dataclass
class Deployment:
    """The processes, the store they share, and the organizations seeded in it."""

    home: Path
    env: dict[str, str]
    database: Database
    storage: S3Storage
    small: list[SeedResult]
    large: SeedResult
    apis: list[Server] = field(default_factory=list)
    workers: list[Worker] = field(default_factory=list)

    def start_worker(self, **env: str) -> Worker:
        number = len(self.workers) + 1
        log = self.home.parent / f"worker-{number}.log"
        worker = Worker(self.home, log, env={**self.env, **env})
        self.workers.append(worker)
        return worker

    def live_workers(self) -> list[Worker]:
        return [w for w in self.workers if w.process.poll() is None]

    def wait_for_workers(self, count: int, timeout: float = 60) -> None:
        """Until `count` workers are registered with procrastinate (so listening)."""
        query = text("SELECT count(*) FROM procrastinate_workers")
        until(lambda: self._scalar(query) >= count, timeout, f"{count} workers to register")

    def _scalar(self, query: Any) -> int:
        with self.database.read() as connection:
            return int(connection.execute(query).scalar_one())

    def row(self, gid: int) -> Row:
        with self.database.read() as connection:
            return connection.execute(select(exports).where(exports.c.gid == gid)).one()

    def api(self, number: int) -> str:
        return f"{self.apis[number % len(self.apis)].url}/api/1.0"


def until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"waited {timeout}s for {what}"
        time.sleep(0.05)


def bearer(seeded: SeedResult) -> dict[str, str]:
    return {"Authorization": f"Bearer {seeded.service_account_token}"}


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    home = tmp_path_factory.mktemp("deployment") / "exportd-data"
    with contextmanager(_postgres_schema)() as database_url, S3Server() as s3:
        client = s3.client()
        bucket = f"exportd-{uuid.uuid4().hex[:16]}"
        client.create_bucket(Bucket=bucket)
        settings = Settings.load(home=home, database_url=database_url)
        database = Database(settings.database_url)
        migrate.upgrade(database)
        deployment = Deployment(
            home=home,
            env={
                "EXPORTD_DATABASE_URL": database_url,
                "EXPORTD_QUEUE": "procrastinate",
                "EXPORTD_STORAGE_URL": f"s3://{bucket}/{PREFIX}",
                "EXPORTD_JOB_LEASE": str(LEASE),
                **s3.environment(),
            },
            database=database,
            storage=S3Storage(bucket, PREFIX, client),
            small=[seed_organization(database, spec) for spec in SMALL],
            large=seed_organization(database, LARGE),
        )
        try:
            for node in (1, 2):
                quiet = {"EXPORTD_NODE_ID": str(node), "EXPORTD_LOG_LEVEL": "warning"}
                api = Server(home, "--workers", "0", env={**deployment.env, **quiet})
                deployment.apis.append(api)
            deployment.start_worker()
            deployment.start_worker()
            for api in deployment.apis:
                api.wait_until_ready()
            deployment.wait_for_workers(2)
            yield deployment
        finally:
            for worker in deployment.workers:
                worker.stop()
            for api in deployment.apis:
                api.stop()
            database.dispose()


# -- what the API says, and what the engine says the files must hold --------------------


def request_organization_export(deployment: Deployment, api: int, seeded: SeedResult) -> int:
    response = httpx.post(
        f"{deployment.api(api)}/organization_exports",
        json={"data": {"organization": str(seeded.organization_gid)}},
        headers=bearer(seeded),
    )
    assert response.status_code == 201, response.text
    return int(response.json()["data"]["gid"])


def request_resource_export(
    deployment: Deployment, api: int, seeded: SeedResult, parts: list[dict[str, Any]]
) -> httpx.Response:
    body = {"workspace": str(seeded.organization_gid), "export_request_parameters": parts}
    return httpx.post(
        f"{deployment.api(api)}/exports/resource", json={"data": body}, headers=bearer(seeded)
    )


def wait_until_ended(deployment: Deployment, gids: list[int], timeout: float = 60) -> list[Row]:
    def ended() -> bool:
        return all(deployment.row(gid).state in ("finished", "error") for gid in gids)

    until(ended, timeout, f"exports {gids} to end")
    return [deployment.row(gid) for gid in gids]


def download(deployment: Deployment, api: int, row: Row, seeded: SeedResult) -> list[bytes]:
    """The file of a finished export, through the link the API hands out (presigned)."""
    if row.kind == "organization":
        path = f"organization_exports/{row.gid}"
    else:
        path = f"jobs/{row.job_gid}"
    data = httpx.get(f"{deployment.api(api)}/{path}", headers=bearer(seeded)).json()["data"]
    url = data["download_url"] if row.kind == "organization" else (
        data["new_resource_export"]["download_url"]
    )  # fmt: skip
    assert url.startswith(deployment.env["EXPORTD_S3_ENDPOINT_URL"]), url
    response = httpx.get(url, timeout=60)
    assert response.status_code == 200, response.text
    return sorted(gzip.decompress(response.content).splitlines())


def organization_lines(deployment: Deployment, seeded: SeedResult) -> list[bytes]:
    with snapshot(deployment.database) as connection:
        objects = organization_objects(connection, seeded.organization_gid)
        return sorted(orjson.dumps(o) for o in objects)


def resource_lines(
    deployment: Deployment, seeded: SeedResult, parts: list[dict[str, Any]]
) -> list[bytes]:
    request = parse_export_request(parts)
    with snapshot(deployment.database) as connection:
        pages = resource_export_pages(connection, seeded.organization_gid, request)
        return sorted(orjson.dumps(o) for _, page in pages for o in page)


def running_on(deployment: Deployment, gid: int, timeout: float = 60) -> Row:
    """The export's row once a worker is writing it (progress is recorded)."""
    until(
        lambda: deployment.row(gid).state == "started" and deployment.row(gid).progress_objects > 0,
        timeout,
        f"export {gid} to be written",
    )
    return deployment.row(gid)


def stored_objects(deployment: Deployment) -> list[str]:
    storage = deployment.storage
    listed = storage.client.list_objects_v2(Bucket=storage.bucket)
    return sorted(item["Key"] for item in listed.get("Contents", []))


# -- the tests, in the order they run on the one deployment ------------------------------


def test_exports_of_both_kinds_across_organizations_run_on_the_workers(
    deployment: Deployment,
) -> None:
    requested: list[tuple[int, SeedResult]] = []
    for number, seeded in enumerate(deployment.small):
        requested.append((request_organization_export(deployment, number, seeded), seeded))
        response = request_resource_export(deployment, number + 1, seeded, EVERY_KIND)
        assert response.status_code == 201, response.text
        export_gid = int(response.json()["data"]["new_resource_export"]["gid"])
        requested.append((export_gid, seeded))

    rows = wait_until_ended(deployment, [gid for gid, _ in requested])

    assert [row.state for row in rows] == ["finished"] * len(requested)
    worker_pids = {worker.pid for worker in deployment.workers}
    assert {owner_pid(row.lease_owner) for row in rows} <= worker_pids
    for number, (row, (_, seeded)) in enumerate(zip(rows, requested, strict=True)):
        lines = download(deployment, number, row, seeded)
        if row.kind == "organization":
            assert lines == organization_lines(deployment, seeded)
        else:
            assert lines == resource_lines(deployment, seeded, EVERY_KIND)
        assert len(lines) == row.line_count


def test_concurrent_requests_for_one_workspace_over_both_apis_accept_one(
    deployment: Deployment,
) -> None:
    seeded, requests = deployment.large, 8
    start = threading.Barrier(requests)

    def post(number: int) -> httpx.Response:
        start.wait()
        return request_resource_export(deployment, number, seeded, TASKS)

    with ThreadPoolExecutor(requests) as pool:
        responses = list(pool.map(post, range(requests)))

    assert Counter(r.status_code for r in responses) == {201: 1, 403: requests - 1}
    accepted = next(r for r in responses if r.status_code == 201).json()["data"]
    refused = next(r for r in responses if r.status_code == 403).json()
    assert "already in progress" in refused["errors"][0]["message"]
    gid = int(accepted["new_resource_export"]["gid"])
    (row,) = wait_until_ended(deployment, [gid])
    assert (row.state, row.line_count) == ("finished", seeded.counts["tasks"])


def test_a_worker_killed_mid_export_leaves_it_to_another(deployment: Deployment) -> None:
    seeded = deployment.large
    gid = request_organization_export(deployment, 0, seeded)
    row = running_on(deployment, gid)
    (victim,) = [w for w in deployment.workers if w.pid == owner_pid(row.lease_owner)]

    victim.kill()

    assert (deployment.row(gid).state, deployment.row(gid).attempts) == ("started", 1)
    (row,) = wait_until_ended(deployment, [gid], timeout=90)
    assert (row.state, row.attempts) == ("finished", 2)
    assert owner_pid(row.lease_owner) in {w.pid for w in deployment.live_workers()}
    assert download(deployment, 1, row, seeded) == organization_lines(deployment, seeded)

    # Only published files are objects; the killed attempt's upload, if it had begun,
    # goes at the sweep after its grace period.
    with deployment.database.read() as connection:
        files = connection.execute(select(exports.c.file_key).where(exports.c.state == "finished"))
        published = sorted(f"{PREFIX}/{key}" for (key,) in files)
    assert stored_objects(deployment) == published
    later = datetime.now(UTC) + timedelta(hours=2)
    deployment.storage.sweep_temporary(older_than=later)
    uploads = deployment.storage.client.list_multipart_uploads(Bucket=deployment.storage.bucket)
    assert uploads.get("Uploads", []) == []


def test_sigterm_hands_the_export_back_or_finishes_it(deployment: Deployment) -> None:
    # One worker at a time, so the test knows which one runs the export.
    for worker in deployment.live_workers():
        worker.terminate()
        assert worker.wait() == 0, worker.output
    handing_back = deployment.start_worker(EXPORTD_STOP_TIMEOUT="0")
    seeded = deployment.large
    gid = request_organization_export(deployment, 0, seeded)
    assert owner_pid(running_on(deployment, gid).lease_owner) == handing_back.pid

    handing_back.terminate()

    assert handing_back.wait(30) == 0, handing_back.output
    assert f"export {gid} handed back" in handing_back.output
    row = deployment.row(gid)
    assert (row.state, row.attempts, row.lease_owner) == ("pending", 0, None)

    finishing = deployment.start_worker(EXPORTD_STOP_TIMEOUT="60")
    assert owner_pid(running_on(deployment, gid).lease_owner) == finishing.pid

    finishing.terminate()

    assert finishing.wait(90) == 0, finishing.output
    row = deployment.row(gid)
    assert (row.state, row.attempts) == ("finished", 1)  # the handed-back attempt is not counted
    assert owner_pid(row.lease_owner) == finishing.pid
    lines = download(deployment, 0, row, seeded)
    assert len(lines) == row.line_count == len(organization_lines(deployment, seeded))
