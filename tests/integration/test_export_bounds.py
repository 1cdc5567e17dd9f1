"""How much work one client can ask for: parts per resource export, repeated parts, and one
organization export in progress per organization, over real HTTP and under races."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, insert, select, update

from exportd.datagen.seed import seed_organization
from exportd.datagen.spec import SeedResult, SeedSpec
from exportd.runtime import Runtime
from exportd.settings import Settings
from exportd.store import migrate
from exportd.store.database import Database
from exportd.store.schema import exports, users, workspaces
from tests.conftest import LiveServer

TINY = SeedSpec(
    seed=5, users=4, teams=1, projects=1, tasks=5, stories_per_task=1,
    attachments_per_task=0, messages=2,
)  # fmt: skip


@pytest.fixture
def seeded(runtime: Runtime) -> SeedResult:
    return seed_organization(runtime.database, TINY)


def post(server: LiveServer, token: str, path: str, data: dict[str, Any]) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.post(f"{server.api}{path}", json={"data": data}, headers=headers, timeout=30)


def message_of(response: httpx.Response) -> str:
    message: str = response.json()["errors"][0]["message"]
    return message


def count_exports(runtime: Runtime) -> int:
    with runtime.database.read() as connection:
        return int(connection.execute(select(func.count()).select_from(exports)).scalar_one())


def task_part(day: int) -> dict[str, Any]:
    return {"resource_type": "task", "filters": {"created_at.after": f"2024-01-{day:02}T00:00Z"}}


def test_a_resource_export_lists_at_most_20_parts(
    live_server: LiveServer, runtime: Runtime, seeded: SeedResult
) -> None:
    workspace = str(seeded.organization_gid)
    parts = [task_part(day) for day in range(1, 22)]
    refused = post(
        live_server, seeded.service_account_token, "/exports/resource",
        {"workspace": workspace, "export_request_parameters": parts},
    )  # fmt: skip
    assert refused.status_code == 400
    assert message_of(refused) == (
        "export_request_parameters: lists 21 parts; one export may list at most 20"
    )
    assert count_exports(runtime) == 0
    accepted = post(
        live_server, seeded.service_account_token, "/exports/resource",
        {"workspace": workspace, "export_request_parameters": parts[:20]},
    )  # fmt: skip
    assert accepted.status_code == 201, accepted.text


def test_a_part_repeated_exactly_is_refused(
    live_server: LiveServer, runtime: Runtime, seeded: SeedResult
) -> None:
    parts = [{"resource_type": "team"}, task_part(1), {"resource_type": "team"}]
    refused = post(
        live_server, seeded.service_account_token, "/exports/resource",
        {"workspace": str(seeded.organization_gid), "export_request_parameters": parts},
    )  # fmt: skip
    assert refused.status_code == 400
    assert message_of(refused) == (
        "export_request_parameters[2]: repeats export_request_parameters[0] exactly; "
        "list each part once"
    )
    assert count_exports(runtime) == 0


def test_one_organization_export_in_progress_per_organization_even_under_races(
    live_server: LiveServer, runtime: Runtime, seeded: SeedResult
) -> None:
    body = {"organization": str(seeded.organization_gid)}
    responses: list[httpx.Response] = []
    start = threading.Barrier(8)

    def request() -> None:
        start.wait()
        path = "/organization_exports"
        responses.append(post(live_server, seeded.service_account_token, path, body))

    threads = [threading.Thread(target=request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.status_code for r in responses) == [201] + [403] * 7
    for response in responses:
        if response.status_code == 403:
            assert "already in progress" in message_of(response)
    assert count_exports(runtime) == 1

    again = post(live_server, seeded.service_account_token, "/organization_exports", body)
    assert again.status_code == 403
    (created,) = [r.json()["data"]["gid"] for r in responses if r.status_code == 201]
    assert f"already in progress ({created})" in message_of(again)

    with runtime.database.write() as connection:  # once it has ended, the next may start
        connection.execute(update(exports).values(state="finished"))
    assert post(live_server, seeded.service_account_token, "/organization_exports", body).is_success


def test_the_upgrade_keeps_the_oldest_of_unfinished_exports_of_one_organization(
    tmp_path: Path, database_url: str
) -> None:
    if database_url.startswith("sqlite"):  # the fixture's file is already at the newest
        database_url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    database = Database(Settings.load(home=tmp_path, database_url=database_url).database_url)
    try:
        migrate.upgrade(database, "0005")
        with database.write() as connection:
            now = datetime(2024, 5, 1, 12, tzinfo=UTC)
            connection.execute(
                insert(workspaces).values(
                    gid=1, name="Acme", plan="enterprise", created_at=now, modified_at=now
                )
            )
            connection.execute(
                insert(users).values(
                    gid=2, name="Ada", email="a@x.example", created_at=now, modified_at=now
                )
            )
            for gid, state in [(10, "started"), (11, "pending"), (12, "finished"), (13, "pending")]:
                connection.execute(
                    insert(exports).values(
                        gid=gid, kind="organization", workspace_gid=1, created_by_gid=2,
                        parameters={}, state=state, attempts=0, max_attempts=3,
                        progress_objects=0, created_at=now,
                    )
                )  # fmt: skip
        migrate.upgrade(database)
        with database.read() as connection:
            rows = connection.execute(
                select(exports.c.gid, exports.c.state, exports.c.error_reason).order_by("gid")
            ).all()
        assert [(row.gid, row.state) for row in rows] == [
            (10, "started"), (11, "error"), (12, "finished"), (13, "error"),
        ]  # fmt: skip
        assert "one export in progress at a time" in rows[1].error_reason
    finally:
        database.dispose()


def test_a_user_has_at_most_so_many_exports_in_progress(
    live_server: LiveServer, runtime: Runtime, seeded: SeedResult
) -> None:
    runtime.settings = runtime.settings.model_copy(update={"concurrent_exports": 1})
    token, organization = seeded.service_account_token, str(seeded.organization_gid)
    first = post(live_server, token, "/organization_exports", {"organization": organization})
    assert first.status_code == 201, first.text
    refused = post(
        live_server, token, "/exports/resource",
        {"workspace": organization, "export_request_parameters": [{"resource_type": "team"}]},
    )  # fmt: skip
    assert refused.status_code == 429
    assert message_of(refused) == (
        "Concurrent export limit exceeded: you may have 1 export in progress at once. "
        "Retry when one has finished."
    )
    assert refused.headers["Retry-After"] == "30"
    assert count_exports(runtime) == 1
    with runtime.database.write() as connection:
        connection.execute(update(exports).values(state="finished"))
    accepted = post(
        live_server, token, "/exports/resource",
        {"workspace": organization, "export_request_parameters": [{"resource_type": "team"}]},
    )  # fmt: skip
    assert accepted.status_code == 201, accepted.text
