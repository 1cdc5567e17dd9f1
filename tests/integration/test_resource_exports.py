"""Resource exports and the jobs endpoint over real HTTP with the official SDK (R1 to R11)."""

from __future__ import annotations

import gzip
import threading
import time
from collections import Counter
from datetime import timedelta
from typing import Any

import asana
import httpx
import orjson
import pytest
from asana.rest import ApiException
from sqlalchemy import func, select, update

from exportd.clock import FrozenClock
from exportd.datagen.seed import seed_organization
from exportd.datagen.spec import SeedResult, SeedSpec
from exportd.jobs import WorkerPool
from exportd.jobs.maintenance import sweep_once
from exportd.runtime import Runtime
from exportd.store.schema import exports, tasks, workspaces
from tests.conftest import LiveServer

SMALL = SeedSpec(
    seed=4, users=6, teams=2, projects=3, tasks=50, stories_per_task=2,
    attachments_per_task=1, messages=10,
)  # fmt: skip


@pytest.fixture
def seeded(runtime: Runtime) -> SeedResult:
    return seed_organization(runtime.database, SMALL)


def request(api_client: asana.ApiClient, workspace: int, *parts: dict[str, Any]) -> dict[str, Any]:
    body = {"data": {"workspace": str(workspace), "export_request_parameters": list(parts)}}
    job: dict[str, Any] = asana.ExportsApi(api_client).create_resource_export(body)
    return job


def wait(api_client: asana.ApiClient, job_gid: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job: dict[str, Any] = asana.JobsApi(api_client).get_job(job_gid, {})
        if job["status"] in ("succeeded", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_gid} did not end in {timeout}s")


def lines_of(job: dict[str, Any]) -> list[dict[str, Any]]:
    url = job["new_resource_export"]["download_url"]
    response = httpx.get(url, timeout=30)
    assert response.status_code == 200
    assert response.headers["content-disposition"].endswith('.jsonl.gz"')
    return [orjson.loads(line) for line in gzip.decompress(response.content).splitlines()]


def test_every_resource_type_through_the_sdk(
    live_server: LiveServer, runtime: Runtime, seeded: SeedResult, workers: WorkerPool
) -> None:
    sdk = live_server.sdk(seeded.service_account_token)
    job = request(
        sdk,
        seeded.organization_gid,
        {"resource_type": "task"},
        {"resource_type": "team"},
        {"resource_type": "message"},
    )
    assert job["resource_type"] == "job"
    assert job["resource_subtype"] == "export_request"
    assert job["status"] == "not_started"
    export = job["new_resource_export"]
    assert export["resource_type"] == "resource_export"
    assert export["download_url"] is None
    assert export["completed_at"] is None

    done = wait(sdk, job["gid"])
    assert done["status"] == "succeeded"
    assert done["new_resource_export"]["completed_at"]
    objects = lines_of(done)
    assert all("gid" in o and "resource_type" in o for o in objects)
    kinds = Counter(o["resource_type"] for o in objects)
    assert kinds["task"] == seeded.counts["tasks"]
    assert kinds["team"] == seeded.counts["teams"]
    assert kinds["message"] == seeded.counts["messages"]
    task = next(o for o in objects if o["resource_type"] == "task")
    assert isinstance(task["stories"], list)
    assert isinstance(task["attachments"], list)
    message = next(o for o in objects if o["resource_type"] == "message")
    assert "html_notes" not in message


def test_fields_and_filters_through_the_sdk(
    live_server: LiveServer, runtime: Runtime, seeded: SeedResult, workers: WorkerPool
) -> None:
    sdk = live_server.sdk(seeded.service_account_token)
    member = str(seeded.member_gid)
    job = request(
        sdk,
        seeded.organization_gid,
        {
            "resource_type": "task",
            "filters": {"assignee.any": [member]},
            "fields": ["name", "assignee.name", "completed"],
        },
    )
    objects = lines_of(wait(sdk, job["gid"]))
    with runtime.database.read() as connection:
        expected = connection.execute(
            select(func.count()).where(
                tasks.c.assignee_gid == seeded.member_gid,
                tasks.c.workspace_gid == seeded.organization_gid,
                tasks.c.deleted_at.is_(None),
            )
        ).scalar_one()
    assert len(objects) == expected > 0
    for task in objects:
        assert set(task) == {"gid", "resource_type", "name", "assignee", "completed"}
        assert task["assignee"]["gid"] == member
        assert set(task["assignee"]) == {"gid", "name"}


def test_jobs_are_seen_only_by_their_creator(
    live_server: LiveServer, runtime: Runtime, seeded: SeedResult
) -> None:
    sdk = live_server.sdk(seeded.service_account_token)
    job = request(sdk, seeded.organization_gid, {"resource_type": "team"})
    assert asana.JobsApi(sdk).get_job(job["gid"], {})["status"] == "not_started"
    for token in (seeded.member_token, seeded.other_service_account_token):
        with pytest.raises(ApiException) as raised:
            asana.JobsApi(live_server.sdk(token)).get_job(job["gid"], {})
        assert raised.value.status == 404


def test_one_export_in_progress_per_workspace_even_under_concurrency(
    live_server: LiveServer, runtime: Runtime, seeded: SeedResult
) -> None:
    body = {
        "data": {
            "workspace": str(seeded.organization_gid),
            "export_request_parameters": [{"resource_type": "team"}],
        }
    }
    headers = {"Authorization": f"Bearer {seeded.service_account_token}"}
    statuses: list[int] = []
    messages: list[str] = []
    start = threading.Barrier(8)

    def post() -> None:
        start.wait()
        response = httpx.post(
            f"{live_server.api}/exports/resource", json=body, headers=headers, timeout=30
        )
        statuses.append(response.status_code)
        if response.status_code == 403:
            messages.append(response.json()["errors"][0]["message"])

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] + [403] * 7
    assert all("already in progress" in m for m in messages)
    with runtime.database.read() as connection:
        assert connection.execute(select(func.count()).select_from(exports)).scalar_one() == 1

    # Once it has ended, the workspace may export again.
    with runtime.database.write() as connection:
        connection.execute(update(exports).values(state="finished"))
    again = httpx.post(f"{live_server.api}/exports/resource", json=body, headers=headers)
    assert again.status_code == 201


@pytest.mark.parametrize(
    ("who", "status", "message"),
    [
        ("member_token", 403, "Only service accounts"),
        ("other_service_account_token", 404, "no workspace with gid"),
    ],
)
def test_who_may_export_resources(
    live_server: LiveServer, seeded: SeedResult, who: str, status: int, message: str
) -> None:
    with pytest.raises(ApiException) as raised:
        request(live_server.sdk(getattr(seeded, who)), seeded.organization_gid,
                {"resource_type": "task"})  # fmt: skip
    assert raised.value.status == status
    assert message in orjson.loads(raised.value.body)["errors"][0]["message"]


def test_organizations_without_compliance_or_enterprise_plus_are_refused(
    live_server: LiveServer, runtime: Runtime, seeded: SeedResult
) -> None:
    with runtime.database.write() as connection:
        connection.execute(
            update(workspaces)
            .where(workspaces.c.gid == seeded.organization_gid)
            .values(add_ons=[], plan="enterprise")
        )
    with pytest.raises(ApiException) as raised:
        request(live_server.sdk(seeded.service_account_token), seeded.organization_gid,
                {"resource_type": "task"})  # fmt: skip
    assert raised.value.status == 403
    assert b"Compliance Management" in raised.value.body


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"workspace": "W"}, "workspace: 'W' is not a valid gid"),
        ({}, "workspace: Missing input"),
        ({"workspace": "{org}"}, "export_request_parameters: Missing input"),
        (
            {"workspace": "{org}", "export_request_parameters": [{"resource_type": "team",
             "filters": {"created_by.any": []}}]},
            "export_request_parameters[0].filters",
        ),
        (
            {"workspace": "{org}", "export_request_parameters": [{"resource_type": "message",
             "filters": {"assignee.any": ["1"]}}]},
            "export_request_parameters[0].filters.assignee.any",
        ),
        (
            {"workspace": "{org}", "export_request_parameters": [{"resource_type": "task",
             "filters": {"followers.any": ["424242"]}}]},
            "export_request_parameters[0].filters.followers.any",
        ),
        (
            {"workspace": "{org}", "export_request_parameters": [{"resource_type": "task",
             "fields": ["name", "colour"]}]},
            "colour",
        ),
        (
            {"workspace": "{org}", "export_request_parameters": [{"resource_type": "project"}]},
            "export_request_parameters[0].resource_type",
        ),
    ],
)  # fmt: skip
def test_bad_requests_are_400_name_the_problem_and_create_nothing(
    live_server: LiveServer, runtime: Runtime, seeded: SeedResult, data: dict[str, Any],
    message: str,
) -> None:  # fmt: skip
    body = orjson.loads(
        orjson.dumps({"data": data}).replace(b"{org}", str(seeded.organization_gid).encode())
    )
    response = httpx.post(
        f"{live_server.api}/exports/resource",
        json=body,
        headers={"Authorization": f"Bearer {seeded.service_account_token}"},
    )
    assert response.status_code == 400, response.text
    assert message in response.json()["errors"][0]["message"]
    with runtime.database.read() as connection:
        assert connection.execute(select(func.count()).select_from(exports)).scalar_one() == 0


def test_files_expire_thirty_days_after_completion(
    live_server: LiveServer, runtime: Runtime, seeded: SeedResult, workers: WorkerPool
) -> None:
    sdk = live_server.sdk(seeded.service_account_token)
    done = wait(sdk, request(sdk, seeded.organization_gid, {"resource_type": "team"})["gid"])
    assert done["new_resource_export"]["download_url"]
    runtime.clock = FrozenClock(runtime.clock() + timedelta(days=30, seconds=1))
    sweep_once(runtime)
    expired = asana.JobsApi(sdk).get_job(done["gid"], {})
    assert expired["status"] == "succeeded"
    assert expired["new_resource_export"]["download_url"] is None


def test_opt_fields_on_jobs(
    live_server: LiveServer, seeded: SeedResult, workers: WorkerPool
) -> None:
    sdk = live_server.sdk(seeded.service_account_token)
    job = request(sdk, seeded.organization_gid, {"resource_type": "team"})
    shown = httpx.get(
        f"{live_server.api}/jobs/{job['gid']}?opt_fields=status,new_resource_export.created_at",
        headers={"Authorization": f"Bearer {seeded.service_account_token}"},
    ).json()["data"]
    assert set(shown) == {"gid", "status", "new_resource_export"}
    assert set(shown["new_resource_export"]) == {"gid", "created_at"}
