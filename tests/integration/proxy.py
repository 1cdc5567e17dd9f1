"""A recording HTTP proxy in front of a test server, to count and to break what clients get.

It forwards every request as it came and records each exchange (the method, path, `Range`
asked, status answered, body bytes passed on). On a download (`/downloads/…`) it can, once,
cut the connection after some bytes, or pass the bytes on slowly, flip a byte, or end the
body early under a `Content-Length` that matches (a server that lies about its file).
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self

import httpx

_HOP = {"connection", "keep-alive", "transfer-encoding", "host", "content-length"}
_CHUNK = 4096


@dataclass(frozen=True)
class Exchange:
    method: str
    path: str
    range: str | None
    status: int
    sent: int  # body bytes passed on to the client
    at: float  # time.monotonic() when the answer started
    retry_after: str | None


@dataclass
class Faults:
    """What to do to the next download; each is used once and then cleared."""

    cut_after: int | None = None  # close the connection after this many body bytes
    cut_delay: float = 0.0  # … having waited this long first (for links to expire)
    corrupt_at: int | None = None  # flip the byte at this offset of the body
    truncate_to: int | None = None  # end the body here, with a Content-Length that says so
    pause: float = 0.0  # seconds between pieces of every download (not cleared)


class Proxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.exchanges: list[Exchange] = []
        self.faults = Faults()
        self.lock = threading.Lock()
        self.http = httpx.Client(base_url=upstream, timeout=30)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                proxy.forward(self)

            do_POST = do_PUT = do_HEAD = do_GET

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.http.close()

    def downloads(self) -> list[Exchange]:
        return [e for e in self.exchanges if e.path.startswith("/downloads/")]

    def forward(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("content-length") or 0)
        body = handler.rfile.read(length) if length else None
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in _HOP}
        is_download = handler.path.startswith("/downloads/")
        with self.lock:
            faults = self.faults
            if is_download:
                self.faults = Faults(pause=faults.pause)
        request = self.http.build_request(
            handler.command, handler.path, headers=headers, content=body
        )
        response = self.http.send(request, stream=True)
        started, sent = time.monotonic(), 0
        try:
            declared = response.headers.get("content-length")
            if is_download and faults.truncate_to is not None and declared is not None:
                declared = str(faults.truncate_to)
            handler.send_response(response.status_code)
            for name, value in response.headers.multi_items():
                if name.lower() not in _HOP:
                    handler.send_header(name, value)
            if declared is not None:
                handler.send_header("content-length", declared)
            handler.send_header("connection", "close")
            handler.end_headers()
            if handler.command != "HEAD":
                for piece in response.iter_raw(_CHUNK):
                    if is_download:
                        piece, stop = self._spoil(piece, sent, faults)
                    else:
                        stop = False
                    if piece:
                        handler.wfile.write(piece)
                        sent += len(piece)
                    if stop:
                        if faults.cut_after is not None:
                            time.sleep(faults.cut_delay)
                            handler.connection.shutdown(socket.SHUT_RDWR)
                        break
                    if is_download and faults.pause:
                        time.sleep(faults.pause)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            response.close()
            handler.close_connection = True
            with self.lock:
                self.exchanges.append(
                    Exchange(
                        handler.command, handler.path, handler.headers.get("range"),
                        response.status_code, sent, started,
                        response.headers.get("retry-after"),
                    )
                )  # fmt: skip

    @staticmethod
    def _spoil(piece: bytes, offset: int, faults: Faults) -> tuple[bytes, bool]:
        """The piece as the fault makes it, and whether to stop after it."""
        end = offset + len(piece)
        if faults.corrupt_at is not None and offset <= faults.corrupt_at < end:
            at = faults.corrupt_at - offset
            piece = piece[:at] + bytes([piece[at] ^ 0xFF]) + piece[at + 1 :]
        limit = faults.cut_after if faults.cut_after is not None else faults.truncate_to
        if limit is not None and end >= limit:
            return piece[: limit - offset], True
        return piece, False
