"""exportd's HTTP server: uvicorn, configured from the settings, with a header deadline.

uvicorn closes a connection idle *between* requests (`timeout_keep_alive`), but none that
connects and sends nothing, nor one that sends its headers a line every few seconds: any
byte cancels the keep-alive timer and nothing arms another until a response is sent. So a
few hundred slow clients hold a server's connections forever. uvicorn has no setting for
this; its maintainers point to a proxy. What is added here is small and rides on uvicorn's
own HTTP protocol (httptools, which `uvicorn[standard]` always installs):

- a connection is idle from the moment it is made, on uvicorn's own keep-alive timer
  (`idle_timeout`), exactly as between requests;
- the first byte of a request starts the header deadline (`header_timeout`); headers not
  complete by then are answered 408 and the connection is closed.

The body's deadline and size are checked in the app (`api/bodies.py`), where the answer
can be an error body. uvicorn's loggers are left to the process's logging set-up
(`observability.logs`), which formats them like every other line and redacts the access log.
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from exportd.settings import Settings

_TIMED_OUT = b"The request headers did not arrive in time.\n"
_408 = b"".join(
    [
        b"HTTP/1.1 408 Request Timeout\r\n",
        b"content-type: text/plain; charset=utf-8\r\n",
        b"content-length: %d\r\n" % len(_TIMED_OUT),
        b"connection: close\r\n\r\n",
        _TIMED_OUT,
    ]
)


def timed_protocol(header_timeout: float) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol with a header deadline and idle-from-the-start."""

    class TimedHttpToolsProtocol(HttpToolsProtocol):
        _header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self.timeout_keep_alive_task = self.loop.call_later(
                self.timeout_keep_alive, self.timeout_keep_alive_handler
            )

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._stop_header_timer()
            self._header_timer = self.loop.call_later(header_timeout, self._headers_timed_out)

        def on_headers_complete(self) -> None:
            self._stop_header_timer()
            super().on_headers_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._stop_header_timer()
            super().connection_lost(exc)

        def _stop_header_timer(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_timed_out(self) -> None:
            self._header_timer = None
            if self.transport.is_closing():
                return
            if self.cycle is not None and not self.cycle.response_complete:
                # A pipelined request stalled behind one still being answered: let that
                # answer finish, then close, rather than cut into it.
                self.cycle.keep_alive = False
                return
            self.transport.write(_408)
            self.transport.close()

    return TimedHttpToolsProtocol


def server_config(app: Any, settings: Settings, **overrides: Any) -> uvicorn.Config:
    """The uvicorn configuration `serve` runs `app` with (tests override host and port)."""
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level,
        "lifespan": "off",
        "server_header": False,
        "http": timed_protocol(settings.header_timeout),
        "timeout_keep_alive": settings.idle_timeout,
        "log_config": None,  # observability.logs has set up every logger, uvicorn's too
    }
    return uvicorn.Config(app, **(options | overrides))
