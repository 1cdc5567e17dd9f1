"""Organization exports end to end over real HTTP with the official Asana SDK (O1 to O6)."""

from __future__ import annotations

import base64
import gzip
import hashlib
from collections import Counter
from datetime import timedelta
from typing import Any

import asana
import httpx
import orjson
import pytest
from asana.rest import ApiException
from sqlalchemy import select, update

from exportd.clock import FrozenClock
from exportd.datagen.seed import seed_organization
from exportd.datagen.spec import SeedResult, SeedSpec
from exportd.exports.organization import organization_objects
from exportd.jobs import WorkerPool
from exportd.jobs.maintenance import sweep_once
from exportd.runtime import Runtime
from exportd.store.schema import metadata, workspaces
from tests.conftest import LiveServer
from tests.polling import until

SMALL = SeedSpec(
    seed=3, users=6, teams=2, projects=3, tasks=60, stories_per_task=2,
    attachments_per_task=1, messages=8,
)  # fmt: skip


@pytest.fixture
def seeded(runtime: Runtime) -> SeedResult:
    return seed_organization(runtime.database, SMALL)


def exports_api(server: LiveServer, token: str) -> Any:
    return asana.OrganizationExportsApi(server.sdk(token))


def request_export(api: Any, organization_gid: int) -> dict[str, Any]:
    body = {"data": {"organization": str(organization_gid)}}
    created: dict[str, Any] = api.create_organization_export(body, {})
    return created


def wait_until_done(api: Any, gid: str, timeout: float = 60) -> dict[str, Any]:
    seen: list[dict[str, Any]] = []

    def ended() -> bool:
        seen.append(api.get_organization_export(gid, {}))
        return seen[-1]["state"] in ("finished", "error")

    until(ended, timeout, f"export {gid} to end")
    return seen[-1]


def deleted_gids(runtime: Runtime) -> set[str]:
    """Every soft-deleted object of the store, as gid strings."""
    gone: set[str] = set()
    with runtime.database.read() as connection:
        for table in metadata.sorted_tables:
            if "deleted_at" in table.c and "gid" in table.c:
                query = select(table.c.gid).where(table.c.deleted_at.is_not(None))
                gone |= {str(gid) for gid in connection.execute(query).scalars()}
    assert gone, "the seed has deleted objects of every kind"
    return gone


def download_lines(url: str) -> list[bytes]:
    response = httpx.get(url, timeout=30)
    assert response.status_code == 200, response.text
    return gzip.decompress(response.content).splitlines()


def test_the_whole_lifecycle_through_the_sdk(
    live_server: LiveServer, runtime: Runtime, seeded: SeedResult, workers: WorkerPool
) -> None:
    api = exports_api(live_server, seeded.service_account_token)
    created = request_export(api, seeded.organization_gid)
    assert created["resource_type"] == "organization_export"
    assert created["state"] == "pending"
    assert created["download_url"] is None
    assert created["created_at"].endswith("Z")
    assert created["organization"] == {
        "gid": str(seeded.organization_gid),
        "resource_type": "workspace",
        "name": seeded.organization_name,
    }

    finished = wait_until_done(api, created["gid"])
    assert finished["state"] == "finished"
    assert finished["download_url"].startswith(live_server.url)  # public_url is the server
    lines = download_lines(finished["download_url"])

    # The file is exactly the organization's live data, each object once.
    expected = [
        orjson.dumps(o) for o in organization_objects(runtime.database, seeded.organization_gid)
    ]
    assert sorted(lines) == sorted(expected)
    objects = [orjson.loads(line) for line in lines]
    assert len({(o["resource_type"], o["gid"]) for o in objects}) == len(objects)
    kinds = Counter(o["resource_type"] for o in objects)
    assert kinds["task"] == seeded.counts["tasks"]
    assert kinds["workspace"] == 1
    exported = {o["gid"] for o in objects}
    assert str(seeded.other_organization_gid) not in exported
    assert not exported & deleted_gids(runtime)  # O5: deleted objects are left out


def repr_digest(data: bytes) -> str:
    return f"sha-256=:{base64.b64encode(hashlib.sha256(data).digest()).decode()}:"


def test_the_download_says_the_files_digest_and_its_etag_follows_the_content(
    live_server: LiveServer, runtime: Runtime, seeded: SeedResult, workers: WorkerPool
) -> None:
    """Repr-Digest is the sha-256 of exactly the bytes downloaded, on a range too; a second
    export of unchanged data is the same file with the same ETag, and of changed data not."""
    api = exports_api(live_server, seeded.service_account_token)
    url = wait_until_done(api, request_export(api, seeded.organization_gid)["gid"])["download_url"]
    whole = httpx.get(url, timeout=30)
    assert whole.headers["repr-digest"] == repr_digest(whole.content)
    assert whole.headers["content-length"] == str(len(whole.content))
    part = httpx.get(url, headers={"range": "bytes=100-"}, timeout=30)
    assert part.status_code == 206
    assert part.headers["repr-digest"] == whole.headers["repr-digest"]  # of the whole file

    again = wait_until_done(api, request_export(api, seeded.organization_gid)["gid"])
    same = httpx.get(again["download_url"], timeout=30)
    assert same.content == whole.content  # nothing changed: the very same bytes
    assert same.headers["etag"] == whole.headers["etag"]  # written later, same ETag

    with runtime.database.write() as connection:
        connection.execute(
            update(workspaces)
            .where(workspaces.c.gid == seeded.organization_gid)
            .values(name="Renamed")
        )
    changed = wait_until_done(api, request_export(api, seeded.organization_gid)["gid"])
    other = httpx.get(changed["download_url"], timeout=30)
    assert other.headers["repr-digest"] == repr_digest(other.content)
    assert other.headers["etag"] != whole.headers["etag"]


def test_every_retrieval_hands_out_a_fresh_link(
    live_server: LiveServer, runtime: Runtime, seeded: SeedResult, workers: WorkerPool
) -> None:
    api = exports_api(live_server, seeded.service_account_token)
    gid = request_export(api, seeded.organization_gid)["gid"]
    first = wait_until_done(api, gid)["download_url"]
    start = runtime.clock()
    runtime.clock = FrozenClock(start + timedelta(minutes=30))
    second = api.get_organization_export(gid, {})["download_url"]
    assert second != first
    runtime.clock = FrozenClock(start + timedelta(minutes=61))
    assert httpx.get(first).status_code == 403  # an hour after it was handed out
    assert httpx.get(second).status_code == 200  # still within its own hour
    runtime.clock = FrozenClock(start + timedelta(minutes=200))
    refused = httpx.get(second)
    assert refused.status_code == 403
    assert "expired" in refused.json()["errors"][0]["message"]


def test_retention_removes_the_file_and_the_link(
    live_server: LiveServer, runtime: Runtime, seeded: SeedResult, workers: WorkerPool
) -> None:
    api = exports_api(live_server, seeded.service_account_token)
    gid = request_export(api, seeded.organization_gid)["gid"]
    url = wait_until_done(api, gid)["download_url"]
    files = runtime.settings.home / "exports" / "exports"
    assert list(files.glob("*.json.gz"))
    runtime.clock = FrozenClock(runtime.clock() + timedelta(days=30, seconds=1))
    assert api.get_organization_export(gid, {})["download_url"] is None  # before any sweep
    sweep_once(runtime)
    assert api.get_organization_export(gid, {})["state"] == "finished"
    assert httpx.get(url).status_code == 403  # the link itself expired long ago
    assert not list(files.glob("*.json.gz"))


def test_opt_fields_and_opt_pretty(
    live_server: LiveServer, seeded: SeedResult, workers: WorkerPool
) -> None:
    headers = {"Authorization": f"Bearer {seeded.service_account_token}"}
    created = httpx.post(
        f"{live_server.api}/organization_exports?opt_fields=state,organization.name&opt_pretty=1",
        json={"data": {"organization": str(seeded.organization_gid)}},
        headers=headers,
    )
    assert created.status_code == 201
    assert "\n  " in created.text
    body = created.json()["data"]
    assert set(body) == {"gid", "state", "organization"}
    assert set(body["organization"]) == {"gid", "name"}


@pytest.mark.parametrize(
    ("who", "organization", "status", "message"),
    [
        ("member_token", "organization_gid", 403, "Only service accounts"),
        ("other_service_account_token", "other_organization_gid", 403, "Enterprise"),
        ("other_service_account_token", "organization_gid", 404, "no organization with gid"),
    ],
)
def test_who_may_export(
    live_server: LiveServer,
    runtime: Runtime,
    seeded: SeedResult,
    who: str,
    organization: str,
    status: int,
    message: str,
) -> None:
    api = exports_api(live_server, getattr(seeded, who))
    with pytest.raises(ApiException) as raised:
        request_export(api, getattr(seeded, organization))
    assert raised.value.status == status
    assert message in orjson.loads(raised.value.body)["errors"][0]["message"]
    with runtime.database.read() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM exports").scalar() == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"data": {}}', "organization: Missing input"),
        (b'{"data": {"organization": 12}}', "organization: Input should be a valid string"),
        (b'{"data": {"organization": "x1"}}', "organization: 'x1' is not a valid gid"),
        (b'{"data": {"organization": "1", "format": "csv"}}', "format: unknown field"),
        (b'{"data": ', "Malformed JSON in the request body"),
    ],
)
def test_bad_requests_are_400_and_create_nothing(
    live_server: LiveServer, runtime: Runtime, seeded: SeedResult, body: bytes, message: str
) -> None:
    response = httpx.post(
        f"{live_server.api}/organization_exports",
        content=body,
        headers={
            "Authorization": f"Bearer {seeded.service_account_token}",
            "Content-Type": "application/json",
        },
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"].startswith(message)
    with runtime.database.read() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM exports").scalar() == 0


def test_exports_are_seen_only_by_the_organizations_service_accounts(
    live_server: LiveServer, seeded: SeedResult
) -> None:
    api = exports_api(live_server, seeded.service_account_token)
    gid = request_export(api, seeded.organization_gid)["gid"]  # no workers: stays pending
    assert api.get_organization_export(gid, {})["state"] == "pending"
    for token in (seeded.member_token, seeded.other_service_account_token):
        with pytest.raises(ApiException) as raised:
            exports_api(live_server, token).get_organization_export(gid, {})
        assert raised.value.status == 404
    anonymous = httpx.get(f"{live_server.api}/organization_exports/{gid}")
    assert anonymous.status_code == 401
