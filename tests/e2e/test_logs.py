"""`EXPORTD_LOG_FORMAT=json` as a log shipper reads it: every line `exportd serve` prints is
one JSON object, each request's lines carry its `X-Request-Id`, an export's lifecycle lines
carry its numbers, and no credential appears."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import orjson

from exportd.datagen.seed import seed_organization
from exportd.datagen.spec import SeedResult, SeedSpec
from exportd.settings import Settings
from exportd.store import migrate
from exportd.store.database import Database
from tests.e2e.server import Server
from tests.polling import until

SMALL = SeedSpec(seed=3, users=4, teams=1, projects=2, tasks=20, stories_per_task=1)
QUERY_SECRET = "query-secret-0123456789"


def seeded_home(home: Path) -> SeedResult:
    """A small organization in the home's SQLite store (migrated first: a no-op after serve)."""
    database = Database(Settings.load(home=home).database_url)
    try:
        migrate.upgrade(database)
        return seed_organization(database, SMALL)
    finally:
        database.dispose()


def finished_export(server: Server, seeded: SeedResult, headers: dict[str, str]) -> dict[str, Any]:
    """Request an organization export and wait for it to finish; its last answer."""
    api = f"{server.url}/api/1.0"
    body = {"data": {"organization": str(seeded.organization_gid)}}
    created = httpx.post(f"{api}/organization_exports", json=body, headers=headers)
    assert created.status_code == 201, created.text
    gid = created.json()["data"]["gid"]
    answers: list[dict[str, Any]] = []

    def finished() -> bool:
        answers.append(httpx.get(f"{api}/organization_exports/{gid}", headers=headers).json())
        return bool(answers[-1]["data"]["state"] == "finished")

    until(finished, 60, f"export {gid} to finish")
    data: dict[str, Any] = answers[-1]["data"]
    return data


def test_every_line_is_json_with_request_ids_and_export_lifecycle(tmp_path: Path) -> None:
    home = tmp_path / "home"
    server = Server(home, env={"EXPORTD_LOG_FORMAT": "json"})  # it migrates the new store
    try:
        server.wait_until_ready()
        seeded = seeded_home(home)
        token = seeded.service_account_token
        auth = {"Authorization": f"Bearer {token}"}
        tagged = httpx.get(
            f"{server.url}/api/1.0/users/me", headers={**auth, "X-Request-Id": "client-id.42"}
        )
        assert tagged.status_code == 200
        assert tagged.headers["X-Request-Id"] == "client-id.42"
        bad_id = "evil id <script>" + "x" * 200
        replaced = httpx.get(f"{server.url}/healthz", headers={"X-Request-Id": bad_id})
        new_id = replaced.headers["X-Request-Id"]
        assert new_id != bad_id
        assert len(new_id) == 32
        untagged = httpx.get(f"{server.url}/api/1.0/workspaces", headers=auth)
        assert untagged.headers["X-Request-Id"] not in (new_id, "client-id.42")
        export = finished_export(server, seeded, {**auth, "X-Request-Id": "export-request-1"})
        link = export["download_url"]
        assert httpx.get(link).status_code == 200
        secret_query = {"access_token": QUERY_SECRET, "limit": "5"}
        httpx.get(f"{server.url}/api/1.0/workspaces", params=secret_query)
    finally:
        output = server.stop()
    assert server.process.returncode == 0, output

    lines = [orjson.loads(line) for line in output.splitlines()]  # every line, or it fails
    for line in lines:
        assert {"time", "level", "logger", "message"} <= line.keys(), line
        assert line["time"].endswith("Z")
    loggers = {line["logger"] for line in lines}
    assert {"uvicorn.error", "uvicorn.access", "alembic.runtime.migration"} <= loggers
    assert not [line for line in lines if line["message"].startswith("Context impl")]

    access = [line for line in lines if line["logger"] == "uvicorn.access"]
    me = [line for line in access if line["path"] == "/api/1.0/users/me"]
    assert me == [line for line in lines if line.get("request_id") == "client-id.42"]
    assert me[0]["method"] == "GET"
    assert me[0]["status"] == 200
    assert [line["request_id"] for line in access if line["path"] == "/healthz"] == [new_id]
    assert any(line.get("request_id") == "export-request-1" for line in access)

    lifecycle = [line for line in lines if line.get("export_gid") == export["gid"]]
    assert [line["message"].split(" ", 3)[2] for line in lifecycle][:1] == ["(organization)"]
    started, finished = lifecycle[0], lifecycle[-1]
    assert started["export_kind"] == finished["export_kind"] == "organization"
    assert started["attempt"] == finished["attempt"] == 1
    assert finished["state"] == "finished"
    assert finished["lines"] > 0
    assert finished["bytes"] > 0
    assert finished["duration_seconds"] >= 0

    assert token not in output
    assert token.split(":")[-1] not in output
    assert link.rsplit("/", 1)[-1] not in output
    assert QUERY_SECRET not in output
    assert "evil id" not in output
