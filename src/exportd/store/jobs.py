"""Every database operation of an export job's lifecycle, each one short transaction.

The `exports` row is the job: the API reads it, workers claim it. A worker holds a job by a
lease (`lease_owner`, `lease_expires_at`) that it renews by heartbeat; only the holder may
report progress, finish, fail or release it, so a worker that lost its lease (it stalled and
another worker took the job over) can never overwrite the newer attempt's outcome.

A worker id names one claimer that runs one job at a time (the worker pool gives each of
its threads its own id); the id is what fences an old attempt off from a newer one.

Concurrency: on PostgreSQL, `claim` selects with `FOR UPDATE SKIP LOCKED`, so concurrent
workers each take a different job without waiting on one another. On SQLite, every
`Database.write()` begins `IMMEDIATE`, which serializes writers; the clause is not rendered
there. Every update also repeats, in its WHERE clause, the state it expects, so an update
that lost a race changes nothing and says so.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Row,
    and_,
    case,
    func,
    insert,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.exc import IntegrityError

from exportd.domain.jobs import (
    ExportJob,
    Failure,
    RetryDecision,
    State,
    decide,
    no_attempts_reason,
    stalled_reason,
)
from exportd.errors import TooManyRequests
from exportd.store.database import Database
from exportd.store.schema import exports, users
from exportd.store.types import UTCDateTime

DEFAULT_MAX_ATTEMPTS = 3

_NO_LEASE: dict[str, Any] = {"lease_owner": None, "lease_expires_at": None}

_ONE_IN_PROGRESS = [
    index
    for index in exports.indexes
    if index.unique and index.dialect_options["postgresql"]["where"] is not None
]
ONE_IN_PROGRESS_INDEXES = frozenset(str(index.name) for index in _ONE_IN_PROGRESS)
"""The partial unique indexes that allow one unfinished export at a time: of a kind per
workspace (R9 for resource exports, one per organization for organization exports), and
of a parent per requester for graph exports."""
_SQLITE_ONE_IN_PROGRESS = tuple(
    "UNIQUE constraint failed: " + ", ".join(f"exports.{column.name}" for column in index.columns)
    for index in _ONE_IN_PROGRESS
)
"""What SQLite says when one of them refused a row: it names the index's columns, not the
index (`exports.job_gid`, the other unique column, reads differently)."""


class ExportInProgress(Exception):
    """A new job was refused by the database because an unfinished export of its kind
    holds its place (its workspace's, or its parent's): a concurrent request got there
    first."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"an export of kind {kind} is already in progress")
        self.kind = kind


def _one_in_progress_refused(error: IntegrityError) -> bool:
    """Whether `error` is one of ONE_IN_PROGRESS_INDEXES refusing a row: by the constraint
    name in PostgreSQL's diagnostics, by the columns SQLite names."""
    diagnostics = getattr(error.orig, "diag", None)
    if diagnostics is not None:
        return getattr(diagnostics, "constraint_name", None) in ONE_IN_PROGRESS_INDEXES
    return any(str(error.orig) == message for message in _SQLITE_ONE_IN_PROGRESS)


def create(
    connection: Connection,
    *,
    gid: int,
    kind: str,
    workspace_gid: int,
    created_by_gid: int,
    parameters: Mapping[str, Any],
    now: datetime,
    job_gid: int | None = None,
    parent_gid: int | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> ExportJob:
    """Insert a pending job in the caller's transaction (so the request's own checks, such
    as one export per workspace, commit or roll back with it).

    Raises ExportInProgress when the database refused it for an unfinished export of the
    same kind (the transaction is then to be rolled back).
    """
    try:
        row = connection.execute(
            insert(exports)
            .values(
                gid=gid,
                kind=kind,
                job_gid=job_gid,
                parent_gid=parent_gid,
                workspace_gid=workspace_gid,
                created_by_gid=created_by_gid,
                parameters=dict(parameters),
                state=State.PENDING.value,
                attempts=0,
                max_attempts=max_attempts,
                progress_objects=0,
                created_at=now,
            )
            .returning(*exports.c)
        ).one()
    except IntegrityError as error:
        if _one_in_progress_refused(error):
            raise ExportInProgress(kind) from None
        raise
    return _job(row)


def get(connection: Connection, gid: int) -> ExportJob | None:
    """The job with this gid, as it stands now, or None."""
    row = connection.execute(select(exports).where(exports.c.gid == gid)).first()
    return None if row is None else _job(row)


def get_by_job(connection: Connection, job_gid: int) -> ExportJob | None:
    """The export a job gid stands for (resource and graph exports), or None."""
    row = connection.execute(select(exports).where(exports.c.job_gid == job_gid)).first()
    return None if row is None else _job(row)


def resource_export_in_progress(connection: Connection, workspace_gid: int) -> bool:
    """Whether the workspace has a resource export that is not finished (R9)."""
    return export_in_progress(connection, "resource", workspace_gid) is not None


EXPORTS_RETRY_AFTER = 30  # seconds: a guess at when one of the caller's exports is done


def check_unfinished_limit(connection: Connection, user_gid: int, limit: int) -> None:
    """Refuse (429) a new export when the user already has `limit` unfinished ones (0: no
    limit). The user's row is locked first, so their concurrent requests count one by one
    (SQLite's writers are serialized already)."""
    if limit == 0:
        return
    connection.execute(select(users.c.gid).where(users.c.gid == user_gid).with_for_update())
    unfinished = connection.execute(
        select(func.count()).where(
            exports.c.created_by_gid == user_gid, exports.c.state.in_(("pending", "started"))
        )
    ).scalar_one()
    if unfinished >= limit:
        raise TooManyRequests(
            f"Concurrent export limit exceeded: you may have {limit} "
            f"export{'s' if limit != 1 else ''} in progress at once. Retry when one has "
            "finished.",
            EXPORTS_RETRY_AFTER,
        )


def export_in_progress(connection: Connection, kind: str, workspace_gid: int) -> int | None:
    """The gid of the workspace's unfinished export of this kind, if it has one (there is
    at most one: a unique index holds it)."""
    query = select(exports.c.gid).where(
        exports.c.workspace_gid == workspace_gid,
        exports.c.kind == kind,
        exports.c.state.in_(("pending", "started")),
    )
    return connection.execute(query.limit(1)).scalar()


def claim(
    database: Database,
    worker_id: str,
    now: datetime,
    lease: timedelta,
    *,
    kinds: Collection[str] | None = None,
    gid: int | None = None,
) -> ExportJob | None:
    """Take the oldest job that is pending (and due, if it waits to be retried), or started
    with an expired lease, and hold it.

    Taking it counts an attempt and starts a lease of `lease` from `now`. A stalled job
    (its lease expired: its worker vanished) with no attempts left is marked `error` on the
    way instead, and the search goes on. `kinds` limits the search to the kinds the caller
    can run; `gid` to one job (a queue engine's message names the job it is about).
    Returns the job as claimed, or None when there is nothing to do.
    """
    claimable = or_(
        and_(
            exports.c.state == State.PENDING.value,
            or_(exports.c.lease_expires_at.is_(None), exports.c.lease_expires_at <= now),
        ),
        and_(exports.c.state == State.STARTED.value, exports.c.lease_expires_at < now),
    )
    query = (
        select(exports)
        .where(claimable)
        .order_by(exports.c.created_at, exports.c.gid)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if kinds is not None:
        query = query.where(exports.c.kind.in_(list(kinds)))
    if gid is not None:
        query = query.where(exports.c.gid == gid)
    seen: list[int] = []
    with database.write() as connection:
        while True:
            row = connection.execute(query.where(exports.c.gid.not_in(seen))).first()
            if row is None:
                return None
            job = _job(row)
            seen.append(job.gid)
            reason = _reason_not_to_start(job)
            if reason is not None:
                _update_from(
                    connection,
                    job,
                    state=State.ERROR.value,
                    error_reason=reason,
                    lease_expires_at=None,
                )
                continue
            claimed = _update_from(
                connection,
                job,
                state=State.STARTED.value,
                attempts=job.attempts + 1,
                lease_owner=worker_id,
                lease_expires_at=now + lease,
                started_at=now,
            )
            if claimed is not None:
                return claimed


def _reason_not_to_start(job: ExportJob) -> str | None:
    """Why a claimable job must end in `error` rather than start another attempt, if so."""
    if job.state is State.STARTED:  # stalled: its worker stopped renewing the lease
        if decide(Failure.WORKER_LOST, job.attempts, job.max_attempts) is RetryDecision.GIVE_UP:
            return stalled_reason(job.attempts)
        return None
    if job.attempts >= job.max_attempts:
        return no_attempts_reason(job.max_attempts)
    return None


def _update_from(connection: Connection, job: ExportJob, **values: Any) -> ExportJob | None:
    """Update the row only if it is still as `job` saw it; the new row, or None if not."""
    row = connection.execute(
        update(exports)
        .where(
            exports.c.gid == job.gid,
            exports.c.state == job.state.value,
            exports.c.attempts == job.attempts,
        )
        .values(**values)
        .returning(*exports.c)
    ).first()
    return None if row is None else _job(row)


def heartbeat(
    database: Database,
    gid: int,
    worker_id: str,
    now: datetime,
    lease: timedelta,
    progress_objects: int | None = None,
) -> bool:
    """Renew the lease to `now + lease` and record progress, if this worker still holds it.

    False means the lease was lost (the job was taken over, released or ended): the caller
    must stop working on it and write nothing more. A lease that expired but that no one has
    taken over yet is renewed: the job is still this worker's.
    """
    values: dict[str, Any] = {"lease_expires_at": now + lease}
    if progress_objects is not None:
        values["progress_objects"] = progress_objects
    return _held_update(database, gid, worker_id, values)


def finish(
    database: Database,
    gid: int,
    worker_id: str,
    now: datetime,
    file_key: str,
    file_size: int,
    line_count: int,
    progress_objects: int | None = None,
    file_sha256: str | None = None,
) -> bool:
    """Mark the job `finished` with its published file; only the lease holder may.

    False means the lease was lost: the job's outcome is someone else's to record, and the
    file just written is an orphan for the storage sweep. `lease_owner` is kept as the
    worker that finished it.
    """
    values: dict[str, Any] = {
        "state": State.FINISHED.value,
        "completed_at": now,
        "file_key": file_key,
        "file_size": file_size,
        "line_count": line_count,
        "file_sha256": file_sha256,
        "lease_expires_at": None,
        "error_reason": None,
    }
    if progress_objects is not None:
        values["progress_objects"] = progress_objects
    return _held_update(database, gid, worker_id, values)


def fail(
    database: Database,
    gid: int,
    worker_id: str,
    reason: str,
    retry: bool,
    retry_at: datetime | None = None,
) -> bool:
    """End the current attempt with `reason`: back to `pending` for a retry (claimable from
    `retry_at` on, at once when None), or `error`.

    Whether to retry is `domain.jobs.decide()`'s call, made by the caller. The reason is
    recorded either way (a retried job shows its last failure until it finishes).
    `completed_at` stays empty: it means a published file. False if this worker no longer
    held the job.
    """
    if retry:
        values: dict[str, Any] = {
            "state": State.PENDING.value,
            **_NO_LEASE,
            "lease_expires_at": retry_at,  # a pending job's: when it may be claimed
            "started_at": None,
        }
    else:
        values = {"state": State.ERROR.value, "lease_expires_at": None}
    return _held_update(database, gid, worker_id, {**values, "error_reason": reason})


def release(database: Database, gid: int, worker_id: str) -> bool:
    """Hand a job back to `pending` without counting the attempt (a worker shutting down).

    The attempt is taken back (`attempts - 1`): the job did not fail, its worker was asked
    to stop, so a job interrupted by restarts is not given up for it. False if this worker
    no longer held the job.
    """
    values = {
        "state": State.PENDING.value,
        "attempts": case((exports.c.attempts > 0, exports.c.attempts - 1), else_=0),
        **_NO_LEASE,
        "started_at": None,
    }
    return _held_update(database, gid, worker_id, values)


def fail_stalled(database: Database, now: datetime) -> int:
    """Mark `error` every stalled job with no attempts left; return how many.

    Claiming already does this for the jobs it meets, so this is for a periodic sweep in
    processes that run no workers: no job stays `started` forever once its workers are gone.
    Stalled jobs with attempts left are left for the next claim to retry.
    """
    stalled = (
        select(exports.c.gid, exports.c.attempts)
        .where(
            exports.c.state == State.STARTED.value,
            exports.c.lease_expires_at < now,
            exports.c.attempts >= exports.c.max_attempts,
        )
        .with_for_update(skip_locked=True)
    )
    with database.write() as connection:
        rows = connection.execute(stalled).all()
        for gid, attempts in rows:
            connection.execute(
                update(exports)
                .where(exports.c.gid == gid, exports.c.state == State.STARTED.value)
                .values(
                    state=State.ERROR.value,
                    error_reason=stalled_reason(attempts),
                    lease_expires_at=None,
                )
            )
    return len(rows)


def _job(row: Row[Any]) -> ExportJob:
    return ExportJob.from_row(row._asdict())


def _held_update(database: Database, gid: int, worker_id: str, values: dict[str, Any]) -> bool:
    """Apply `values` to a started job held by `worker_id`; False if it holds it no more."""
    with database.write() as connection:
        result = connection.execute(
            update(exports)
            .where(
                exports.c.gid == gid,
                exports.c.state == State.STARTED.value,
                exports.c.lease_owner == worker_id,
            )
            .values(**values)
        )
        return result.rowcount == 1


@dataclass(frozen=True)
class Backlog:
    """The unfinished exports of one kind and state, and when the oldest of them began."""

    kind: str
    state: str
    count: int
    oldest: datetime | None  # pending: created; started: its current attempt started


def backlog(database: Database) -> list[Backlog]:
    """Pending and started exports by kind (for the metrics scraped from every process)."""
    since = case(
        (exports.c.state == State.STARTED.value, exports.c.started_at),
        else_=exports.c.created_at,
    )
    query = (
        select(
            exports.c.kind,
            exports.c.state,
            func.count(),
            type_coerce(func.min(since), UTCDateTime),
        )
        .where(exports.c.state.in_([State.PENDING.value, State.STARTED.value]))
        .group_by(exports.c.kind, exports.c.state)
    )
    with database.read() as connection:
        rows = connection.execute(query).all()
    return [Backlog(kind, state, count, oldest) for kind, state, count, oldest in rows]
