"""The graph exports of a parent that a new request may be answered with (G1).

One graph export of a parent per requester is in progress at a time (a partial unique index
on `exports` holds it), and a finished one may be handed out again for a while: the
request sequence (`services.graph_exports`) asks these two questions.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select

from exportd.domain.jobs import ExportJob, State
from exportd.store.schema import exports


def in_progress(connection: Connection, parent_gid: int, user_gid: int) -> ExportJob | None:
    """The user's unfinished graph export of this parent, if there is one."""
    query = select(exports).where(
        exports.c.kind == "graph",
        exports.c.parent_gid == parent_gid,
        exports.c.created_by_gid == user_gid,
        exports.c.state.in_((State.PENDING.value, State.STARTED.value)),
    )
    row = connection.execute(query.limit(1)).first()
    return None if row is None else ExportJob.from_row(row._asdict())


def finished_since(
    connection: Connection, parent_gid: int, user_gid: int, since: datetime
) -> ExportJob | None:
    """The user's newest graph export of this parent that finished at `since` or later."""
    query = (
        select(exports)
        .where(
            exports.c.kind == "graph",
            exports.c.parent_gid == parent_gid,
            exports.c.created_by_gid == user_gid,
            exports.c.state == State.FINISHED.value,
            exports.c.completed_at >= since,
        )
        .order_by(exports.c.completed_at.desc(), exports.c.gid.desc())
    )
    row = connection.execute(query.limit(1)).first()
    return None if row is None else ExportJob.from_row(row._asdict())
