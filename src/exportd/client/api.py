"""One connection to an Asana-compatible API: retries, waits and one-line errors.

Every request goes through `ApiClient.request`. What it retries and how long it waits is
decided by `Backoff` and `wait_after`, which are pure, so the rules are testable without a
server: 5xx answers and dropped connections are retried with capped exponential backoff,
a 429 waits exactly what its `Retry-After` says, and a 401, 403 or 404 ends the command
with the server's own message (Asana's error body: `{"errors": [{"message": …}]}`).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from exportd import __version__
from exportd.errors import ExportdError, clip

RETRIES = 8
"""Attempts after the first before a 5xx or a dropped connection ends the command."""

RATE_LIMIT_RETRIES = 50
"""429s waited out before giving up: a storm of them is normal under a low quota."""

TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class ApiError(ExportdError):
    """The server refused or kept failing; `message` is one line for the command to print."""

    def __init__(self, message: str, http_status: int | None = None) -> None:
        super().__init__(message)
        self.http_status = http_status


@dataclass
class Backoff:
    """Capped exponential waits, with jitter so that many clients do not retry in step."""

    first: float = 0.5
    cap: float = 10.0
    factor: float = 2.0
    jitter: float = 0.1
    _next: float = field(default=0.0, init=False)

    def next(self) -> float:
        """The wait before the next try: `first`, then `factor` times longer, at most `cap`."""
        self._next = self.first if self._next == 0 else min(self._next * self.factor, self.cap)
        return self._next * (1 + random.uniform(-self.jitter, self.jitter))

    def reset(self) -> None:
        self._next = 0.0


def retry_after(response: httpx.Response, default: float = 1.0) -> float:
    """Seconds a 429 (or 503) asks to wait: `Retry-After` in whole seconds, else `default`."""
    value = response.headers.get("retry-after", "").strip()
    if value.isascii() and value.isdigit():
        return min(float(value), 600.0)
    return default


def server_message(response: httpx.Response) -> str:
    """The server's own words: the first error of Asana's error body, else the status."""
    try:
        body = response.json()
        message = body["errors"][0]["message"]
        if isinstance(message, str) and message:
            return " ".join(message.split())
    except (ValueError, KeyError, IndexError, TypeError):
        pass
    return response.reason_phrase or "no message"


@dataclass
class ApiClient:
    """Requests to the API under `base_url` with a bearer token; `sleep` is injectable."""

    base_url: str
    token: str
    sleep: Callable[[float], None] = time.sleep
    on_wait: Callable[[str, float], None] | None = None  # told why and how long it waits
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self.http = httpx.Client(
            timeout=TIMEOUT,
            headers={
                "authorization": f"Bearer {self.token}",
                "accept": "application/json",
                "user-agent": f"exportd-client/{__version__}",
            },
            follow_redirects=True,
        )

    def close(self) -> None:
        self.http.close()

    def get(self, path: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        return self.request("GET", path, params=params)

    def post(self, path: str, data: dict[str, Any]) -> dict[str, Any]:
        return self.request("POST", path, body={"data": data})

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The `data` of the answer; retries what may pass, raises ApiError on the rest.

        A POST is retried after a dropped connection or a 5xx too: an export request that
        did reach the server makes the second one a 403 (one export in progress), whose
        message names it, rather than a silent second export.
        """
        url = f"{self.base_url}/{path.lstrip('/')}"
        backoff, failures, limited = Backoff(), 0, 0
        while True:
            try:
                response = self.http.request(method, url, params=params, json=body)
            except httpx.TransportError as error:
                failures += 1
                if failures > RETRIES:
                    raise ApiError(f"{method} {url}: {describe_transport(error)}") from None
                self._wait(f"connection failed ({describe_transport(error)})", backoff.next())
                continue
            status = response.status_code
            if status == 429:
                limited += 1
                if limited > RATE_LIMIT_RETRIES:
                    raise ApiError(f"rate limited: {server_message(response)}", status)
                self._wait("rate limited", retry_after(response))
                continue
            if status >= 500:
                failures += 1
                if failures > RETRIES:
                    raise ApiError(f"{status} from the server: {server_message(response)}", status)
                self._wait(f"server error {status}", backoff.next())
                continue
            if status >= 400:
                raise ApiError(f"{status} {describe_status(status)}: {server_message(response)}",
                               status)  # fmt: skip
            try:
                data = response.json()["data"]
            except (ValueError, KeyError, TypeError):
                raise ApiError(f"{method} {url}: the answer is not an API reply") from None
            if not isinstance(data, dict):
                raise ApiError(f"{method} {url}: the answer is not an object")
            return data

    def _wait(self, why: str, seconds: float) -> None:
        if self.on_wait is not None:
            self.on_wait(why, seconds)
        self.sleep(seconds)


def describe_status(status: int) -> str:
    return {
        400: "bad request",
        401: "not authorized",
        402: "payment required",
        403: "forbidden",
        404: "not found",
    }.get(status, "refused")


def describe_transport(error: httpx.TransportError) -> str:
    text = clip(" ".join(str(error).split()), 200)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
