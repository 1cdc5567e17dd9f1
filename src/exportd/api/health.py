"""Liveness and readiness for orchestrators: no authentication, no envelope."""

from __future__ import annotations

from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from exportd import __version__
from exportd.api.responses import json_response
from exportd.runtime import Runtime
from exportd.store import migrate


async def healthz(_request: Request) -> Response:
    """The process is up and serving."""
    return json_response({"status": "ok"})


async def readyz(request: Request) -> Response:
    """Ready when the database answers and its schema is the newest this code knows; the
    version says which release answered (a rolling upgrade's progress)."""
    problem = await run_in_threadpool(_readiness_problem, request.app.state.runtime)
    if problem:
        body = {"status": "unavailable", "reason": problem, "version": __version__}
        return json_response(body, status=503)
    return json_response({"status": "ready", "version": __version__})


def _readiness_problem(runtime: Runtime) -> str | None:
    try:
        with runtime.database.read() as connection:
            connection.execute(text("SELECT 1"))
        if not migrate.is_current(runtime.database):
            return "database schema is not at the newest migration: run `exportd db upgrade`"
    except Exception as error:  # any failure to reach the database means not ready
        return f"database unreachable: {type(error).__name__}"
    return None


routes = [Route("/healthz", healthz), Route("/readyz", readyz)]
