"""The export rows' file columns, as the retention sweep reads and writes them."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Connection, select, update

from exportd.store.schema import exports


class ExpiredFile(NamedTuple):
    export_gid: int
    file_key: str


def expired_files(
    connection: Connection, *, completed_before: datetime, after_gid: int, limit: int
) -> list[ExpiredFile]:
    """Finished exports completed before the cutoff whose file is still there, by gid, from
    `after_gid` on: keyset pages, so a file that cannot be deleted is not fetched forever."""
    query = (
        select(exports.c.gid, exports.c.file_key)
        .where(
            exports.c.state == "finished",
            exports.c.file_key.is_not(None),
            exports.c.file_deleted_at.is_(None),
            exports.c.completed_at <= completed_before,
            exports.c.gid > after_gid,
        )
        .order_by(exports.c.gid)
        .limit(limit)
    )
    return [ExpiredFile(gid, key) for gid, key in connection.execute(query)]


def mark_files_deleted(connection: Connection, export_gids: list[int], now: datetime) -> int:
    """Record that these exports' files are gone; rows already marked keep their first time,
    so concurrent sweeps agree. Returns how many rows this call marked."""
    if not export_gids:
        return 0
    result = connection.execute(
        update(exports)
        .where(exports.c.gid.in_(export_gids), exports.c.file_deleted_at.is_(None))
        .values(file_deleted_at=now)
    )
    return result.rowcount
