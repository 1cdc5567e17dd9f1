"""A request id for every request: on its answer (`X-Request-Id`) and on every log line.

A proxy or client that already tagged the request (`X-Request-Id`) keeps its id, so one id
follows the request across services; an id longer than `MAX_LENGTH` or with characters
outside letters, digits and `._:-` is not used (nor written anywhere): it is replaced by a
new one, as a request without any gets. Pure ASGI middleware, outermost of exportd's, so
the answers of the other middlewares (413, 408, 429, 500) carry the id too.
"""

from __future__ import annotations

import re
import secrets

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from exportd.observability import logs

HEADER = "X-Request-Id"
MAX_LENGTH = 128
_ACCEPTED = re.compile(rf"[A-Za-z0-9._:\-]{{1,{MAX_LENGTH}}}")


def request_id(given: str | None) -> str:
    """`given` when it is a usable id; otherwise a new one (32 hex digits)."""
    if given is not None and _ACCEPTED.fullmatch(given):
        return given
    return secrets.token_hex(16)


class RequestIds:
    """Binds the request's id to its log lines (`request_id`) and adds it to its answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id(Headers(scope=scope).get(HEADER))

        async def tagged(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = rid
            await send(message)

        with logs.bound(request_id=rid):
            await self.app(scope, receive, tagged)
