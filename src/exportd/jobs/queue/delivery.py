"""Telling workers that an export is ready: a procrastinate message committed with the job.

The message is deferred on the caller's own connection, inside its transaction, so it
commits with the job's row or not at all: no job without its message unless the message
itself is lost later, and no message for a job that was rolled back. Workers sweep for
claimable jobs too (`jobs.queue.worker`), so even a lost message strands nothing.
"""

from __future__ import annotations

from datetime import timedelta

from procrastinate import App, SyncPsycopgConnector
from sqlalchemy import Connection
from sqlalchemy.engine import make_url

QUEUE = "exports"
"""The procrastinate queue exportd's messages and tasks use."""
RUN_EXPORT = "exportd.run_export"
"""The task that claims and runs one export job; its one argument is `export_gid`."""


class Delivery:
    """Defers `run_export` messages on SQLAlchemy connections of the exportd database.

    Its procrastinate app is never opened: it has no pool of its own and only ever writes
    through the connection it is handed.
    """

    def __init__(self) -> None:
        self._app = App(connector=SyncPsycopgConnector())

    def __call__(self, connection: Connection, gid: int, delay: timedelta | None = None) -> None:
        """Defer the message for export `gid` in `connection`'s transaction, to be run
        `delay` from now (a retry's wait) or at once."""
        driver_connection = connection.connection.driver_connection
        wait = {"seconds": delay.total_seconds()} if delay else None
        task = self._app.configure_task(
            RUN_EXPORT, queue=QUEUE, connection=driver_connection, schedule_in=wait
        )
        task.defer(export_gid=gid)


def libpq_url(database_url: str) -> str:
    """The libpq URL of an exportd PostgreSQL URL (`postgresql+psycopg://…`), query included
    (so `options=-csearch_path=…` reaches procrastinate's connections too)."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)
