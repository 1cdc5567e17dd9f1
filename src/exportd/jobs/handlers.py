"""The export handlers: what a job of each kind does, from reading the store to a file.

Each handler reads its JSON Lines pieces over one snapshot (the SQLAlchemy and the Arrow
connection opened together) and streams them to storage (`jobs.streaming`). A large task
export may instead run as shards in parallel processes (`jobs.sharded`) when
`EXPORTD_EXPORT_SHARDS` allows it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from sqlalchemy import Connection

from exportd.domain.jobs import PermanentExportError
from exportd.domain.resource_exports import ResourceExportRequest
from exportd.errors import InvalidRequest
from exportd.exports.graph import graph_chunks
from exportd.exports.jsonl import Piece
from exportd.exports.organization import organization_chunks
from exportd.exports.resource import resource_export_chunks
from exportd.jobs import sharded
from exportd.jobs.context import Handler, JobContext, JobOutcome
from exportd.jobs.streaming import publish_chunks
from exportd.store.export_reads import ArrowSnapshot, paired_snapshot

PieceSource = Callable[[Connection, ArrowSnapshot], Iterator[Piece]]
"""Reads an export's JSON Lines pieces over the snapshot it is given (both connections)."""


def export_organization(context: JobContext) -> JobOutcome:
    """O4/O5: the complete data of the organization as gzip-compressed JSON Lines."""
    job, batch_size = context.job, context.runtime.settings.export_batch_size
    return _stream(
        context,
        f"exports/{job.gid}.json.gz",
        lambda _connection, snap: organization_chunks(
            snap, job.workspace_gid, task_batch_size=batch_size
        ),
    )


def export_resources(context: JobContext) -> JobOutcome:
    """R3 to R8: the tasks, teams and messages the job's request selects, as JSON Lines."""
    job = context.job
    try:
        request = ResourceExportRequest.from_parameters(job.parameters)
    except InvalidRequest as error:  # stored parameters that can never be exported
        raise PermanentExportError(f"the export's parameters: {error.message}") from error
    key = f"exports/{job.gid}.jsonl.gz"
    shards = context.runtime.settings.export_shards
    if shards > 1 and (outcome := sharded.export_resources(context, key, request, shards)):
        return outcome
    return _stream(
        context,
        key,
        lambda connection, snap: resource_export_chunks(
            connection,
            snap,
            job.workspace_gid,
            request,
            task_batch_size=context.runtime.settings.export_batch_size,
        ),
    )


def export_graph(context: JobContext) -> JobOutcome:
    """G1: the parent and what lies beneath it that the requester can see, as JSON Lines."""
    job = context.job
    if job.parent_gid is None:  # a row made by something other than POST /exports/graph
        raise PermanentExportError("the export's parameters: parent: Missing input")
    parent, settings = job.parent_gid, context.runtime.settings
    return _stream(
        context,
        f"exports/{job.gid}.jsonl.gz",
        lambda connection, snap: graph_chunks(
            connection,
            snap,
            job.created_by_gid,
            parent,
            task_batch_size=settings.export_batch_size,
        ),
    )


def _stream(context: JobContext, key: str, pieces: PieceSource) -> JobOutcome:
    """Export `pieces`, read over one snapshot, to `key`; progress is reported and
    cancellation checked after each piece."""

    def after_chunk(lines: int) -> None:
        context.report_progress(lines)
        context.raise_if_cancelled()

    database = context.runtime.database
    with paired_snapshot(database) as (connection, snap):
        chunks = ((data, lines) for _type, data, lines in pieces(connection, snap))
        return publish_chunks(context.runtime.storage, key, chunks, after_chunk)


HANDLERS: dict[str, Handler] = {
    "organization": export_organization,
    "resource": export_resources,
    "graph": export_graph,
}
"""The handler of each export kind."""
