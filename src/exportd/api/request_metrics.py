"""HTTP metrics, and `GET /metrics` where Prometheus scrapes them.

`RequestMetrics` is pure ASGI middleware, just inside `request_ids.RequestIds`, so the
answers of every other middleware (413, 408, 429, 500) are counted too. A request is
labelled by the template of the route it matched (`/api/1.0/organization_exports/{gid}`),
found before the request runs, never by its path: gids and download tokens stay out of
the labels, and their number stays bounded (`unmatched` for everything else).

`/metrics` is open unless `EXPORTD_METRICS_TOKEN` is set; then a scrape needs
`Authorization: Bearer <that token>` (docs/operations.md, "Metrics").
"""

from __future__ import annotations

import time

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from exportd.api.responses import error_body, json_response
from exportd.observability import metrics
from exportd.runtime import Runtime

UNMATCHED = "unmatched"


def route_template(routes: list[BaseRoute], scope: Scope, prefix: str = "") -> str | None:
    """The path template of the route that serves `scope`, mounts included, found as
    Starlette's router finds it: the first full match, else the first route matching the
    path but not the method (its 405)."""
    partial: str | None = None
    for route in routes:
        match, child = route.matches(scope)
        if match is Match.NONE:
            continue
        if isinstance(route, Mount):
            found = route_template(route.routes, {**scope, **child}, prefix + route.path)
        elif isinstance(route, Route):
            found = prefix + route.path
        else:
            continue
        if match is Match.FULL:
            return found
        partial = partial or found
    return partial


class RequestMetrics:
    """Counts every HTTP request by route, method and status, and times it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        route = route_template(scope["app"].routes, dict(scope)) or UNMATCHED
        method = scope["method"] if scope["method"] in _METHODS else "other"
        status = 500  # what the client gets when the app raises before answering

        async def watched(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watched)
        finally:
            metrics.HTTP_REQUESTS.labels(route, method, str(status)).inc()
            elapsed = time.perf_counter() - started
            metrics.HTTP_DURATION.labels(route, method).observe(elapsed)


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


async def scrape(request: Request) -> Response:
    """Prometheus's text exposition of this process's metrics and the export backlog."""
    runtime: Runtime = request.app.state.runtime
    token = runtime.settings.metrics_token.get_secret_value()
    if not metrics.authorized(token, Headers(scope=request.scope).get("authorization")):
        body = error_body("Metrics need the bearer token of EXPORTD_METRICS_TOKEN")
        headers = {"WWW-Authenticate": 'Bearer realm="exportd metrics"'}
        return json_response(body, status=401, headers=headers)
    text = await run_in_threadpool(metrics.exposition, runtime.database)
    return Response(text, media_type=metrics.CONTENT_TYPE)


routes = [Route("/metrics", scrape, methods=["GET"])]
