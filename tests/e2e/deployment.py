"""The scaled-out deployment of docs/deploy.md, for real: processes on loopback.

Two `exportd serve --workers 0` processes and `exportd worker` processes share one
PostgreSQL schema (`EXPORTD_QUEUE=procrastinate`) and one bucket on a local S3-compatible
server, which a test may stop and start again (an outage). `deploy()` starts it all and
takes it all down again; a test module seeds what it needs and keeps it in `seeded`.

Every process connects to PostgreSQL under its own `application_name` (libpq's
`PGAPPNAME`), so a test can find one process's sessions in `pg_stat_activity`.
"""

from __future__ import annotations

import gzip
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import httpx
import orjson
from sqlalchemy import select, text

from exportd.datagen.spec import SeedResult
from exportd.domain.resource_exports import parse_export_request
from exportd.exports.organization import organization_objects
from exportd.exports.resource import resource_export_objects
from exportd.settings import Settings
from exportd.storage.s3 import S3Storage
from exportd.store import migrate
from exportd.store.database import Database
from exportd.store.schema import exports
from tests.conftest import _postgres_schema
from tests.e2e.server import Server
from tests.e2e.workers import Worker, owner_pid
from tests.integration.s3_server import S3Server
from tests.polling import until

PREFIX = "exportd"
LEASE = 2  # seconds: a dead worker's export is taken over about this soon

Row = Any  # a row of the `exports` table
Seeded = TypeVar("Seeded")


@dataclass
class Deployment(Generic[Seeded]):
    """The processes, the store and S3 server they share, and what the test seeded."""

    home: Path
    env: dict[str, str]
    database: Database
    storage: S3Storage
    s3: S3Server
    seeded: Seeded
    apis: list[Server] = field(default_factory=list)
    workers: list[Worker] = field(default_factory=list)

    def start_worker(self, **env: str) -> Worker:
        number = len(self.workers) + 1
        log = self.home.parent / f"worker-{number}.log"
        name = {"PGAPPNAME": f"exportd-worker-{number}"}
        worker = Worker(self.home, log, env={**self.env, **name, **env})
        self.workers.append(worker)
        return worker

    def live_workers(self) -> list[Worker]:
        return [w for w in self.workers if w.process.poll() is None]

    def worker_of(self, row: Row) -> Worker:
        """The worker process holding the lease of an export's row."""
        (worker,) = [w for w in self.workers if w.pid == owner_pid(row.lease_owner)]
        return worker

    def wait_for_workers(self, count: int, timeout: float = 60) -> None:
        """Until `count` workers are registered with procrastinate (so listening)."""
        query = text("SELECT count(*) FROM procrastinate_workers")
        until(lambda: self._scalar(query) >= count, timeout, f"{count} workers to register")

    def _scalar(self, query: Any, **params: Any) -> int:
        with self.database.read() as connection:
            return int(connection.execute(query, params).scalar_one())

    def row(self, gid: int) -> Row:
        with self.database.read() as connection:
            return connection.execute(select(exports).where(exports.c.gid == gid)).one()

    def api(self, number: int) -> str:
        return f"{self.apis[number % len(self.apis)].url}/api/1.0"

    def object_name(self, gid: int) -> str:
        """The bucket key of an organization export's file."""
        return self.storage.object_key(f"exports/{gid}.json.gz")

    def uploads(self, prefix: str = PREFIX) -> list[tuple[str, str]]:
        """(key, upload id) of every multipart upload in progress under `prefix`."""
        storage = self.storage
        listed = storage.client.list_multipart_uploads(Bucket=storage.bucket, Prefix=prefix)
        return [(upload["Key"], upload["UploadId"]) for upload in listed.get("Uploads", [])]

    def parts(self, name: str, upload_id: str) -> int:
        """How many parts a multipart upload has received (0 once it is gone)."""
        storage = self.storage
        try:
            listed = storage.client.list_parts(Bucket=storage.bucket, Key=name, UploadId=upload_id)
        except storage.client.exceptions.NoSuchUpload:
            return 0
        return len(listed.get("Parts", []))

    def terminate_sessions(self, worker: Worker) -> int:
        """End every PostgreSQL session of `worker` (`pg_terminate_backend`), as a database
        restart or a cut network would; how many there were."""
        query = text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = :name"
        )
        return self._scalar(query, name=worker.env["PGAPPNAME"])


def bearer(seeded: SeedResult) -> dict[str, str]:
    return {"Authorization": f"Bearer {seeded.service_account_token}"}


@contextmanager
def deploy(
    home: Path,
    seed: Callable[[Database], Seeded],
    workers: int = 2,
    env: Mapping[str, str] | None = None,
) -> Iterator[Deployment[Seeded]]:
    """Two API processes and `workers` workers on a fresh PostgreSQL schema and bucket,
    with `seed(database)` run first; everything is stopped and removed afterwards. `env`
    adds settings for every process."""
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
                "EXPORTD_RETRY_DELAY": "1",  # retries after 1 s, then 4 s
                **s3.environment(),
                **(env or {}),
            },
            database=database,
            storage=S3Storage(bucket, PREFIX, client),
            s3=s3,
            seeded=seed(database),
        )
        try:
            for node in (1, 2):
                quiet = {
                    "EXPORTD_NODE_ID": str(node),
                    "EXPORTD_LOG_LEVEL": "warning",
                    "PGAPPNAME": f"exportd-api-{node}",
                }
                api = Server(home, "--workers", "0", env={**deployment.env, **quiet})
                deployment.apis.append(api)
            for _ in range(workers):
                deployment.start_worker()
            for api in deployment.apis:
                api.wait_until_ready()
            deployment.wait_for_workers(workers)
            yield deployment
        finally:
            for worker in deployment.workers:
                worker.stop()
            for api in deployment.apis:
                api.stop()
            database.dispose()


# -- what the API says, and what the engine says the files must hold --------------------


def request_organization_export(deployment: Deployment[Any], api: int, seeded: SeedResult) -> int:
    response = httpx.post(
        f"{deployment.api(api)}/organization_exports",
        json={"data": {"organization": str(seeded.organization_gid)}},
        headers=bearer(seeded),
    )
    assert response.status_code == 201, response.text
    return int(response.json()["data"]["gid"])


def request_resource_export(
    deployment: Deployment[Any], api: int, seeded: SeedResult, parts: list[dict[str, Any]]
) -> httpx.Response:
    body = {"workspace": str(seeded.organization_gid), "export_request_parameters": parts}
    return httpx.post(
        f"{deployment.api(api)}/exports/resource", json={"data": body}, headers=bearer(seeded)
    )


def wait_until_ended(
    deployment: Deployment[Any], gids: list[int], timeout: float = 60
) -> list[Row]:
    def ended() -> bool:
        return all(deployment.row(gid).state in ("finished", "error") for gid in gids)

    until(ended, timeout, f"exports {gids} to end")
    return [deployment.row(gid) for gid in gids]


def download(deployment: Deployment[Any], api: int, row: Row, seeded: SeedResult) -> list[bytes]:
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


def organization_lines(deployment: Deployment[Any], seeded: SeedResult) -> list[bytes]:
    objects = organization_objects(deployment.database, seeded.organization_gid)
    return sorted(orjson.dumps(o) for o in objects)


def resource_lines(
    deployment: Deployment[Any], seeded: SeedResult, parts: list[dict[str, Any]]
) -> list[bytes]:
    request = parse_export_request(parts)
    objects = resource_export_objects(deployment.database, seeded.organization_gid, request)
    return sorted(orjson.dumps(o) for o in objects)


def running_on(deployment: Deployment[Any], gid: int, timeout: float = 60) -> Row:
    """The export's row once a worker is writing it (progress is recorded)."""
    until(
        lambda: deployment.row(gid).state == "started" and deployment.row(gid).progress_objects > 0,
        timeout,
        f"export {gid} to be written",
    )
    return deployment.row(gid)


def stored_objects(deployment: Deployment[Any]) -> list[str]:
    storage = deployment.storage
    listed = storage.client.list_objects_v2(Bucket=storage.bucket)
    return sorted(item["Key"] for item in listed.get("Contents", []))


def published_objects(deployment: Deployment[Any]) -> list[str]:
    """The bucket keys of every finished export's file, as the `exports` table has them."""
    with deployment.database.read() as connection:
        files = connection.execute(select(exports.c.file_key).where(exports.c.state == "finished"))
        return sorted(deployment.storage.object_key(key) for (key,) in files)
