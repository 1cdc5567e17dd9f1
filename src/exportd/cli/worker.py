"""`exportd worker`: a process that runs export jobs and serves no API.

With `EXPORTD_QUEUE=procrastinate` it is a procrastinate worker (`jobs.queue.worker`): run
as many as the exports need, on any machines that reach the database and the storage.
With the embedded queue it runs the same worker threads `serve` would, polling the
`exports` table, for a machine that keeps its API processes free of exports.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Annotated

import typer

from exportd import compose
from exportd.cli.common import fail, load_settings
from exportd.jobs import WorkerPool
from exportd.jobs.handlers import HANDLERS
from exportd.observability import metrics
from exportd.runtime import Runtime


def worker(
    ctx: typer.Context,
    concurrency: Annotated[
        int | None,
        typer.Option(help="Exports run at once (env EXPORTD_WORKER_CONCURRENCY).", min=1),
    ] = None,
) -> None:
    """Run export jobs until SIGTERM or Ctrl-C; running exports then get EXPORTD_STOP_TIMEOUT
    seconds to finish, and are handed back to another worker if they do not."""
    settings = load_settings(ctx, service=True, worker_concurrency=concurrency)
    runtime = compose.open_runtime(settings)
    try:
        runtime.migrate()
        with _metrics(runtime):
            if settings.queue == "procrastinate":
                from exportd.jobs.queue import worker as queue_worker

                queue_worker.run(runtime, HANDLERS)
            else:
                _poll(runtime)
    finally:
        runtime.close()


@contextmanager
def _metrics(runtime: Runtime) -> Iterator[None]:
    """The metrics server on EXPORTD_METRICS_PORT, if one is set, while the block runs."""
    settings = runtime.settings
    if not settings.metrics_port:
        yield
        return
    token = settings.metrics_token.get_secret_value()
    try:
        server = metrics.MetricsServer(
            settings.host, settings.metrics_port, runtime.database, token
        )
    except OSError as error:
        fail(f"metrics on {settings.host}:{settings.metrics_port}: {error.strerror or error}")
    try:
        yield
    finally:
        server.stop()


def _poll(runtime: Runtime) -> None:
    """The embedded worker pool, until a stop signal."""
    settings = runtime.settings
    pool = WorkerPool(
        runtime,
        HANDLERS,
        workers=settings.worker_concurrency,
        lease=timedelta(seconds=settings.job_lease),
    )
    stopping = threading.Event()
    for stop in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop, lambda *_: stopping.set())
    pool.start()
    while not stopping.wait(1.0):
        pass
    handed_back = pool.stop(timeout=settings.stop_timeout)
    if handed_back:
        logging.getLogger("exportd").info("handed back exports %s", handed_back)
