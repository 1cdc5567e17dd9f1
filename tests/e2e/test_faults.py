"""Faults in the scaled-out deployment, with real processes: a worker loses storage or the
database in the middle of an export.

The organization is large enough that its file takes two multipart parts (parts are
8 MiB), so each fault strikes once a part is in the bucket and an upload is there to
clean up. Whatever the fault, the export ends — `finished` with a correct file once the
fault is over, or `error` with a reason — and leaves no multipart upload and no object
behind.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import httpx
import orjson
import pytest
from sqlalchemy import text

from exportd.datagen.seed import seed_organization
from exportd.datagen.spec import SeedResult, SeedSpec
from exportd.store.database import Database
from tests.e2e.deployment import (
    Deployment,
    bearer,
    deploy,
    download,
    published_objects,
    request_organization_export,
    stored_objects,
    wait_until_ended,
)
from tests.polling import until

pytestmark = pytest.mark.postgres

BIG = SeedSpec(
    seed=30, users=10, teams=2, projects=4, tasks=30000, stories_per_task=4,
    attachments_per_task=1, messages=20,
)  # fmt: skip
"""About 15 MiB compressed: one full part, then the rest sent when the file is published."""

Deployed = Deployment[SeedResult]


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    def seed(database: Database) -> SeedResult:
        return seed_organization(database, BIG)

    with deploy(tmp_path_factory.mktemp("faults") / "exportd-data", seed) as deployment:
        yield deployment


def first_part_sent(deployment: Deployed, gid: int, timeout: float = 120) -> str:
    """The id of the export's multipart upload once it holds a part."""
    name = deployment.object_name(gid)
    found: list[str] = []

    def sent() -> bool:
        found[:] = [u for key, u in deployment.uploads(name) if deployment.parts(key, u) >= 1]
        return bool(found)

    until(sent, timeout, f"a part of export {gid} to be uploaded")
    (upload_id,) = found
    return upload_id


def messages_in_flight(deployment: Deployed) -> int:
    """procrastinate's `run_export` messages not yet done."""
    query = text(
        "SELECT count(*) FROM procrastinate_jobs "
        "WHERE task_name = 'exportd.run_export' AND status IN ('todo', 'doing')"
    )
    with deployment.database.read() as connection:
        return int(connection.execute(query).scalar_one())


def logs(deployment: Deployed) -> str:
    return "\n".join(f"--- {w.log.name}\n{w.output}" for w in deployment.workers)


def test_a_storage_outage_fails_the_export_and_its_upload_is_aborted(
    deployment: Deployed,
) -> None:
    seeded = deployment.seeded
    gid = request_organization_export(deployment, 0, seeded)
    first_part_sent(deployment, gid)

    deployment.s3.stop()
    try:
        (row,) = wait_until_ended(deployment, [gid], timeout=180)
    finally:
        deployment.s3.start()

    assert (row.state, row.attempts, row.file_key) == ("error", 3, None), logs(deployment)
    assert "StorageError" in row.error_reason, row.error_reason
    assert "S3" in row.error_reason, row.error_reason
    assert "(attempt 3 of 3)" in row.error_reason, row.error_reason
    answer = httpx.get(
        f"{deployment.api(1)}/organization_exports/{gid}", headers=bearer(seeded)
    ).json()["data"]
    assert answer["state"] == "error"
    assert answer.get("download_url") is None
    # The attempt that had parts in the bucket could not abort its upload while S3 was down;
    # its worker keeps trying and does it soon after S3 is back.
    until(lambda: deployment.uploads() == [], 60, "the failed attempt's upload to be aborted")
    assert deployment.object_name(gid) not in stored_objects(deployment)
    assert stored_objects(deployment) == published_objects(deployment)


def test_a_worker_losing_the_database_fails_the_attempt_and_the_export_is_retried(
    deployment: Deployed,
) -> None:
    seeded = deployment.seeded
    gid = request_organization_export(deployment, 1, seeded)
    upload_id = first_part_sent(deployment, gid)
    victim = deployment.worker_of(deployment.row(gid))

    assert deployment.terminate_sessions(victim) >= 1

    # The attempt fails at its next read; its upload is aborted at once (S3 is up).
    name = deployment.object_name(gid)
    until(
        lambda: upload_id not in {u for _, u in deployment.uploads(name)},
        30,
        "the failed attempt's upload to be aborted",
    )
    (row,) = wait_until_ended(deployment, [gid], timeout=180)
    assert (row.state, row.attempts) == ("finished", 2), logs(deployment)
    assert f"export {gid} failed, will be retried in 0:00:01: OperationalError" in victim.output
    # The file is whole and holds nothing of the failed attempt (comparing it with the
    # engine's objects, as test_workers does, would cost this many lines ~20 s here).
    lines = download(deployment, 0, row, seeded)
    assert len(lines) == len(set(lines)) == row.line_count == row.progress_objects
    kinds = Counter(orjson.loads(line)["resource_type"] for line in lines)
    assert (kinds["workspace"], kinds["task"]) == (1, seeded.counts["tasks"])
    assert deployment.uploads() == []
    assert stored_objects(deployment) == published_objects(deployment)
    # The victim reconnected (procrastinate's pool checks its connections, SQLAlchemy's
    # pings them) rather than dying with its sessions, and no message is left in flight.
    assert deployment.live_workers() == deployment.workers, logs(deployment)
    until(lambda: messages_in_flight(deployment) == 0, 30, "the export's messages to be done")
