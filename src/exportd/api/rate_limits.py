"""Asana's rate limits: a request quota per token and per client IP, and a cap on the
requests one token has in flight, answered with `429`, `Retry-After` and Asana's error body.

A pure ASGI middleware, so a refused request costs no routing, no body and no database
work. The token is identified by the SHA-256 its row is stored under, hashed from the
header; which quota it gets (paid or free plan) is read from the database once per token
and window and kept in this process, so a request costs no second query. Requests with no
usable token count against their client IP instead.

Quotas are moving windows of the `limits` library, kept in memory (one process) or in
Redis (`EXPORTD_RATE_LIMIT_STORAGE=redis://…`), where every API process shares them.
Requests in flight are counted per process: they last milliseconds and must be released
even when a process dies, which a shared counter could not promise.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from limits import RateLimitItemPerSecond
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from exportd.api.responses import error_body, json_response
from exportd.observability import metrics
from exportd.runtime import Runtime
from exportd.settings import Settings
from exportd.store import tokens

log = logging.getLogger("exportd.api")

API_PREFIX = "/api/1.0/"
UNLIMITED_PATHS = ("/healthz", "/readyz", "/metrics")  # probes and scrapes always answer
READ_METHODS = ("GET", "HEAD", "OPTIONS")
PLAN_CACHE_SIZE = 10_000  # tokens whose quota is remembered; forgotten all at once when full
STORAGE_ERROR_LOG_EVERY = 60.0  # seconds between warnings while the storage is unreachable


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused: the limit, in words, and when to try again."""

    message: str
    retry_after: int  # whole seconds, at least 1
    limit: str  # which, for the metrics: one of `metrics.RATE_LIMITS`

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        metrics.RATE_LIMITED.labels(self.limit).inc()
        response = json_response(
            error_body(self.message), status=429, headers={"Retry-After": str(self.retry_after)}
        )
        await response(scope, receive, send)


@dataclass
class Limiter:
    """One process's view of the limits of one runtime's settings."""

    runtime: Runtime
    storage: Storage
    windows: MovingWindowRateLimiter
    in_flight: dict[tuple[str, str], int] = field(default_factory=dict)
    plans: dict[str, tuple[float, bool | None]] = field(default_factory=dict)
    storage_failed_at: float = -math.inf

    @classmethod
    def open(cls, runtime: Runtime) -> Limiter:
        url = runtime.settings.rate_limit_storage
        options: dict[str, str] = {} if url.startswith("memory") else {"implementation": "redispy"}
        storage = storage_from_string(f"async+{url}", **options)
        assert isinstance(storage, Storage)  # the async+ schemes give async storages
        return cls(runtime, storage, MovingWindowRateLimiter(storage))

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    async def quota(self, key: str, amount: int, who: str, limit: str) -> Refusal | None:
        """Count one request against `amount` per window for `key`; a Refusal when spent."""
        if amount == 0:
            return None
        window = self.settings.rate_limit_window
        item = RateLimitItemPerSecond(amount, window)
        try:
            if await self.windows.hit(item, key):
                return None
            stats = await self.windows.get_window_stats(item, key)
        except Exception as error:  # the storage is down: serving beats refusing everyone
            self._storage_failed(error)
            return None
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        per = "minute" if window == 60 else f"{window} seconds"
        return Refusal(
            f"Rate limit exceeded: {who} may make {amount:,} requests per {per}. "
            f"Retry after {retry_after} seconds.",
            retry_after,
            limit,
        )

    async def on_paid_plan(self, token_hash: str) -> bool | None:
        """Whether the token gets the paid quota (None: it authenticates no one), read once
        per window: the endpoint authenticates it again, so a stale answer only means an
        old quota for a moment."""
        now = time.monotonic()
        cached = self.plans.get(token_hash)
        if cached is not None and cached[0] > now:
            return cached[1]
        paid = await run_in_threadpool(self._read_plan, token_hash)
        if len(self.plans) >= PLAN_CACHE_SIZE:
            self.plans.clear()
        self.plans[token_hash] = (now + self.settings.rate_limit_window, paid)
        return paid

    def _read_plan(self, token_hash: str) -> bool | None:
        with self.runtime.database.read() as connection:
            return tokens.on_paid_plan(connection, token_hash, self.runtime.clock())

    @contextmanager
    def flight(self, token_hash: str, method: str) -> Iterator[Refusal | None]:
        """Hold one of the token's in-flight places for reads or writes while the request
        runs; a Refusal when they are all taken."""
        kind = "read" if method in READ_METHODS else "write"
        settings = self.settings
        limit = settings.concurrent_reads if kind == "read" else settings.concurrent_writes
        key = (token_hash, kind)
        if limit and self.in_flight.get(key, 0) >= limit:
            yield Refusal(
                f"Concurrent request limit exceeded: a token may have {limit} {kind} requests "
                "in progress at once. Wait for one to finish and retry.",
                1,
                f"concurrent_{kind}s",
            )
            return
        self.in_flight[key] = self.in_flight.get(key, 0) + 1
        try:
            yield None
        finally:
            left = self.in_flight[key] - 1
            if left:
                self.in_flight[key] = left
            else:
                del self.in_flight[key]

    def _storage_failed(self, error: Exception) -> None:
        now = time.monotonic()
        if now - self.storage_failed_at >= STORAGE_ERROR_LOG_EVERY:
            self.storage_failed_at = now
            log.warning("rate limits not applied: their storage failed: %s", error)


class RateLimits:
    """The middleware: every request but the health probes goes through one quota."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.limiter: Limiter | None = None

    def _limiter(self, scope: Scope) -> Limiter:
        """The limiter of the app's runtime, made on first use (the middleware is built
        before the app it wraps holds its runtime)."""
        if self.limiter is None:
            self.limiter = Limiter.open(scope["app"].state.runtime)
        return self.limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNLIMITED_PATHS:
            await self.app(scope, receive, send)
            return
        limiter = self._limiter(scope)
        settings = limiter.settings
        token = _bearer_token(scope) if scope["path"].startswith(API_PREFIX) else None
        token_hash = tokens.hash_token(token) if token else None
        paid = None if token_hash is None else await limiter.on_paid_plan(token_hash)
        if token_hash is None or paid is None:
            client = scope.get("client")
            ip = client[0] if client else "unknown"
            refusal = await limiter.quota(f"ip:{ip}", settings.rate_limit_ip, "a client IP", "ip")
            if refusal is not None:
                await refusal(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        quota = settings.rate_limit if paid else settings.rate_limit_free
        who = "a token" if paid else "a token of a free plan"
        limit = "token" if paid else "free_token"
        refusal = await limiter.quota(f"token:{token_hash}", quota, who, limit)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        with limiter.flight(token_hash, scope["method"]) as refusal:
            if refusal is not None:
                await refusal(scope, receive, send)
                return
            await self.app(scope, receive, send)


def _bearer_token(scope: Scope) -> str | None:
    """The token of an `Authorization: Bearer …` header; None when there is none."""
    scheme, _, token = Headers(scope=scope).get("authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token and " " not in token else None
