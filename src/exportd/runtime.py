"""The composition root: what every entry point (server, worker, CLI) wires once and shares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Connection

from exportd.clock import Clock, system_clock
from exportd.gids import GidGenerator
from exportd.settings import Settings
from exportd.storage import Storage, open_storage
from exportd.store import migrate
from exportd.store.database import Database


def _nothing() -> None:
    """No worker in this process to tell about new jobs."""


def _no_queue(_connection: Connection, _gid: int) -> None:
    """The embedded queue needs no message: its workers poll the `exports` table."""


@dataclass
class Runtime:
    """Settings, the database, export storage, the clock and the gid source of one process.

    `job_created(connection, gid)` is called by whoever creates an export job, in the
    transaction that creates it: with `EXPORTD_QUEUE=procrastinate` it defers the job's
    message there, so the message commits with the job. `job_enqueued()` is called after
    the commit; a process that runs workers points it at their wake-up, so a new job starts
    without waiting for a poll.
    """

    settings: Settings
    database: Database
    storage: Storage
    clock: Clock = system_clock
    gids: GidGenerator = field(default_factory=GidGenerator)
    job_created: Callable[[Connection, int], None] = _no_queue
    job_enqueued: Callable[[], None] = _nothing

    @classmethod
    def open(cls, settings: Settings, *, clock: Clock = system_clock) -> Runtime:
        """Connect (lazily: the pool opens connections on first use) and build the gid source."""
        runtime = cls(
            settings=settings,
            database=Database(settings.database_url),
            storage=open_storage(settings),
            clock=clock,
            gids=GidGenerator(node=settings.node_id, clock=clock),
        )
        if settings.queue == "procrastinate":
            from exportd.jobs.queue import Delivery  # the job queue only where it is used

            runtime.job_created = Delivery()
        return runtime

    def migrate(self) -> None:
        """Apply pending migrations (done on start by `serve`, and by `exportd db upgrade`)."""
        migrate.upgrade(self.database)

    def close(self) -> None:
        self.database.dispose()
