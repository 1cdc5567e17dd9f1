"""exportd's Prometheus metrics: every one defined here, in prometheus-client's registry.

Counters and histograms are of this process: each `exportd serve` and `exportd worker` is
one scrape target (uvicorn runs one process per `serve`; a sharded export's processes
report through the worker that coordinates them), and Prometheus adds them up. The backlog
gauges are read from the database at each scrape (`store.jobs.backlog`), so every process
reports the same, whole-deployment numbers: aggregate them with `max`, not `sum`.

Labels are bounded sets — route templates, methods, statuses, export kinds and states,
limits — never a gid, a token or a raw path.
"""

from __future__ import annotations

import errno
import hmac
import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from exportd.domain.vocabulary import EXPORT_KINDS
from exportd.store import jobs as store
from exportd.store.database import Database

log = logging.getLogger("exportd.metrics")

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
"""The classic text format, which every Prometheus version reads (and prometheus-client
writes by default)."""

# Counters' `_created` series would double the series for no alert's use.
disable_created_metrics()  # type: ignore[no-untyped-call]

HTTP_REQUESTS = Counter(
    "exportd_http_requests",
    "HTTP requests answered, by route template, method and status.",
    ["route", "method", "status"],
)
HTTP_DURATION = Histogram(
    "exportd_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by route template and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
RATE_LIMITED = Counter(
    "exportd_rate_limit_rejections",
    "Requests refused with 429 by a rate limit, by limit.",
    ["limit"],
)
RATE_LIMITS = ("token", "free_token", "ip", "concurrent_reads", "concurrent_writes")

EXPORTS = Counter(
    "exportd_exports",
    "Exports that reached a final state (finished or error), by kind.",
    ["kind", "state"],
)
ATTEMPTS = Counter(
    "exportd_export_attempts",
    "Export attempts ended, by kind and outcome: finished, retry (failed, to be tried "
    "again), gave_up (failed, the export is error), handed_back (its worker stopped), "
    "lost (its lease passed to another worker).",
    ["kind", "outcome"],
)
OUTCOMES = ("finished", "retry", "gave_up", "handed_back", "lost")
EXPORT_DURATION = Histogram(
    "exportd_export_duration_seconds",
    "Time an export attempt ran, from its claim to its outcome, by kind and outcome.",
    ["kind", "outcome"],
    buckets=(0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400),
)
EXPORT_FILE_BYTES = Histogram(
    "exportd_export_file_bytes",
    "Size of the gzip files of finished exports, by kind.",
    ["kind"],
    buckets=tuple(float(1 << shift) for shift in range(10, 41, 3)),  # 1 KiB to 1 TiB
)
WRITTEN_BYTES = Counter(
    "exportd_export_written_bytes", "Bytes of finished exports' files, by kind.", ["kind"]
)
WRITTEN_OBJECTS = Counter(
    "exportd_export_written_objects",
    "Objects (JSON Lines) in finished exports' files, by kind.",
    ["kind"],
)
STORAGE_ERRORS = Counter(
    "exportd_storage_errors",
    "Failures of the export storage: an export attempt failed by it (export), or a file "
    "retention could not delete (delete).",
    ["operation"],
)

for _kind in EXPORT_KINDS:
    for _state in ("finished", "error"):
        EXPORTS.labels(_kind, _state)
    for _outcome in OUTCOMES:
        ATTEMPTS.labels(_kind, _outcome)
    for _counter in (WRITTEN_BYTES, WRITTEN_OBJECTS):
        _counter.labels(_kind)
for _limit in RATE_LIMITS:
    RATE_LIMITED.labels(_limit)
for _operation in ("export", "delete"):
    STORAGE_ERRORS.labels(_operation)

_STORAGE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO, errno.EACCES}


def attempt_ended(
    kind: str,
    outcome: str,
    duration: float,
    *,
    file_bytes: int | None = None,
    objects: int | None = None,
    error: BaseException | None = None,
) -> None:
    """Count one export attempt's end (`outcome`: one of OUTCOMES)."""
    ATTEMPTS.labels(kind, outcome).inc()
    EXPORT_DURATION.labels(kind, outcome).observe(duration)
    if outcome == "finished":
        EXPORTS.labels(kind, "finished").inc()
        if file_bytes is not None:
            EXPORT_FILE_BYTES.labels(kind).observe(file_bytes)
            WRITTEN_BYTES.labels(kind).inc(file_bytes)
        if objects is not None:
            WRITTEN_OBJECTS.labels(kind).inc(objects)
    elif outcome == "gave_up":
        EXPORTS.labels(kind, "error").inc()
    if error is not None and is_storage_error(error):
        STORAGE_ERRORS.labels("export").inc()


def is_storage_error(error: BaseException) -> bool:
    """Whether an export failed because of its storage: a StorageError (S3's errors become
    one) or a disk that is full, read-only or failing, anywhere in the exception's chain."""
    from exportd.storage.base import StorageError  # the storage package imports late

    seen: BaseException | None = error
    for _ in range(20):  # a chain, not a loop
        if seen is None:
            return False
        if isinstance(seen, StorageError):
            return True
        if isinstance(seen, OSError) and seen.errno in _STORAGE_ERRNOS:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class Backlog(Collector):
    """The unfinished exports, read from the database at each scrape."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "exportd_database_up", "1 when the backlog could be read from the database, else 0."
        )
        try:
            rows = store.backlog(self.database)
        except Exception as error:  # a scrape must answer: the other metrics still count
            log.warning("metrics: the export backlog could not be read: %s", type(error).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        now = time.time()
        families = {
            "pending": (
                GaugeMetricFamily(
                    "exportd_exports_pending",
                    "Exports waiting for a worker (new, or failed and waiting to be retried).",
                    labels=["kind"],
                ),
                GaugeMetricFamily(
                    "exportd_exports_oldest_pending_age_seconds",
                    "Age of the oldest pending export, from its request (0: none pending).",
                    labels=["kind"],
                ),
            ),
            "started": (
                GaugeMetricFamily(
                    "exportd_exports_running",
                    "Exports a worker is running now.",
                    labels=["kind"],
                ),
                GaugeMetricFamily(
                    "exportd_exports_oldest_running_age_seconds",
                    "Time the longest-running export has run in its current attempt (0: none).",
                    labels=["kind"],
                ),
            ),
        }
        found = {(row.kind, row.state): row for row in rows}
        for state, (count, age) in families.items():
            for kind in EXPORT_KINDS:
                row = found.get((kind, state))
                count.add_metric([kind], row.count if row else 0)
                age.add_metric([kind], _age(row.oldest, now) if row else 0.0)
            yield count
            yield age


def _age(since: datetime | None, now: float) -> float:
    return max(0.0, now - since.timestamp()) if since is not None else 0.0


def exposition(database: Database) -> bytes:
    """The text a scrape gets: this process's metrics, then the backlog."""
    backlog = CollectorRegistry(auto_describe=False)
    backlog.register(Backlog(database))
    return generate_latest(REGISTRY) + generate_latest(backlog)


class _QuietHandler(WSGIRequestHandler):
    """No access line per scrape: the worker's log is about its exports."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def authorized(token: str, authorization: str | None) -> bool:
    """Whether a scrape may read the metrics: always when no token is set, else only with
    `Authorization: Bearer <token>` (compared in constant time)."""
    if not token:
        return True
    scheme, _, given = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token)


class MetricsServer:
    """`/metrics` (and `/healthz`, for a container's health check) on `host:port`, in a
    thread of its own, for a process that serves no API (`exportd worker`). `port` 0 takes
    a free one (`self.port`). Raises OSError when the port cannot be bound."""

    def __init__(self, host: str, port: int, database: Database, token: str) -> None:
        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
            path = environ.get("PATH_INFO", "")
            if path == "/healthz":
                start_response("200 OK", [("Content-Type", "application/json")])
                return [b'{"status":"ok"}']
            if path != "/metrics":
                start_response("404 Not Found", [("Content-Type", "text/plain")])
                return [b"Not found: /metrics and /healthz are served here\n"]
            if not authorized(token, environ.get("HTTP_AUTHORIZATION")):
                challenge = ("WWW-Authenticate", 'Bearer realm="exportd metrics"')
                start_response("401 Unauthorized", [challenge])
                return [b"Metrics need the bearer token of EXPORTD_METRICS_TOKEN\n"]
            start_response("200 OK", [("Content-Type", CONTENT_TYPE)])
            return [exposition(database)]

        self._server = make_server(host, port, app, _ThreadingServer, _QuietHandler)
        self.port = int(self._server.server_port)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="exportd-metrics", daemon=True
        )
        self._thread.start()
        log.info("metrics served on http://%s:%d/metrics", host, self.port)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
