"""Unexpected exceptions become a 500 in Asana's error body, and the connection lives on.

Starlette's own ServerErrorMiddleware answers and then re-raises, which tells the HTTP
server the request broke mid-way: uvicorn then drops the keep-alive connection without a
`Connection: close`, so a client's next pooled request fails with a reset. This middleware
sits inside it, answers the 500 itself and does not re-raise. Errors raised on purpose by
the middlewares outside the routes (the rate limiter cannot read the database: 503) get the
answer the routes' handlers would give. Only when the response had
already begun is the exception passed on: that response is broken, and closing is right.
"""

from __future__ import annotations

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from exportd.api.errors import exportd_error_response, server_error_response
from exportd.errors import ExportdError


class ServerErrors:
    """Pure ASGI middleware, inside `bodies.RequestBodies` (which closes the connection
    after a 500 too, when the request's body was left unread)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except ClientDisconnect:
            return  # the client left while sending its body: nobody to answer
        except Exception as error:
            if started:
                raise
            if isinstance(error, ExportdError):  # raised on purpose outside the routes
                response = exportd_error_response(scope, error)
            else:
                response = server_error_response(scope, error)
            await response(scope, receive, send)
