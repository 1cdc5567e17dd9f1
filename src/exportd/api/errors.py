"""One place that turns exceptions into Asana's error body (C1)."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from exportd.api.redaction import redact_target
from exportd.api.responses import error_body, json_response, new_phrase
from exportd.errors import ExportdError, NotAuthorized, TooManyRequests

log = logging.getLogger("exportd.api")

_HTTP_MESSAGES = {
    404: "No matching route for request",
    405: "Method not allowed for this route",
}


def exportd_error_response(scope: Scope, error: ExportdError) -> Response:
    """Asana's error body for an error raised on purpose, by a route or by a middleware."""
    if error.status >= 500:  # the server's trouble (the database is down): not the client's
        phrase = new_phrase()
        target = redact_target(str(scope.get("path", "")))
        log.error("%s on %s %s [%s]", error.message, scope.get("method"), target, phrase)
        message = "Service Unavailable" if error.status == 503 else "Server Error"
        return json_response(error_body(message, phrase=phrase), status=error.status)
    headers = (
        {"WWW-Authenticate": 'Bearer realm="exportd"'} if isinstance(error, NotAuthorized) else None
    )
    if isinstance(error, TooManyRequests):
        headers = {"Retry-After": str(error.retry_after)}
    return json_response(error_body(error.message), status=error.status, headers=headers)


async def exportd_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, ExportdError)
    return exportd_error_response(request.scope, error)


def body_too_large(limit: int) -> Response:
    message = f"Request body too large: this endpoint accepts at most {limit:,} bytes"
    return json_response(error_body(message), status=413)


async def http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    limit = request.scope.get(MAX_BODY_SIZE_SCOPE_KEY)
    if error.status_code == 413 and isinstance(limit, int):  # api/bodies.py's size limit
        return body_too_large(limit)
    message = _HTTP_MESSAGES.get(error.status_code, str(error.detail))
    return json_response(error_body(message), status=error.status_code, headers=error.headers)


def server_error_response(scope: Scope, error: Exception) -> Response:
    """A 500 with a phrase that ties it to its log line (which has the traceback)."""
    phrase = new_phrase()
    log.error(
        "unhandled error on %s %s [%s]",
        scope.get("method"),
        redact_target(str(scope.get("path", ""))),
        phrase,
        exc_info=error,
    )
    body = error_body("Server Error", phrase=phrase)
    return json_response(body, status=500)


HANDLERS = {ExportdError: exportd_error, HTTPException: http_error}
"""Errors raised on purpose; anything else is `failures.ServerErrors`' to answer."""
