"""Connection-level behaviour over real loopback sockets: a failed request does not cost
the client its keep-alive connection."""

from __future__ import annotations

import pytest

from exportd.runtime import Runtime
from tests.conftest import LiveServer
from tests.integration.world import World, build_world
from tests.raw_http import RawConnection


@pytest.fixture
def world(runtime: Runtime) -> World:
    return build_world(runtime)


def test_a_500_keeps_the_connection_for_the_next_request(
    live_server: LiveServer, runtime: Runtime, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    with runtime.database.write() as connection:
        connection.exec_driver_sql("ALTER TABLE access_tokens RENAME TO access_tokens_gone")
    auth = {"Authorization": f"Bearer {world.admin_token}"}
    with RawConnection(live_server.url) as connection:
        failed = connection.request("GET", "/api/1.0/users/me", auth)
        assert failed.status == 500
        assert b'"phrase"' in failed.body
        assert failed.headers.get("connection") != "close"
        again = connection.request("GET", "/healthz")
        assert again.status == 200
        failed = connection.request("POST", "/api/1.0/organization_exports", auth, b"{}")
        assert failed.status == 500
        assert connection.request("GET", "/healthz").status == 200
    assert "unhandled error on GET /api/1.0/users/me" in caplog.text
