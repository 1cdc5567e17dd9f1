"""The composition root: every entry point (server, worker, CLI, tests) builds its parts here.

`open_runtime()` makes the database, storage, clock, gid source and queue notice of a
process, choosing the queue engine's message (`EXPORTD_QUEUE=procrastinate`) or none;
`build()` adds the HTTP app over them. This module may import from every layer; nothing
imports it but the entry points.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.applications import Starlette

from exportd.api import create_app
from exportd.clock import Clock, system_clock
from exportd.gids import GidGenerator
from exportd.notices import JobNotices
from exportd.runtime import Runtime
from exportd.settings import Settings
from exportd.storage import open_storage
from exportd.store.database import Database


def job_notices(settings: Settings) -> JobNotices:
    """A procrastinate message per new job with `EXPORTD_QUEUE=procrastinate`; with the
    embedded queue no message: its workers poll the `exports` table (and are rung)."""
    if settings.queue == "procrastinate":
        from exportd.jobs.queue import Delivery  # procrastinate only where it is used

        return JobNotices(defer=Delivery())
    return JobNotices()


def open_runtime(settings: Settings, *, clock: Clock = system_clock) -> Runtime:
    """Connect (lazily: the pool opens connections on first use) and build the gid source."""
    return Runtime(
        settings=settings,
        database=Database(settings.database_url),
        storage=open_storage(settings),
        clock=clock,
        gids=GidGenerator(node=settings.node_id, clock=clock),
        notices=job_notices(settings),
    )


@dataclass(frozen=True)
class Server:
    """What `exportd serve` runs: the process's runtime and the app serving it."""

    runtime: Runtime
    app: Starlette


def build(settings: Settings, *, clock: Clock = system_clock) -> Server:
    """The runtime of a serving process and its app (the caller closes the runtime)."""
    runtime = open_runtime(settings, clock=clock)
    return Server(runtime, create_app(runtime))
