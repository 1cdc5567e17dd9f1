"""The scaled-out deployment of docs/deploy.md, for real: processes on loopback.

Two `exportd serve --workers 0` processes and two `exportd worker` processes share one
PostgreSQL schema (`EXPORTD_QUEUE=procrastinate`) and one bucket on a local S3-compatible
server. Exports of both kinds across several organizations run at once on the workers and
download correct; the one-export-per-workspace rule holds across both API processes; a
worker killed mid-export leaves the export to another one; a worker told to stop hands its
export back or finishes it.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import text

from exportd.datagen.seed import seed_organization
from exportd.datagen.spec import SeedResult, SeedSpec
from exportd.store.database import Database
from tests.e2e.deployment import (
    Deployment,
    deploy,
    download,
    organization_lines,
    published_objects,
    request_organization_export,
    request_resource_export,
    resource_lines,
    running_on,
    stored_objects,
    wait_until_ended,
)
from tests.e2e.workers import owner_pid
from tests.polling import until

pytestmark = pytest.mark.postgres

SMALL = [
    SeedSpec(seed=seed, users=6, teams=2, projects=3, tasks=60, stories_per_task=2,
             attachments_per_task=1, messages=10)
    for seed in range(11, 16)
]  # fmt: skip
LARGE = SeedSpec(
    seed=20, users=10, teams=2, projects=4, tasks=12000, stories_per_task=4,
    attachments_per_task=1, messages=20,
)  # fmt: skip
SHARDED = {"EXPORTD_EXPORT_SHARDS": "2", "EXPORTD_EXPORT_SHARD_MIN_TASKS": "5000"}
"""Task exports of LARGE are split in two shards on the worker that runs them."""
EVERY_KIND = [{"resource_type": "task"}, {"resource_type": "team"}, {"resource_type": "message"}]
TASKS = [{"resource_type": "task"}]


@dataclass(frozen=True)
class Organizations:
    small: list[SeedResult]
    large: SeedResult


def seed(database: Database) -> Organizations:
    return Organizations(
        small=[seed_organization(database, spec) for spec in SMALL],
        large=seed_organization(database, LARGE),
    )


Deployed = Deployment[Organizations]


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    home = tmp_path_factory.mktemp("deployment") / "exportd-data"
    with deploy(home, seed, env=SHARDED) as deployment:
        yield deployment


# -- the tests, in the order they run on the one deployment ------------------------------


def test_exports_of_both_kinds_across_organizations_run_on_the_workers(
    deployment: Deployed,
) -> None:
    requested: list[tuple[int, SeedResult]] = []
    for number, seeded in enumerate(deployment.seeded.small):
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
    deployment: Deployed,
) -> None:
    seeded, requests = deployment.seeded.large, 8
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


def test_a_large_task_export_is_sharded_on_its_worker_and_joined_in_the_bucket(
    deployment: Deployed,
) -> None:
    seeded = deployment.seeded.large
    response = request_resource_export(deployment, 1, seeded, TASKS)
    assert response.status_code == 201, response.text
    gid = int(response.json()["data"]["new_resource_export"]["gid"])

    (row,) = wait_until_ended(deployment, [gid], timeout=90)

    assert row.state == "finished"
    assert f"export {gid}: 2 shards started" in deployment.worker_of(row).output
    lines = download(deployment, 0, row, seeded)
    assert lines == resource_lines(deployment, seeded, TASKS)
    assert len(lines) == row.line_count == seeded.counts["tasks"]
    assert stored_objects(deployment) == published_objects(deployment)  # shard objects gone
    uploads = deployment.storage.client.list_multipart_uploads(Bucket=deployment.storage.bucket)
    assert uploads.get("Uploads", []) == []


def test_a_worker_killed_mid_export_leaves_it_to_another(deployment: Deployed) -> None:
    seeded = deployment.seeded.large
    gid = request_organization_export(deployment, 0, seeded)
    row = running_on(deployment, gid)
    victim = deployment.worker_of(row)

    victim.kill()

    assert (deployment.row(gid).state, deployment.row(gid).attempts) == ("started", 1)
    (row,) = wait_until_ended(deployment, [gid], timeout=90)
    assert (row.state, row.attempts) == ("finished", 2)
    assert owner_pid(row.lease_owner) in {w.pid for w in deployment.live_workers()}
    assert download(deployment, 1, row, seeded) == organization_lines(deployment, seeded)

    # Only published files are objects; the killed attempt's upload, if it had begun,
    # goes at the sweep after its grace period.
    assert stored_objects(deployment) == published_objects(deployment)
    later = datetime.now(UTC) + timedelta(hours=2)
    deployment.storage.sweep_temporary(older_than=later)
    uploads = deployment.storage.client.list_multipart_uploads(Bucket=deployment.storage.bucket)
    assert uploads.get("Uploads", []) == []


def test_sigterm_hands_the_export_back_or_finishes_it(deployment: Deployed) -> None:
    # One worker at a time, so the test knows which one runs the export.
    for worker in deployment.live_workers():
        worker.terminate()
        assert worker.wait() == 0, worker.output
    seeded = deployment.seeded.large
    # While the test holds the stories table, an export that reaches its stories waits
    # there: it cannot end before the signal, however fast the engine is.
    with holding_stories(deployment):
        handing_back = deployment.start_worker(EXPORTD_STOP_TIMEOUT="0")
        gid = request_organization_export(deployment, 0, seeded)
        assert owner_pid(running_on(deployment, gid).lease_owner) == handing_back.pid

        handing_back.terminate()

        until(lambda: deployment.row(gid).state == "pending", 30, f"export {gid} handed back")
    assert handing_back.wait(30) == 0, handing_back.output
    assert f"export {gid} handed back" in handing_back.output
    row = deployment.row(gid)
    assert (row.state, row.attempts, row.lease_owner) == ("pending", 0, None)

    with holding_stories(deployment) as release:
        finishing = deployment.start_worker(EXPORTD_STOP_TIMEOUT="60")
        assert owner_pid(running_on(deployment, gid).lease_owner) == finishing.pid

        finishing.terminate()
        release()

        assert finishing.wait(90) == 0, finishing.output
    row = deployment.row(gid)
    assert (row.state, row.attempts) == ("finished", 1)  # the handed-back attempt is not counted
    assert owner_pid(row.lease_owner) == finishing.pid
    lines = download(deployment, 0, row, seeded)
    assert len(lines) == row.line_count == len(organization_lines(deployment, seeded))


@contextmanager
def holding_stories(deployment: Deployed) -> Iterator[Callable[[], None]]:
    """Lock the stories table until `release()` or the end of the block."""
    connection = deployment.database.engine.connect()
    transaction = connection.begin()
    connection.execute(text("LOCK TABLE stories IN ACCESS EXCLUSIVE MODE"))

    def release() -> None:
        if transaction.is_active:
            transaction.rollback()

    try:
        yield release
    finally:
        release()
        connection.close()
