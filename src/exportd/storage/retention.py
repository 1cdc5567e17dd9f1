"""The retention sweep (R10): export files are deleted once their retention has passed.

Each file is deleted before its row is marked: a crash in between leaves a marked-later row
whose file is already gone, which the next sweep marks without harm; the other order could
leave a file on disk that nothing would ever delete. Deleting and marking are both
idempotent, so several processes may sweep at once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from exportd.observability import metrics
from exportd.storage.base import Storage, StorageError
from exportd.store import export_files
from exportd.store.database import Database

log = logging.getLogger("exportd.retention")

BATCH_SIZE = 500


@dataclass(frozen=True)
class SweepReport:
    """What one sweep did, for logs and metrics."""

    files_deleted: int  # export rows this sweep marked as having no file any more
    temporary_removed: int  # abandoned temporary files of crashed uploads
    failed: tuple[int, ...]  # gids of exports whose file could not be deleted (retried later)


def sweep(
    database: Database,
    storage: Storage,
    now: datetime,
    retention: timedelta,
    temporary_grace: timedelta,
    *,
    batch_size: int = BATCH_SIZE,
) -> SweepReport:
    """Delete the files of exports completed `retention` or longer before `now`, mark their
    rows, and remove temporary files untouched for `temporary_grace`."""
    marked = 0
    failed: list[int] = []
    after = 0
    while True:
        with database.read() as connection:
            batch = export_files.expired_files(
                connection, completed_before=now - retention, after_gid=after, limit=batch_size
            )
        if not batch:
            break
        deleted: list[int] = []
        for export_gid, key in batch:
            try:
                storage.delete(key)
            except (StorageError, OSError) as error:
                log.warning("cannot delete the file of export %s (%s): %s", export_gid, key, error)
                metrics.STORAGE_ERRORS.labels("delete").inc()
                failed.append(export_gid)
            else:
                deleted.append(export_gid)
        with database.write() as connection:
            marked += export_files.mark_files_deleted(connection, deleted, now)
        after = batch[-1].export_gid
    temporary = storage.sweep_temporary(now - temporary_grace)
    return SweepReport(files_deleted=marked, temporary_removed=temporary, failed=tuple(failed))
