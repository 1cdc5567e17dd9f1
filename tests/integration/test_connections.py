"""Connection-level behaviour over real loopback sockets: a failed request does not cost
the client its keep-alive connection, request bodies are bounded in size and time, and slow
or idle connections are closed."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import orjson
import pytest

from exportd.runtime import Runtime
from exportd.settings import Settings
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
        assert connection.request("GET", "/healthz").status == 200
    with RawConnection(live_server.url) as connection:
        # Refused before its body was read: the server says it closes, then closes.
        failed = connection.request("POST", "/api/1.0/organization_exports", auth, b"{}")
        assert failed.status == 500
        assert failed.headers["connection"] == "close"
        assert connection.closed_by_server(within=3) is not None
    assert "unhandled error on GET /api/1.0/users/me" in caplog.text


def json_post(path: str, length: int, start: bytes, token: str = "") -> bytes:
    """The head of a POST declaring a JSON body of `length` bytes, and its first bytes."""
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}"
        f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    ).encode() + start


class TestBodySize:
    def test_a_declared_body_over_the_limit_is_413_before_it_is_read(
        self, live_server: LiveServer, world: World
    ) -> None:
        with RawConnection(live_server.url) as connection:
            path = "/api/1.0/organization_exports"
            connection.send(json_post(path, 100 << 20, b'{"data": ', world.admin_token))
            response = connection.read_response()
            assert response.status == 413
            assert response.headers["connection"] == "close"
            message = orjson.loads(response.body)["errors"][0]["message"]
            assert (
                message == "Request body too large: this endpoint accepts at most 1,048,576 bytes"
            )
            assert connection.closed_by_server(within=5) is not None

    def test_forms_and_the_open_oauth_endpoints_have_the_smaller_limit(
        self, live_server: LiveServer
    ) -> None:
        for content_type in ("application/x-www-form-urlencoded", "application/json"):
            with RawConnection(live_server.url) as connection:
                connection.send(
                    b"POST /-/oauth_token HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    b"Content-Type: " + content_type.encode() + b"\r\n"
                    b"Content-Length: 70000\r\n\r\ngrant_type="
                )
                response = connection.read_response()
                assert response.status == 413
                assert b"at most 65,536 bytes" in response.body

    def test_a_chunked_body_is_cut_off_at_the_limit(
        self, live_server: LiveServer, runtime: Runtime, world: World
    ) -> None:
        runtime.settings = runtime.settings.model_copy(update={"max_body_bytes": 10_000})
        with RawConnection(live_server.url) as connection:
            connection.send(
                b"PUT /api/1.0/workspaces/%d HTTP/1.1\r\nHost: 127.0.0.1\r\n" % world.acme
                + f"Authorization: Bearer {world.admin_token}\r\n".encode()
                + b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            )
            chunk = b" " * 4_000
            for _ in range(3):
                connection.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            response = connection.read_response()
            assert response.status == 413
            assert b"at most 10,000 bytes" in response.body

    def test_a_body_under_the_limit_is_read(
        self, live_server: LiveServer, runtime: Runtime, world: World
    ) -> None:
        body = b'{"data": {"name": "Acme Corp"}}' + b" " * 1_000_000
        response = httpx.put(
            f"{live_server.api}/workspaces/{world.acme}",
            content=body,
            headers={"Authorization": f"Bearer {world.admin_token}",
                     "Content-Type": "application/json"},
        )  # fmt: skip
        assert response.status_code == 200
        assert response.json()["data"]["name"] == "Acme Corp"


class TestSlowBodies:
    def test_a_body_that_stops_short_is_408_and_the_connection_closed(
        self, live_server: LiveServer, runtime: Runtime, world: World
    ) -> None:
        runtime.settings = runtime.settings.model_copy(update={"body_timeout": 0.5})
        with RawConnection(live_server.url) as connection:
            started = time.monotonic()
            path = "/api/1.0/organization_exports"
            connection.send(json_post(path, 100, b'{"data": {', world.admin_token))
            response = connection.read_response()
            assert response.status == 408
            assert time.monotonic() - started < 3
            assert response.headers["connection"] == "close"
            assert orjson.loads(response.body)["errors"][0]["message"].startswith(
                "The request body did not arrive in time"
            )
            assert connection.closed_by_server(within=3) is not None

    def test_a_body_trickled_to_an_endpoint_that_does_not_read_it_closes_the_connection(
        self, live_server: LiveServer, world: World
    ) -> None:
        with RawConnection(live_server.url) as connection:
            connection.send(
                b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n0123456789"
            )
            response = connection.read_response()
            assert response.status == 200
            assert response.headers["connection"] == "close"
            assert connection.closed_by_server(within=3) is not None


@pytest.fixture(scope="module")
def _impatient_server() -> Iterator[LiveServer]:
    with LiveServer(Settings(header_timeout=0.5, idle_timeout=1)) as server:
        yield server


@pytest.fixture
def impatient(_impatient_server: LiveServer, runtime: Runtime) -> LiveServer:
    """A server with a header deadline of 0.5 s and an idle timeout of 1 s."""
    return _impatient_server.use(runtime)


class TestSlowHeaders:
    def test_headers_sent_a_line_at_a_time_are_cut_off_with_a_408(
        self, impatient: LiveServer
    ) -> None:
        with RawConnection(impatient.url) as connection:
            started = time.monotonic()
            connection.send(b"GET /healthz HTTP/1.1\r\n")
            for number in range(20):
                if connection.readable(within=0.1):
                    break
                connection.send(b"X-Slow-%d: yes\r\n" % number)
            assert connection.read_response().status == 408
            assert 0.4 < time.monotonic() - started < 3
            assert connection.closed_by_server(within=1) is not None

    def test_many_slow_clients_are_all_closed(self, impatient: LiveServer) -> None:
        connections = [RawConnection(impatient.url) for _ in range(50)]
        try:
            for connection in connections:
                connection.send(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            closed = [connection.closed_by_server(within=3) for connection in connections]
            assert all(seconds is not None for seconds in closed), closed
        finally:
            for connection in connections:
                connection.close()

    def test_headers_in_time_are_served(self, impatient: LiveServer) -> None:
        with RawConnection(impatient.url) as connection:
            connection.send(b"GET /healthz HTTP/1.1\r\n")
            time.sleep(0.2)
            connection.send(b"Host: 127.0.0.1\r\n\r\n")
            assert connection.read_response().status == 200


class TestIdleConnections:
    def test_a_connection_that_sends_nothing_is_closed(self, impatient: LiveServer) -> None:
        with RawConnection(impatient.url) as connection:
            seconds = connection.closed_by_server(within=4)
            assert seconds is not None
            assert 0.8 < seconds < 3

    def test_a_connection_idle_after_a_request_is_closed(self, impatient: LiveServer) -> None:
        with RawConnection(impatient.url) as connection:
            assert connection.request("GET", "/healthz").status == 200
            assert connection.request("GET", "/healthz").status == 200  # kept alive
            seconds = connection.closed_by_server(within=4)
            assert seconds is not None
            assert seconds < 3
