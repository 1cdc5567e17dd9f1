"""`exportd serve`: the HTTP API on a production ASGI server (uvicorn)."""

from __future__ import annotations

import logging
import signal
from typing import Annotated

import typer
import uvicorn

from exportd.api import create_app
from exportd.cli.common import load_settings
from exportd.cli.demo import announce_demo
from exportd.runtime import Runtime


def serve(
    ctx: typer.Context,
    host: Annotated[
        str | None, typer.Option(help="Interface to listen on (env EXPORTD_HOST).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port to listen on (env EXPORTD_PORT).", min=0, max=65535)
    ] = None,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo", help="Seed the demo organization into an empty store and print a token."
        ),
    ] = False,
) -> None:
    """Serve the API. Migrations are applied first; SIGTERM or Ctrl-C stop it cleanly."""
    settings = load_settings(ctx, host=host, port=port)
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    runtime = Runtime.open(settings)
    try:
        runtime.migrate()
        if demo:
            announce_demo(runtime)
        config = uvicorn.Config(
            create_app(runtime),
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level,
            lifespan="off",
            server_header=False,
        )
        # uvicorn shuts down gracefully on SIGTERM/SIGINT, then re-raises the signal to the
        # handler that was there before it; a quiet one lets us close the store and exit 0.
        for stop in (signal.SIGTERM, signal.SIGINT):
            signal.signal(stop, lambda *_: None)
        uvicorn.Server(config).run()
    finally:
        runtime.close()
