"""Asana's rate limits over real HTTP: per-token quotas (paid and free plans), per-IP quotas
for the routes without a token, requests in flight, and the official SDK riding them out."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import asana
import httpx
import pytest
from sqlalchemy import insert

from exportd.runtime import Runtime
from exportd.store import tokens
from exportd.store.schema import users, workspace_memberships, workspaces
from tests.conftest import LiveServer
from tests.integration.world import World, build_world


@pytest.fixture
def world(runtime: Runtime) -> World:
    return build_world(runtime)


@pytest.fixture
def client(live_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url, timeout=10) as client:
        yield client


def limit(runtime: Runtime, **values: Any) -> None:
    """Set limits before the first request (the server reads its storage setting then)."""
    runtime.settings = runtime.settings.model_copy(update=values)


def me(client: httpx.Client, token: str) -> httpx.Response:
    return client.get("/api/1.0/users/me", headers={"Authorization": f"Bearer {token}"})


def assert_refused(response: httpx.Response, *words: str) -> int:
    """A 429 in Asana's error body naming the limit; returns its Retry-After."""
    assert response.status_code == 429, response.text
    (error,) = response.json()["errors"]
    assert set(error) == {"message", "help"}
    for word in words:
        assert word in error["message"]
    retry_after = response.headers["Retry-After"]
    assert retry_after.isdigit(), retry_after  # whole seconds
    return int(retry_after)


def test_a_token_past_its_quota_gets_429_and_when_to_retry(
    client: httpx.Client, runtime: Runtime, world: World
) -> None:
    limit(runtime, rate_limit=5)
    assert [me(client, world.member_token).status_code for _ in range(5)] == [200] * 5
    retry_after = assert_refused(me(client, world.member_token), "5 requests per minute")
    assert 1 <= retry_after <= 60
    assert me(client, world.admin_token).status_code == 200  # the quota is per token


def test_the_quota_frees_up_after_the_window(
    client: httpx.Client, runtime: Runtime, world: World
) -> None:
    limit(runtime, rate_limit=2, rate_limit_window=1)
    assert me(client, world.member_token).status_code == 200
    assert me(client, world.member_token).status_code == 200
    retry_after = assert_refused(me(client, world.member_token), "2 requests per 1 seconds")
    time.sleep(retry_after)
    assert me(client, world.member_token).status_code == 200


def test_tokens_of_free_plans_get_the_smaller_quota(
    client: httpx.Client, runtime: Runtime, world: World
) -> None:
    limit(runtime, rate_limit=10, rate_limit_free=3)
    free_token = _user_on_a_free_plan(runtime)
    assert [me(client, free_token).status_code for _ in range(3)] == [200] * 3
    assert_refused(me(client, free_token), "free plan", "3 requests per minute")
    assert [me(client, world.member_token).status_code for _ in range(4)] == [200] * 4


def test_zero_turns_a_quota_off(client: httpx.Client, runtime: Runtime, world: World) -> None:
    limit(runtime, rate_limit=0, rate_limit_ip=0)
    assert {me(client, world.member_token).status_code for _ in range(30)} == {200}
    assert {client.get("/downloads/nothing").status_code for _ in range(30)} == {403}


def test_routes_without_a_token_are_limited_per_client_ip(
    client: httpx.Client, runtime: Runtime, world: World
) -> None:
    limit(runtime, rate_limit_ip=4)
    assert client.post("/-/oauth_token").status_code == 401
    assert client.get("/-/oauth_authorize").status_code == 400
    assert client.get("/downloads/nothing").status_code == 403
    assert me(client, "2/1/2:unknown").status_code == 401  # no user: counted per IP
    for path in ("/-/oauth_token", "/-/oauth_revoke"):
        assert_refused(client.post(path), "a client IP", "4 requests per minute")
    assert_refused(client.get("/downloads/nothing"), "a client IP")
    assert_refused(me(client, "2/1/2:unknown"), "a client IP")
    assert me(client, world.member_token).status_code == 200  # a token has its own quota
    assert client.get("/healthz").status_code == 200  # probes are never limited


def test_an_unreachable_storage_serves_without_quotas_and_says_so(
    client: httpx.Client, runtime: Runtime, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    limit(runtime, rate_limit=1, rate_limit_storage="redis://127.0.0.1:1/0")  # nothing there
    assert [me(client, world.member_token).status_code for _ in range(3)] == [200] * 3
    warnings = [r.getMessage() for r in caplog.records if r.name == "exportd.api"]
    assert len(warnings) == 1  # once a minute, not once a request
    assert warnings[0].startswith("rate limits not applied: their storage failed:")


def test_writes_in_flight_per_token_are_capped(
    live_server: LiveServer, client: httpx.Client, runtime: Runtime, world: World
) -> None:
    limit(runtime, concurrent_writes=2)
    host, port = live_server.url.removeprefix("http://").split(":")
    body = b'{"data": {"name": "Acme"}}'
    head = (
        f"PUT /api/1.0/workspaces/{world.acme} HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Bearer {world.admin_token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    assert me(client, world.admin_token).status_code == 200  # its quota is known from now on
    slow: list[socket.socket] = []
    try:
        for _ in range(2):  # headers sent, body held back: two writes in flight
            slow.append(socket.create_connection((host, int(port))))
            slow[-1].sendall(head)
            time.sleep(0.2)  # so the server takes them in this order
        put = f"/api/1.0/workspaces/{world.acme}"
        headers = {"Authorization": f"Bearer {world.admin_token}"}
        deadline = time.monotonic() + 5
        while (refused := client.put(put, json={"data": {}}, headers=headers)).status_code != 429:
            assert time.monotonic() < deadline, refused.text
            time.sleep(0.05)
        assert_refused(refused, "2 write requests in progress")
        assert me(client, world.admin_token).status_code == 200  # reads have their own places
        for connection in slow:
            connection.sendall(body)
            assert connection.recv(100).startswith(b"HTTP/1.1 200")
    finally:
        for connection in slow:
            connection.close()
    assert client.put(put, json={"data": {"name": "Acme"}}, headers=headers).status_code == 200


def test_the_official_sdk_rides_out_a_low_limit(
    live_server: LiveServer, runtime: Runtime, world: World
) -> None:
    """The SDK retries a 429 after its Retry-After: a run past the quota still completes."""
    limit(runtime, rate_limit=3, rate_limit_window=2)
    users_api = asana.UsersApi(live_server.sdk(world.member_token))
    started = time.monotonic()
    names = [users_api.get_user("me", {"opt_fields": "name"})["name"] for _ in range(8)]
    assert names == ["Mel"] * 8
    # 8 calls at 3 per 2 seconds: refused at least twice, each time retried after waiting
    assert time.monotonic() - started >= 2


def _user_on_a_free_plan(runtime: Runtime) -> str:
    gid, now = runtime.gids.next_int, runtime.clock()
    stamp = {"created_at": now, "modified_at": now}
    with runtime.database.write() as connection:
        workspace, user = gid(), gid()
        connection.execute(
            insert(workspaces).values(
                gid=workspace, name="Solo", is_organization=False, plan="personal", **stamp
            )
        )
        connection.execute(
            insert(users).values(gid=user, name="Sol", email="sol@x.example", **stamp)
        )
        connection.execute(
            insert(workspace_memberships).values(
                gid=gid(), workspace_gid=workspace, user_gid=user, is_active=True, **stamp
            )
        )
        return tokens.issue_token(connection, user_gid=user, token_gid=gid(), now=now)
