"""The official Asana Python SDK talks to exportd unchanged; only the host differs."""

from __future__ import annotations

import asana
import pytest
from asana.rest import ApiException

from exportd.runtime import Runtime
from tests.conftest import LiveServer
from tests.integration.world import World, build_world


@pytest.fixture
def world(runtime: Runtime) -> World:
    return build_world(runtime)


def test_users_and_workspaces_through_the_sdk(live_server: LiveServer, world: World) -> None:
    client = live_server.sdk(world.member_token)
    me = asana.UsersApi(client).get_user("me", {"opt_fields": "name,email,workspaces.name"})
    assert me["gid"] == str(world.member)
    assert me["name"] == "Mel"
    assert sorted(w["name"] for w in me["workspaces"]) == ["Acme", "Globex"]

    workspaces = list(asana.WorkspacesApi(client).get_workspaces({"limit": 1}))
    assert [w["name"] for w in workspaces] == ["Acme", "Globex"]  # followed next_page

    acme = asana.WorkspacesApi(client).get_workspace(str(world.acme), {})
    assert acme["is_organization"] is True


def test_the_sdk_sees_our_errors(live_server: LiveServer, world: World) -> None:
    client = live_server.sdk(world.outsider_token)
    with pytest.raises(ApiException) as raised:
        asana.WorkspacesApi(client).get_workspace(str(world.acme), {})
    assert raised.value.status == 404
    assert b"no workspace with gid" in raised.value.body
