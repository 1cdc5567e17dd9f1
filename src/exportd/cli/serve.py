"""`exportd serve`: the HTTP API on a production ASGI server (uvicorn)."""

from __future__ import annotations

import logging
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Annotated

import typer
import uvicorn

from exportd import compose
from exportd.api.server import server_config
from exportd.cli.common import load_settings
from exportd.cli.demo import announce_demo
from exportd.jobs import WorkerPool
from exportd.jobs.handlers import HANDLERS
from exportd.jobs.maintenance import Maintenance
from exportd.runtime import Runtime


def serve(
    ctx: typer.Context,
    host: Annotated[
        str | None, typer.Option(help="Interface to listen on (env EXPORTD_HOST).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port to listen on (env EXPORTD_PORT).", min=0, max=65535)
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(help="Export workers in this process; 0 serves the API alone.", min=0),
    ] = None,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo", help="Seed the demo organization into an empty store and print a token."
        ),
    ] = False,
) -> None:
    """Serve the API and run export workers. Migrations are applied first; SIGTERM or Ctrl-C
    stop it cleanly (running exports finish or are handed back to be retried)."""
    settings = load_settings(ctx, service=True, host=host, port=port, workers=workers)
    server = compose.build(settings)
    runtime = server.runtime
    try:
        runtime.migrate()
        if demo:
            announce_demo(runtime)
        config = server_config(server.app, settings)
        # uvicorn shuts down gracefully on SIGTERM/SIGINT, then re-raises the signal to the
        # handler that was there before it; a quiet one lets us close the store and exit 0.
        for stop in (signal.SIGTERM, signal.SIGINT):
            signal.signal(stop, lambda *_: None)
        with background_work(runtime):
            uvicorn.Server(config).run()
    finally:
        runtime.close()


@contextmanager
def background_work(runtime: Runtime) -> Iterator[None]:
    """Export workers (unless `workers` is 0) and housekeeping, for as long as the block runs.

    On the way out, running exports get `stop_timeout` seconds to finish, then are handed
    back to be run again by whichever worker claims them next.
    """
    settings = runtime.settings
    maintenance = Maintenance(runtime)
    pool = None
    if settings.workers:
        lease = timedelta(seconds=settings.job_lease)
        pool = WorkerPool(runtime, HANDLERS, workers=settings.workers, lease=lease)
        pool.start()
    maintenance.start()
    try:
        yield
    finally:
        maintenance.stop()
        if pool is not None:
            handed_back = pool.stop(timeout=settings.stop_timeout)
            if handed_back:
                logging.getLogger("exportd").info("handed back exports %s", handed_back)
