"""The API over real HTTP on loopback: envelope, auth, visibility, opt_fields, errors (C1 to C4)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import exportd
from exportd.domain.resources import RESOURCES
from exportd.runtime import Runtime
from exportd.store import directory
from exportd.store.database import Database
from tests.conftest import LiveServer
from tests.integration.world import World, build_world


@pytest.fixture
def world(runtime: Runtime) -> World:
    return build_world(runtime)


@pytest.fixture
def client(live_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.api, timeout=10) as client:
        yield client


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def error_of(response: httpx.Response) -> str:
    body = response.json()
    assert set(body) == {"errors"}
    assert {"message", "help"} <= set(body["errors"][0])
    message: str = body["errors"][0]["message"]
    return message


def test_me_is_the_caller_in_full_shape(client: httpx.Client, world: World) -> None:
    response = client.get("/users/me", headers=auth(world.member_token))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    user = response.json()["data"]
    assert list(user) == list(RESOURCES["user"].full)
    assert user["gid"] == str(world.member)
    assert user["resource_type"] == "user"
    assert {w["name"] for w in user["workspaces"]} == {"Acme", "Globex"}
    assert set(user["workspaces"][0]) == {"gid", "resource_type", "name"}


def test_another_users_workspaces_show_only_the_shared_ones(
    client: httpx.Client, world: World
) -> None:
    response = client.get(f"/users/{world.member}", headers=auth(world.admin_token))
    assert [w["name"] for w in response.json()["data"]["workspaces"]] == ["Acme"]


def test_workspaces_list_is_compact_and_full_on_get(client: httpx.Client, world: World) -> None:
    listed = client.get("/workspaces", headers=auth(world.admin_token)).json()
    assert listed == {
        "data": [{"gid": str(world.acme), "resource_type": "workspace", "name": "Acme"}]
    }
    one = client.get(f"/workspaces/{world.acme}", headers=auth(world.admin_token)).json()["data"]
    assert one == {
        "gid": str(world.acme),
        "resource_type": "workspace",
        "name": "Acme",
        "email_domains": ["acme.example"],
        "is_organization": True,
    }


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "send your token in an 'Authorization: Bearer <token>' header"),
        ("Basic dXNlcjpwdw==", "the Authorization header must be 'Bearer <token>'"),
        ("Bearer", "the Authorization header must be 'Bearer <token>'"),
        ("Bearer 2/1/2:nope", "Not Authorized: the token is unknown"),
    ],
)
def test_missing_or_bad_credentials_are_401(
    client: httpx.Client, world: World, header: str | None, message: str
) -> None:
    headers = {"Authorization": header} if header else {}
    response = client.get("/users/me", headers=headers)
    assert response.status_code == 401
    assert message in error_of(response)
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("which", "reason"),
    [
        ("revoked_token", "the token has been revoked"),
        ("expired_token", "the token has expired"),
        ("gone_token", "the token's user no longer exists"),
    ],
)
def test_revoked_expired_or_deleted_users_tokens_are_401(
    client: httpx.Client, world: World, which: str, reason: str
) -> None:
    response = client.get("/users/me", headers=auth(getattr(world, which)))
    assert response.status_code == 401
    assert error_of(response) == f"Not Authorized: {reason}"


def test_objects_of_another_organization_do_not_exist_for_the_caller(
    client: httpx.Client, world: World
) -> None:
    outsider = auth(world.outsider_token)
    for path in (f"/workspaces/{world.acme}", f"/users/{world.admin}", f"/users/{world.gone}"):
        response = client.get(path, headers=outsider)
        assert response.status_code == 404, path
    assert client.get(f"/users?workspace={world.acme}", headers=outsider).status_code == 404
    missing = client.get("/workspaces/123", headers=outsider)
    assert error_of(missing) == "workspace: no workspace with gid 123 that you can see"


def test_opt_fields_selects_nested_paths_and_always_keeps_gid(
    client: httpx.Client, world: World
) -> None:
    response = client.get(
        "/users/me",
        params={"opt_fields": "name,workspaces.is_organization"},
        headers=auth(world.admin_token),
    )
    assert response.json() == {
        "data": {
            "gid": str(world.admin),
            "name": "Ada",
            "workspaces": [{"gid": str(world.acme), "is_organization": True}],
        }
    }


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("opt_fields=name,colour", "opt_fields: unknown field 'colour'"),
        ("opt_fields=workspaces.owner", "opt_fields: unknown field 'workspaces.owner'"),
        ("opt_pretty=maybe", "opt_pretty: must be true or false, got 'maybe'"),
        ("limit=0", "limit: must be an integer from 1 to 100"),
        ("limit=1&offset=%%%", "offset: your pagination token is invalid"),
        ("offset=MQ", "offset: only valid together with limit"),
    ],
)
def test_bad_options_are_400_and_name_the_problem(
    client: httpx.Client, world: World, query: str, message: str
) -> None:
    response = client.get(f"/workspaces?{query}", headers=auth(world.member_token))
    assert response.status_code == 400
    assert error_of(response).startswith(message)


def test_opt_pretty_indents(client: httpx.Client, world: World) -> None:
    plain = client.get("/users/me", headers=auth(world.admin_token))
    pretty = client.get("/users/me?opt_pretty=true", headers=auth(world.admin_token))
    assert "\n" not in plain.text
    assert '\n  "data": {\n    "gid"' in pretty.text
    assert pretty.json() == plain.json()


def test_pagination_walks_every_workspace_once(client: httpx.Client, world: World) -> None:
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 1}
    for _ in range(5):
        body = client.get("/workspaces", params=params, headers=auth(world.member_token)).json()
        seen += [w["name"] for w in body["data"]]
        if body["next_page"] is None:
            break
        assert body["next_page"]["path"].startswith("/workspaces?limit=1&offset=")
        assert body["next_page"]["uri"].endswith(body["next_page"]["path"])
        params["offset"] = body["next_page"]["offset"]
    assert seen == ["Acme", "Globex"]


def test_users_of_a_workspace(client: httpx.Client, world: World) -> None:
    body = client.get(f"/users?workspace={world.acme}", headers=auth(world.admin_token)).json()
    assert {u["name"] for u in body["data"]} == {"Ada", "Mel"}  # the deleted user is gone
    missing = client.get("/users", headers=auth(world.admin_token))
    assert (missing.status_code, error_of(missing)) == (400, "workspace: Missing input")


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/workspaces/abc", 400, "workspace_gid: 'abc' is not a valid gid"),
        ("/workspaces/99999999999999999999", 400, "is not a valid gid"),
        ("/users/-1", 400, "user_gid: '-1' is not a valid gid"),
        ("/nowhere", 404, "No matching route for request"),
    ],
)
def test_bad_paths(
    client: httpx.Client, world: World, path: str, status: int, message: str
) -> None:
    response = client.get(path, headers=auth(world.admin_token))
    assert response.status_code == status
    assert message in error_of(response)


def test_wrong_method_is_405(client: httpx.Client, world: World) -> None:
    response = client.delete("/users/me", headers=auth(world.admin_token))
    assert (response.status_code, error_of(response)) == (405, "Method not allowed for this route")


class TestRenameWorkspace:
    """PUT /workspaces/{gid}: the request-body path every write endpoint shares."""

    def put(
        self, client: httpx.Client, world: World, body: bytes, **headers: str
    ) -> httpx.Response:
        headers = {"content-type": "application/json", **headers}
        return client.put(
            f"/workspaces/{world.acme}", content=body, headers=auth(world.admin_token) | headers
        )

    def name_of(self, runtime: Runtime, world: World) -> str:
        with runtime.database.read() as connection:
            row = directory.visible_workspace(connection, world.admin, world.acme)
        assert row is not None
        return str(row.name)

    def test_an_admin_renames(self, client: httpx.Client, world: World, runtime: Runtime) -> None:
        response = self.put(client, world, b'{"data": {"name": "  Acme Corp "}}')
        assert response.status_code == 200
        assert response.json()["data"]["name"] == "Acme Corp"
        assert self.name_of(runtime, world) == "Acme Corp"

    @pytest.mark.parametrize(
        ("body", "status", "message"),
        [
            (b'{"data": {"name": "x"', 400, "Malformed JSON in the request body"),
            (b"", 400, "Malformed JSON in the request body"),
            (b"[]", 400, "data: Missing input"),
            (b'{"data": "x"}', 400, "data: must be an object"),
            (b'{"data": {}, "extra": 1}', 400, "extra: unknown field in the request body"),
            (b'{"data": {}}', 400, "name: Missing input"),
            (b'{"data": {"name": 7}}', 400, "name: Input should be a valid string"),
            (b'{"data": {"name": "   "}}', 400, "name: String should have at least 1 character"),
            (b'{"data": {"name": "x", "color": "red"}}', 400, "color: unknown field"),
        ],
    )
    def test_bad_bodies_are_400_and_change_nothing(
        self,
        client: httpx.Client,
        world: World,
        runtime: Runtime,
        body: bytes,
        status: int,
        message: str,
    ) -> None:
        response = self.put(client, world, body)
        assert response.status_code == status
        assert error_of(response).startswith(message)
        assert self.name_of(runtime, world) == "Acme"

    def test_a_body_that_is_not_json_is_400(
        self, client: httpx.Client, world: World, runtime: Runtime
    ) -> None:
        response = self.put(client, world, b"name=x", **{"content-type": "text/plain"})
        assert response.status_code == 400
        assert error_of(response) == "Content-Type must be application/json, got 'text/plain'"
        assert self.name_of(runtime, world) == "Acme"

    def test_members_who_are_not_admins_get_403(self, client: httpx.Client, world: World) -> None:
        response = client.put(
            f"/workspaces/{world.acme}",
            json={"data": {"name": "Mine now"}},
            headers=auth(world.member_token),
        )
        assert response.status_code == 403
        assert error_of(response) == "Only admins of this workspace can rename it"


def test_health_and_readiness(live_server: LiveServer, runtime: Runtime) -> None:
    assert httpx.get(f"{live_server.url}/healthz").json() == {"status": "ok"}
    assert httpx.get(f"{live_server.url}/readyz").json() == {
        "status": "ready",
        "version": exportd.__version__,
    }
    with runtime.database.write() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = 'old'")
    response = httpx.get(f"{live_server.url}/readyz")
    assert response.status_code == 503
    assert "exportd db upgrade" in response.json()["reason"]
    assert response.json()["version"] == exportd.__version__


def test_unexpected_failures_are_500_with_a_phrase(
    client: httpx.Client, world: World, runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    with runtime.database.write() as connection:
        connection.exec_driver_sql("ALTER TABLE access_tokens RENAME TO access_tokens_gone")
    response = client.get("/users/me", headers=auth(world.admin_token))
    assert response.status_code == 500
    error = response.json()["errors"][0]
    assert error["message"] == "Server Error"
    assert error["phrase"]
    assert error["phrase"] in caplog.text


def test_a_database_that_cannot_be_reached_is_503_without_its_address(
    client: httpx.Client, world: World, runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    working = runtime.database
    runtime.database = Database("postgresql+psycopg://exportd:hunter2@127.0.0.1:1/gone")
    try:
        response = client.get("/users/me", headers=auth(world.admin_token))
    finally:
        runtime.database.dispose()
        runtime.database = working
    assert response.status_code == 503
    error = response.json()["errors"][0]
    assert error["message"] == "Service Unavailable"
    assert "127.0.0.1" not in response.text
    assert error["phrase"] in caplog.text
    assert "exportd:***@127.0.0.1:1/gone: cannot connect" in caplog.text
    assert "hunter2" not in caplog.text
