"""`/metrics` as Prometheus scrapes it from a real `exportd serve` and `exportd worker`:
counters and histograms move with requests and exports, labels hold templates, not gids."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx

from exportd.settings import Settings
from exportd.store import jobs
from exportd.store.database import Database
from tests.e2e.server import Server, free_port
from tests.e2e.test_logs import finished_export, seeded_home
from tests.e2e.workers import Worker
from tests.metrics_text import Series, label_values, parse, value
from tests.polling import until

EXPORT_ROUTE = "/api/1.0/organization_exports/{organization_export_gid}"


def scrape(url: str) -> Series:
    response = httpx.get(f"{url}/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return parse(response.text)


def test_serve_counts_requests_and_exports(tmp_path: Path) -> None:
    home = tmp_path / "home"
    seeded = seeded_home(home)
    auth = {"Authorization": f"Bearer {seeded.service_account_token}"}
    server = Server(home, env={"EXPORTD_RATE_LIMIT_IP": "2"})
    try:
        server.wait_until_ready()
        before = scrape(server.url)
        export = finished_export(server, seeded, auth)
        for _ in range(3):  # two allowed, then a 429 from the client IP's quota
            httpx.get(f"{server.url}/downloads/not-a-link")
        after = scrape(server.url)
    finally:
        server.stop()

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    polls = moved("exportd_http_requests_total", route=EXPORT_ROUTE, method="GET", status="200")
    assert polls >= 1
    timed = moved("exportd_http_request_duration_seconds_count", route=EXPORT_ROUTE, method="GET")
    assert timed == polls
    assert moved("exportd_http_request_duration_seconds_sum", route=EXPORT_ROUTE, method="GET") > 0
    created = {"route": "/api/1.0/organization_exports", "method": "POST", "status": "201"}
    assert moved("exportd_http_requests_total", **created) == 1
    limited = {"route": "/downloads/{token}", "method": "GET", "status": "429"}
    assert moved("exportd_http_requests_total", **limited) == 1
    assert moved("exportd_rate_limit_rejections_total", limit="ip") == 1

    organization = {"kind": "organization"}
    assert moved("exportd_exports_total", state="finished", **organization) == 1
    assert moved("exportd_export_attempts_total", outcome="finished", **organization) == 1
    duration = {"outcome": "finished", **organization}
    assert moved("exportd_export_duration_seconds_count", **duration) == 1
    assert moved("exportd_export_duration_seconds_sum", **duration) > 0
    assert moved("exportd_export_file_bytes_count", **organization) == 1
    assert moved("exportd_export_written_bytes_total", **organization) > 0
    assert moved("exportd_export_written_objects_total", **organization) > 0
    assert value(after, "exportd_exports_pending", **organization) == 0
    assert value(after, "exportd_exports_running", **organization) == 0
    assert value(after, "exportd_database_up") == 1

    labels = label_values(after)
    assert export["gid"] not in "".join(labels)
    assert "not-a-link" not in "".join(labels)


def test_worker_serves_metrics_of_the_exports_it_runs(tmp_path: Path) -> None:
    home = tmp_path / "home"
    seeded = seeded_home(home)
    database = Database(Settings.load(home=home).database_url)
    port = free_port()
    env = {"EXPORTD_METRICS_PORT": str(port), "EXPORTD_METRICS_TOKEN": "scrape-secret"}
    worker = Worker(home, tmp_path / "worker.log", env=env)
    url = f"http://127.0.0.1:{port}"
    try:

        def listening() -> bool:
            try:
                return bool(httpx.get(f"{url}/healthz").json() == {"status": "ok"})
            except httpx.TransportError:
                return False

        until(listening, 60, "the worker's metrics server")
        assert httpx.get(f"{url}/metrics").status_code == 401
        assert (
            httpx.get(f"{url}/metrics", headers={"Authorization": "Bearer wrong"}).status_code
            == 401
        )
        with database.write() as connection:
            jobs.create(
                connection,
                gid=seeded.organization_gid + 10_000_000,
                kind="organization",
                workspace_gid=seeded.organization_gid,
                created_by_gid=seeded.service_account_gid,
                parameters={},
                now=datetime.now(UTC),
            )
        auth = {"Authorization": "Bearer scrape-secret"}

        def finished() -> bool:
            series = parse(httpx.get(f"{url}/metrics", headers=auth).text)
            return (
                value(series, "exportd_exports_total", kind="organization", state="finished") == 1
            )

        until(finished, 60, "the worker to count its finished export")
    finally:
        worker.stop()
        database.dispose()
    assert worker.process.returncode == 0, worker.output
