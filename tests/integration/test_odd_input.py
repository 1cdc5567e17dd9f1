"""Odd input a careless or hostile client sends gets a 4xx naming the parameter, never a 500:
huge or non-ASCII numbers, broken pagination tokens, missing content types, NUL characters,
and values too long to be worth repeating in the error."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from exportd.runtime import Runtime
from exportd.store import directory
from tests.conftest import LiveServer
from tests.integration.oauth_support import OAuthWorld, build_oauth_world
from tests.integration.world import World

HUGE = "9" * 5_000  # more digits than Python's int() converts
TOO_BIG = str(1 << 63)  # one past the largest 63-bit gid


@pytest.fixture
def o(runtime: Runtime) -> OAuthWorld:
    return build_oauth_world(runtime)


@pytest.fixture
def world(o: OAuthWorld) -> World:
    return o.world


@pytest.fixture
def client(live_server: LiveServer, world: World) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {world.admin_token}"}
    with httpx.Client(base_url=live_server.api, headers=headers, timeout=10) as client:
        yield client


def message_of(response: httpx.Response) -> str:
    body = response.json()
    assert set(body) == {"errors"}, body
    message: str = body["errors"][0]["message"]
    return message


def offset_of(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


class TestNumbers:
    @pytest.mark.parametrize("gid", [HUGE, TOO_BIG, "0", "-1", "1e3", "١٢٣", "²"])
    @pytest.mark.parametrize(
        "path", ["/workspaces/{}", "/users/{}", "/organization_exports/{}", "/jobs/{}"]
    )
    def test_a_path_gid_that_is_not_one_is_400_naming_it(
        self, client: httpx.Client, path: str, gid: str
    ) -> None:
        response = client.get(path.format(gid))
        assert response.status_code == 400
        assert message_of(response).endswith("is not a valid gid")
        assert len(message_of(response)) < 300

    @pytest.mark.parametrize("gid", [HUGE, TOO_BIG, "٣"])
    def test_a_workspace_query_that_is_not_a_gid_is_400(
        self, client: httpx.Client, gid: str
    ) -> None:
        response = client.get("/users", params={"workspace": gid})
        assert response.status_code == 400
        assert message_of(response).startswith("workspace: ")

    @pytest.mark.parametrize("limit", [HUGE, "²", "٣", "3\n", " 3", "+3", "0", "101"])
    def test_limit_is_ascii_digits_from_1_to_100(self, client: httpx.Client, limit: str) -> None:
        response = client.get("/workspaces", params={"limit": limit})
        assert response.status_code == 400
        assert message_of(response) == "limit: must be an integer from 1 to 100"

    def test_a_plain_limit_still_pages(self, client: httpx.Client, world: World) -> None:
        response = client.get("/workspaces", params={"limit": "007"})
        assert response.status_code == 200
        assert response.json()["data"][0]["gid"] == str(world.acme)

    @pytest.mark.parametrize(
        "offset",
        ["été", "☃☃☃☃", "\u00ff" * 8, offset_of(HUGE), offset_of(TOO_BIG), offset_of("٣"), "@@@"],
    )
    def test_an_offset_that_is_not_ours_is_400(self, client: httpx.Client, offset: str) -> None:
        response = client.get("/workspaces", params={"limit": "74", "offset": offset})
        assert response.status_code == 400
        assert message_of(response) == "offset: your pagination token is invalid"

    @pytest.mark.parametrize("gid", [HUGE, TOO_BIG, "²"])
    def test_body_gids_that_are_not_gids_are_400_naming_them(
        self, client: httpx.Client, world: World, gid: str
    ) -> None:
        response = client.post("/organization_exports", json={"data": {"organization": gid}})
        assert response.status_code == 400
        assert message_of(response).startswith("organization: ")
        response = client.post(
            "/exports/resource",
            json={
                "data": {"workspace": gid, "export_request_parameters": [{"resource_type": "team"}]}
            },
        )
        assert response.status_code == 400
        assert message_of(response).startswith("workspace: ")
        part = {"resource_type": "task", "filters": {"assignee.any": [gid]}}
        response = client.post(
            "/exports/resource",
            json={"data": {"workspace": str(world.acme), "export_request_parameters": [part]}},
        )
        assert response.status_code == 400
        assert message_of(response).startswith(
            "export_request_parameters[0].filters.assignee.any: "
        )
        assert len(message_of(response)) < 300


class TestOAuthClientIds:
    """No authentication is needed to reach these: a huge client_id must not break them."""

    @pytest.mark.parametrize("client_id", [HUGE, TOO_BIG, "٣"])
    def test_authorize_shows_the_error_page(
        self, live_server: LiveServer, o: OAuthWorld, client_id: str
    ) -> None:
        params = {"client_id": client_id, "redirect_uri": o.redirect_uri, "response_type": "code"}
        response = httpx.get(f"{live_server.url}/-/oauth_authorize", params=params)
        assert response.status_code == 400
        assert "no app with client_id" in response.text
        assert len(response.text) < 10_000
        form = {"csrf_token": "x", "action": "allow"}
        response = httpx.post(f"{live_server.url}/-/oauth_authorize", params=params, data=form)
        assert response.status_code == 400

    @pytest.mark.parametrize("endpoint", ["/-/oauth_token", "/-/oauth_revoke"])
    @pytest.mark.parametrize("client_id", [HUGE, TOO_BIG, "٣"])
    def test_token_and_revoke_answer_invalid_client(
        self, live_server: LiveServer, endpoint: str, client_id: str
    ) -> None:
        form = {"client_id": client_id, "client_secret": "s", "grant_type": "authorization_code"}
        response = httpx.post(f"{live_server.url}{endpoint}", data=form | {"token": "t"})
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"
        assert len(response.json()["error_description"]) < 300


class TestBodies:
    @pytest.mark.parametrize(
        ("headers", "content", "shown"),
        [
            ({}, b"", "none"),
            ({}, b'{"data": {"organization": "1"}}', "none"),
            ({"content-type": "text/plain"}, b'{"data": {}}', "text/plain"),
            (
                {"content-type": "application/x-www-form-urlencoded"},
                b"a=b",
                "application/x-www-form-urlencoded",
            ),
        ],
    )
    def test_a_post_without_a_json_body_is_400(
        self, client: httpx.Client, headers: dict[str, str], content: bytes, shown: str
    ) -> None:
        response = client.post("/organization_exports", content=content, headers=headers)
        assert response.status_code == 400
        assert message_of(response) == f"Content-Type must be application/json, got '{shown}'"

    def test_an_empty_json_body_is_400(self, client: httpx.Client) -> None:
        response = client.post(
            "/organization_exports", content=b"", headers={"content-type": "application/json"}
        )
        assert response.status_code == 400
        assert message_of(response).startswith("Malformed JSON in the request body")


class TestNul:
    def test_a_name_with_a_nul_is_400_and_not_stored(
        self, client: httpx.Client, world: World, runtime: Runtime
    ) -> None:
        response = client.put(f"/workspaces/{world.acme}", json={"data": {"name": "Ac\x00me"}})
        assert response.status_code == 400
        assert message_of(response) == "name: must not contain NUL characters"
        with runtime.database.read() as connection:
            found = directory.visible_workspace(connection, world.admin, world.acme)
        assert found is not None
        assert found.name == "Acme"

    def test_a_nul_deep_in_a_body_is_named_where_it_is(
        self, client: httpx.Client, world: World
    ) -> None:
        part = {"resource_type": "task", "fields": ["name", "notes\x00"]}
        response = client.post(
            "/exports/resource",
            json={"data": {"workspace": str(world.acme), "export_request_parameters": [part]}},
        )
        assert response.status_code == 400
        assert message_of(response) == (
            "export_request_parameters[0].fields[1]: must not contain NUL characters"
        )

    def test_a_nul_in_a_query_parameter_is_400(self, client: httpx.Client) -> None:
        response = client.get("/workspaces", params={"opt_fields": "name\x00"})
        assert response.status_code == 400
        assert message_of(response) == "opt_fields: must not contain NUL characters"

    def test_a_nul_in_a_sign_in_form_is_400(self, live_server: LiveServer, o: OAuthWorld) -> None:
        params = {"client_id": o.client_id, "redirect_uri": o.redirect_uri, "response_type": "code"}
        with httpx.Client(base_url=live_server.url) as browser:
            page = browser.get("/-/oauth_authorize", params=params)
            csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
            form = {"csrf_token": csrf, "action": "sign_in", "email": "a\x00@x", "password": "p"}
            response = browser.post("/-/oauth_authorize", params=params, data=form)
        assert response.status_code == 400
        assert "email: must not contain NUL characters" in response.text


class TestEchoes:
    """An error repeats a little of a bad value, not all of it."""

    @pytest.mark.parametrize(
        ("params", "starts"),
        [
            ({"opt_fields": "x" * 60_000}, "opt_fields: unknown field 'xxx"),
            ({"opt_pretty": "x" * 60_000}, "opt_pretty: must be true or false, got 'xxx"),
        ],
    )
    def test_query_values_are_clipped(
        self, client: httpx.Client, params: dict[str, str], starts: str
    ) -> None:
        response = client.get("/workspaces", params=params)
        assert response.status_code == 400
        assert message_of(response).startswith(starts)
        assert "(60,000 characters)" in message_of(response)
        assert len(response.content) < 1_000

    @pytest.mark.parametrize(
        "data",
        [
            {"organization": "y" * 60_000},
            {"organization": "1", "z" * 60_000: 1},
        ],
    )
    def test_body_values_and_names_are_clipped(
        self, client: httpx.Client, data: dict[str, Any]
    ) -> None:
        response = client.post("/organization_exports", json={"data": data})
        assert response.status_code == 400
        assert len(response.content) < 1_000

    def test_filter_values_are_clipped(self, client: httpx.Client, world: World) -> None:
        part = {"resource_type": "task", "filters": {"created_at.after": "q" * 60_000}}
        response = client.post(
            "/exports/resource",
            json={"data": {"workspace": str(world.acme), "export_request_parameters": [part]}},
        )
        assert response.status_code == 400
        assert "is not an ISO-8601 date-time" in message_of(response)
        assert len(response.content) < 1_000

    def test_oauth_errors_are_clipped(self, live_server: LiveServer, o: OAuthWorld) -> None:
        form = {"client_id": o.client_id, "client_secret": o.client_secret}
        response = httpx.post(
            f"{live_server.url}/-/oauth_token", data=form | {"grant_type": "g" * 60_000}
        )
        assert response.status_code == 400
        assert len(response.content) < 1_000
