"""What a request body may cost, whoever sends it: a size cap, a deadline, and a connection
that closes when a body is left unread.

- **Size.** Forms and everything under `/-/` (the OAuth pages and token endpoints, open
  without a token) get `max_form_bytes`, the rest `max_body_bytes`. A declared
  `Content-Length` over it is answered 413 here, before the app runs or any of the body is
  read; a chunked body is cut off by Starlette's `RequestBodyLimitMiddleware` once it
  passes the limit.
- **Time.** The whole body must arrive within `body_timeout` seconds of the request reaching
  the app, or the request is answered 408. uvicorn has no body read timeout of its own.
- **Unread bodies.** A response to a request whose body was not read to its end carries
  `Connection: close`, so the server does not go on reading (and dropping) whatever the
  client still sends, at whatever pace it sends it.

The limits are read per request from the runtime's settings, so a test can point a
running server at another configuration.
"""

from __future__ import annotations

import asyncio

from starlette.datastructures import Headers
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from exportd.api.errors import body_too_large
from exportd.errors import RequestTimeout
from exportd.numbers import parse_integer
from exportd.settings import Settings

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
FORM_PATHS = "/-/"
_HUGE = 1 << 62  # the largest Content-Length worth reading as a number


class RequestBodies:
    """Pure ASGI middleware: the outermost of exportd's own (see `app.py`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        settings: Settings = scope["app"].state.runtime.settings
        headers = Headers(scope=scope)
        body = _TimedBody(receive, headers, settings.body_timeout)

        async def send_closing(message: Message) -> None:
            if message["type"] == "http.response.start" and not body.complete:
                extra = [(b"connection", b"close")]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        limit = settings.max_form_bytes if is_form(scope, headers) else settings.max_body_bytes
        declared = parse_integer(headers.get("content-length", ""), _HUGE)
        if declared is not None and declared > limit:
            await body_too_large(limit)(scope, receive, send_closing)
            return
        limited = RequestBodyLimitMiddleware(self.app, max_body_size=limit)
        await limited(scope, body.receive, send_closing)


def is_form(scope: Scope, headers: Headers) -> bool:
    media_type = headers.get("content-type", "").split(";")[0].strip().lower()
    return media_type in FORM_TYPES or str(scope.get("path", "")).startswith(FORM_PATHS)


class _TimedBody:
    """The request's `receive`, with a deadline on the body and a note of when it ended."""

    def __init__(self, receive: Receive, headers: Headers, timeout: float) -> None:
        self._receive = receive
        self._deadline = asyncio.get_running_loop().time() + timeout
        has_body = "transfer-encoding" in headers or headers.get("content-length", "0") != "0"
        self.complete = not has_body

    async def receive(self) -> Message:
        if self.complete:  # waiting for a disconnect (streamed responses) has no deadline
            return await self._receive()
        try:
            async with asyncio.timeout_at(self._deadline):
                message = await self._receive()
        except TimeoutError:
            raise RequestTimeout(
                "The request body did not arrive in time; send it at once after the headers"
            ) from None
        if message["type"] != "http.request" or not message.get("more_body", False):
            self.complete = True
        return message
