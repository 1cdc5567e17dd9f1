"""Requesting a graph export (G1): who may, which job answers, and the queue's notification.

One unit of work holds the whole sequence, so a refused request changes nothing:

1. the parent — an undeleted goal, team, portfolio or project the caller can see — or 404;
2. its organization's plan: Enterprise or Enterprise+, or 403;
3. the caller's unfinished export of that parent, if any, is the answer (one at a time);
4. else their newest export of it finished within `EXPORTD_GRAPH_CACHE_WINDOW`, if the
   parent holds more than `EXPORTD_GRAPH_CACHE_TASKS` tasks they can see (the cache);
5. else a new job, within the caller's limit of unfinished exports, and the queue is told.

Exports are per requester: each file holds what its requester can see, so a job (which
only its creator may read, R2) is never handed to someone else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Connection

from exportd.domain.jobs import ExportJob
from exportd.domain.permissions import check_graph_export
from exportd.errors import NotFound
from exportd.runtime import Runtime
from exportd.store import directory, graph_jobs, graph_reads, jobs


@dataclass(frozen=True)
class GraphExportAnswer:
    """The job that answers a request, and whether this request created it."""

    job: ExportJob
    created: bool


def request_graph_export(runtime: Runtime, caller_gid: int, parent_gid: int) -> GraphExportAnswer:
    """Steps 1 to 5 of the module doc."""
    try:
        with runtime.database.write() as connection:
            answer = _answer(runtime, connection, caller_gid, parent_gid)
    except jobs.ExportInProgress:
        # A concurrent request of the same caller for the same parent created its job
        # first; the partial unique index let only one in. That one is the answer.
        with runtime.database.read() as connection:
            existing = graph_jobs.in_progress(connection, parent_gid, caller_gid)
        if existing is None:  # it ended in between: the caller may simply ask again
            raise
        return GraphExportAnswer(existing, created=False)
    if answer.created:
        runtime.notices.enqueued()
    return answer


def _answer(
    runtime: Runtime, connection: Connection, caller_gid: int, parent_gid: int
) -> GraphExportAnswer:
    settings, now = runtime.settings, runtime.clock()
    parent = graph_reads.find_parent(connection, parent_gid)
    if parent is None or not graph_reads.can_see_parent(connection, caller_gid, parent):
        raise NotFound(
            f"parent: no goal, team, portfolio or project with gid {parent_gid} that you can see"
        )
    caller = directory.exporting_caller(connection, caller_gid, parent.workspace_gid)
    assert caller is not None  # can_see_parent checked the membership
    check_graph_export(caller)
    running = graph_jobs.in_progress(connection, parent_gid, caller_gid)
    if running is not None:
        return GraphExportAnswer(running, created=False)
    if settings.graph_cache_window > 0:
        since = now - timedelta(seconds=settings.graph_cache_window)
        cached = graph_jobs.finished_since(connection, parent_gid, caller_gid, since)
        if cached is not None and cached.downloadable(now, timedelta(seconds=settings.retention)):
            scope = graph_reads.resolve_scope(connection, caller_gid, parent)
            tasks = graph_reads.count_tasks(connection, parent.workspace_gid, scope)
            if tasks > settings.graph_cache_tasks:
                return GraphExportAnswer(cached, created=False)
    jobs.check_unfinished_limit(connection, caller_gid, settings.concurrent_exports)
    job = jobs.create(
        connection,
        gid=runtime.gids.next_int(),
        job_gid=runtime.gids.next_int(),
        kind="graph",
        workspace_gid=parent.workspace_gid,
        created_by_gid=caller_gid,
        parent_gid=parent_gid,
        parameters={"parent": str(parent_gid), "parent_type": parent.kind},
        now=now,
    )
    runtime.notices.created(connection, job.gid)
    return GraphExportAnswer(job, created=True)
