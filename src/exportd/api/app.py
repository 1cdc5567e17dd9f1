"""The app factory: all HTTP wiring in one place, nothing at import time."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount

from exportd.api import (
    bodies,
    downloads,
    errors,
    failures,
    graph_exports,
    health,
    jobs,
    oauth_authorize,
    oauth_token,
    organization_exports,
    request_metrics,
    resource_exports,
    users,
    workspaces,
)
from exportd.api.rate_limits import RateLimits
from exportd.api.request_ids import RequestIds
from exportd.runtime import Runtime

API_PREFIX = "/api/1.0"


def create_app(runtime: Runtime) -> Starlette:
    """An ASGI app serving the API over `runtime` (which the caller opens and closes;
    `compose.build()` makes both)."""
    app = Starlette(
        routes=[
            *health.routes,
            *request_metrics.routes,
            *downloads.routes,
            *oauth_authorize.routes,
            *oauth_token.routes,
            Mount(
                API_PREFIX,
                routes=[
                    *users.routes,
                    *workspaces.routes,
                    *organization_exports.routes,
                    *resource_exports.routes,
                    *graph_exports.routes,
                    *jobs.routes,
                ],
            ),
        ],
        exception_handlers=errors.HANDLERS,
        # Pure ASGI middleware only, outermost first.
        middleware=[
            Middleware(RequestIds),
            Middleware(request_metrics.RequestMetrics),
            Middleware(bodies.RequestBodies),
            Middleware(failures.ServerErrors),
            Middleware(RateLimits),
        ],
    )
    app.state.runtime = runtime
    return app
