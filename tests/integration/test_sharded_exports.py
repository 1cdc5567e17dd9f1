"""Sharded resource exports, on SQLite and PostgreSQL: one export split across processes
is joined into exactly the unsplit file, from one snapshot, with nothing left behind."""

from __future__ import annotations

import base64
import gzip
import hashlib
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from exportd import compose
from exportd.datagen.seed import seed_organization
from exportd.datagen.spec import SeedResult, SeedSpec
from exportd.domain.jobs import ExportJob
from exportd.domain.resource_exports import ResourceExportRequest, parse_export_request
from exportd.exports import shards
from exportd.exports.context import Export
from exportd.exports.jsonl import encode_page
from exportd.exports.reader import snapshot
from exportd.exports.resource import Slice, resource_export_objects
from exportd.jobs import WorkerPool
from exportd.jobs.context import JobCancelled, JobContext, JobOutcome
from exportd.jobs.handlers import HANDLERS, export_resources
from exportd.runtime import Runtime
from exportd.settings import Settings
from exportd.storage.local import LocalStorage
from exportd.store.schema import tasks
from tests.conftest import LiveServer
from tests.integration.s3_server import REGION, S3Server
from tests.integration.test_resource_export_engine import new_job, run_job
from tests.integration.test_resource_exports import request, wait

SPEC = SeedSpec(
    seed=8, users=8, teams=3, projects=4, tasks=300, stories_per_task=2,
    attachments_per_task=1, messages=20,
)  # fmt: skip
MIXED: list[dict[str, Any]] = [
    {"resource_type": "team"},
    {"resource_type": "task", "filters": {"created_at.after": "2023-06-01T00:00:00Z"}},
    {"resource_type": "task"},
    {"resource_type": "message"},
]  # the largest task part is the third: a part before it, and one after


@pytest.fixture
def sharded(settings: Settings) -> Iterator[Runtime]:
    """A runtime that splits task exports of 50 tasks or more in up to 3 shards."""
    split = {"export_shards": 3, "export_shard_min_tasks": 50}
    runtime = compose.open_runtime(settings.model_copy(update=split))
    runtime.migrate()
    yield runtime
    runtime.close()


@pytest.fixture
def seeded(sharded: Runtime) -> SeedResult:
    return seed_organization(sharded.database, SPEC)


def unsplit(runtime: Runtime, seeded: SeedResult, request: ResourceExportRequest) -> bytes:
    objects = resource_export_objects(runtime.database, seeded.organization_gid, request)
    return encode_page(objects)


def run(
    runtime: Runtime, seeded: SeedResult, parameters: list[Any]
) -> tuple[ExportJob, JobOutcome, list[int]]:
    """Run the resource handler on a new job for `parameters`; what it returned."""
    job, outcome, progress = run_job(
        runtime, seeded, parse_export_request(parameters).to_parameters()
    )
    return job, outcome, progress


def local(runtime: Runtime) -> LocalStorage:
    assert isinstance(runtime.storage, LocalStorage)
    return runtime.storage


def published(runtime: Runtime, outcome: JobOutcome) -> bytes:
    """The file's content: gzip members, decompressed as one stream."""
    return gzip.decompress(local(runtime).path(outcome.file_key).read_bytes())


def test_the_plan_cuts_the_largest_task_part_and_keeps_the_file_order(
    sharded: Runtime, seeded: SeedResult
) -> None:
    request = parse_export_request(MIXED)
    with snapshot(sharded.database) as connection:
        export = Export.open(connection, seeded.organization_gid)
        plan = shards.plan(export, request, 3, 50)
        joined = b"".join(
            encode_page(
                resource_export_objects(
                    sharded.database, seeded.organization_gid, request, slices=shard
                )
            )
            for shard in plan
        )
        assert shards.plan(export, request, 3, 301) == [tuple(Slice(part) for part in range(4))]
    assert len(plan) == 3
    first, middle, last = plan
    assert [piece.part for piece in first] == [0, 1, 2]
    assert [piece.part for piece in middle] == [2]
    assert [piece.part for piece in last] == [2, 3]
    assert (first[-1].start, last[0].stop) == (None, None)
    assert (first[-1].stop, middle[0].stop) == (middle[0].start, last[0].start)
    assert joined == unsplit(sharded, seeded, request)


def test_a_sharded_job_publishes_exactly_the_unsplit_file(
    sharded: Runtime, seeded: SeedResult
) -> None:
    job, outcome, progress = run(sharded, seeded, MIXED)
    expected = unsplit(sharded, seeded, parse_export_request(MIXED))
    content = published(sharded, outcome)
    assert content == expected
    assert outcome.line_count == expected.count(b"\n") == progress[-1]
    assert outcome.file_key == f"exports/{job.gid}.jsonl.gz"
    assert outcome.file_size == sharded.storage.stat(outcome.file_key).size  # type: ignore[union-attr]
    leftovers = [
        key
        for number in range(3)
        if sharded.storage.stat(key := f"exports/{job.gid}.shard-{number}.jsonl.gz") is not None
    ]
    assert leftovers == []


def test_every_shard_reads_the_same_snapshot_while_writers_go_on(
    sharded: Runtime, seeded: SeedResult
) -> None:
    """A writer renames every task in each of its transactions; a file mixing snapshots
    would show two names."""
    stop, versions = threading.Event(), [0]

    def rename_all() -> None:
        while not stop.is_set():
            versions[0] += 1
            with sharded.database.write() as connection:
                connection.execute(
                    update(tasks)
                    .where(tasks.c.workspace_gid == seeded.organization_gid)
                    .values(name=f"version {versions[0]}")
                )

    writer = threading.Thread(target=rename_all)
    writer.start()
    try:
        _, outcome, _ = run(sharded, seeded, [{"resource_type": "task", "fields": ["name"]}])
    finally:
        stop.set()
        writer.join()
    lines = published(sharded, outcome).splitlines()
    assert len(lines) == SPEC.tasks
    assert len({line.split(b'"name":')[1] for line in lines}) == 1
    assert versions[0] > 3  # the writer went on during the export


def test_a_cancelled_sharded_export_stops_its_shards_and_leaves_nothing(
    sharded: Runtime, seeded: SeedResult
) -> None:
    request = parse_export_request([{"resource_type": "task"}])
    job = new_job(sharded, seeded, request.to_parameters())
    cancelled = threading.Event()
    cancelled.set()
    with pytest.raises(JobCancelled):
        export_resources(JobContext(job, sharded, lambda _: None, cancelled))
    assert [path.name for path in local(sharded).root.rglob("*") if path.is_file()] == []


def test_a_sharded_export_to_s3_is_joined_in_the_bucket(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each shard process uploads its own object; the bucket joins them, and they go."""
    with S3Server() as s3:
        for name, value in s3.environment().items():
            monkeypatch.setenv(name, value)  # the shard processes read them too
        client = s3.client()
        bucket = f"shards-{uuid.uuid4().hex[:12]}"  # moto's buckets outlive its server
        client.create_bucket(Bucket=bucket)
        update = {
            "export_shards": 3,
            "export_shard_min_tasks": 50,
            "storage_url": f"s3://{bucket}/tenant",
            "s3_endpoint_url": s3.url,
            "s3_region": REGION,
        }
        runtime = compose.open_runtime(settings.model_copy(update=update))
        runtime.migrate()
        try:
            seeded = seed_organization(runtime.database, SPEC)
            job, outcome, _ = run(runtime, seeded, MIXED)
            expected = unsplit(runtime, seeded, parse_export_request(MIXED))
        finally:
            runtime.close()
        data = client.get_object(Bucket=bucket, Key=f"tenant/{outcome.file_key}")["Body"].read()
        assert gzip.decompress(data) == expected
        assert outcome.file_sha256 == hashlib.sha256(data).hexdigest()  # of the joined object
        listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
        assert [item["Key"] for item in listed] == [f"tenant/exports/{job.gid}.jsonl.gz"]
        assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


@pytest.fixture
def served(_session_server: LiveServer, sharded: Runtime) -> LiveServer:
    return _session_server.use(sharded)


def test_a_sharded_export_through_the_sdk_downloads_as_one_file(
    served: LiveServer, sharded: Runtime, seeded: SeedResult
) -> None:
    """What a user sees: the job succeeds and the one file behind the download link is the
    unsplit export."""
    pool = WorkerPool(sharded, HANDLERS, workers=1, poll_interval=0.05)
    pool.start()
    try:
        sdk = served.sdk(seeded.service_account_token)
        job = request(sdk, seeded.organization_gid, *MIXED)
        done = wait(sdk, job["gid"])
    finally:
        pool.stop(timeout=30)
    assert done["status"] == "succeeded"
    response = httpx.get(done["new_resource_export"]["download_url"], timeout=30)
    assert response.status_code == 200
    digest = base64.b64encode(hashlib.sha256(response.content).digest()).decode()
    assert response.headers["repr-digest"] == f"sha-256=:{digest}:"  # of the joined file
    assert gzip.decompress(response.content) == unsplit(
        sharded, seeded, parse_export_request(MIXED)
    )
