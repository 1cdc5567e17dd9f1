"""`GET /metrics` over real HTTP: the backlog read from the store at each scrape, the
optional scrape token, and route templates for what did not match a route's method."""

from __future__ import annotations

from datetime import timedelta

import httpx
from pydantic import SecretStr

from exportd.runtime import Runtime
from exportd.store import jobs
from tests.conftest import LiveServer
from tests.integration.world import build_world
from tests.metrics_text import parse, value


def test_backlog_is_read_from_the_store_at_each_scrape(
    live_server: LiveServer, runtime: Runtime
) -> None:
    world = build_world(runtime)
    now = runtime.clock()
    with runtime.database.write() as connection:
        for workspace, wait in ((world.acme, timedelta(minutes=5)), (world.globex, timedelta(0))):
            jobs.create(
                connection,
                gid=runtime.gids.next_int(),
                kind="organization",  # one in progress per organization
                workspace_gid=workspace,
                created_by_gid=world.admin,
                parameters={},
                now=now - wait,
            )
    series = parse(httpx.get(f"{live_server.url}/metrics").text)
    organization = {"kind": "organization"}
    assert value(series, "exportd_exports_pending", **organization) == 2
    oldest = value(series, "exportd_exports_oldest_pending_age_seconds", **organization)
    assert 300 <= oldest < 400
    assert value(series, "exportd_exports_pending", kind="resource") == 0
    assert value(series, "exportd_exports_running", **organization) == 0
    assert value(series, "exportd_database_up") == 1


def test_a_metrics_token_guards_the_scrape(live_server: LiveServer, runtime: Runtime) -> None:
    runtime.settings = runtime.settings.model_copy(
        update={"metrics_token": SecretStr("scrape-secret")}
    )
    url = f"{live_server.url}/metrics"
    refused = httpx.get(url)
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert "scrape-secret" not in refused.text
    assert httpx.get(url, headers={"Authorization": "Bearer nope"}).status_code == 401
    allowed = httpx.get(url, headers={"Authorization": "Bearer scrape-secret"})
    assert allowed.status_code == 200
    assert "exportd_http_requests_total" in allowed.text


def test_requests_are_labelled_by_route_template(live_server: LiveServer) -> None:
    httpx.delete(f"{live_server.api}/jobs/123456")  # 405: the route's path, not its method
    httpx.get(f"{live_server.url}/no/such/page/987654")
    series = parse(httpx.get(f"{live_server.url}/metrics").text)
    job = {"route": "/api/1.0/jobs/{job_gid}", "method": "DELETE", "status": "405"}
    assert value(series, "exportd_http_requests_total", **job) >= 1
    lost = {"route": "unmatched", "method": "GET", "status": "404"}
    assert value(series, "exportd_http_requests_total", **lost) >= 1
    assert not any("987654" in v or "123456" in v for _n, ls in series for _l, v in ls)
