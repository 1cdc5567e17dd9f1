"""HTTP/1.1 by hand over a loopback socket, for what an HTTP client library will not do:
send headers a line at a time, declare a body and stop short, reuse one connection."""

from __future__ import annotations

import select
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes


class RawConnection:
    """One TCP connection to a server at `url` (`http://127.0.0.1:PORT`)."""

    def __init__(self, url: str, timeout: float = 10) -> None:
        parts = urlsplit(url)
        assert parts.hostname == "127.0.0.1"
        self.host = f"{parts.hostname}:{parts.port}"
        self.socket = socket.create_connection((parts.hostname, parts.port), timeout=timeout)
        self.buffer = b""

    def close(self) -> None:
        self.socket.close()

    def __enter__(self) -> RawConnection:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def send(self, data: bytes) -> None:
        self.socket.sendall(data)

    def request(self, method: str, path: str, headers: dict[str, str] | None = None,
                body: bytes = b"") -> RawResponse:  # fmt: skip
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        if body or method in ("POST", "PUT"):
            lines.append(f"Content-Length: {len(body)}")
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        return self.read_response()

    def read_response(self) -> RawResponse:
        """One response with a Content-Length body (all of exportd's are)."""
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(self.buffer) < length:
            self._fill()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return RawResponse(int(status_line.split()[1]), headers, body)

    def closed_by_server(self, within: float) -> float | None:
        """Seconds until the server closed the connection (reading and dropping whatever
        it sent), or None if it was still open after `within` seconds."""
        start = time.monotonic()
        self.socket.settimeout(0.05)
        while time.monotonic() - start < within:
            try:
                if not self.socket.recv(65536):
                    return time.monotonic() - start
            except TimeoutError:
                continue
            except ConnectionResetError:
                return time.monotonic() - start
        return None

    def readable(self, within: float) -> bool:
        """Whether the server sent something (or closed) within `within` seconds."""
        ready, _, _ = select.select([self.socket], [], [], within)
        return bool(ready)

    def _fill(self) -> None:
        chunk = self.socket.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buffer += chunk
