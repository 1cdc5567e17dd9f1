"""The export handlers: what a job of each kind does, from reading the store to a file.

Each handler streams: pages of objects are encoded as JSON Lines and compressed as they
come, so memory stays bounded whatever the organization's size. The file is published only
after storage has checked it (complete gzip stream, the right number of lines).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from isal import isal_zlib
from sqlalchemy import Connection

from exportd.domain.jobs import PermanentExportError
from exportd.domain.resource_exports import ResourceExportRequest
from exportd.errors import InvalidRequest
from exportd.exports.jsonl import GZIP_LEVEL, encode_page
from exportd.exports.organization import organization_pages
from exportd.exports.reader import snapshot
from exportd.exports.resource import resource_export_pages
from exportd.exports.shapes import Obj
from exportd.jobs.context import Handler, JobContext, JobOutcome

_GZIP_WBITS = 16 + 15  # a gzip header and trailer around the deflate stream

PageSource = Callable[[Connection], Iterator[tuple[str, list[Obj]]]]
"""Reads an export's pages over the snapshot connection it is given."""


def export_organization(context: JobContext) -> JobOutcome:
    """O4/O5: the complete data of the organization as gzip-compressed JSON Lines."""
    job = context.job
    return _stream(
        context,
        f"exports/{job.gid}.json.gz",
        lambda connection: organization_pages(connection, job.workspace_gid),
    )


def export_resources(context: JobContext) -> JobOutcome:
    """R3 to R8: the tasks, teams and messages the job's request selects, as JSON Lines."""
    job = context.job
    try:
        request = ResourceExportRequest.from_parameters(job.parameters)
    except InvalidRequest as error:  # stored parameters that can never be exported
        raise PermanentExportError(f"the export's parameters: {error.message}") from error
    return _stream(
        context,
        f"exports/{job.gid}.jsonl.gz",
        lambda connection: resource_export_pages(connection, job.workspace_gid, request),
    )


def _stream(context: JobContext, key: str, pages: PageSource) -> JobOutcome:
    """Write every page to `key`, gzip-compressed, and publish it once storage has checked
    it; progress is reported and cancellation checked after each page."""
    runtime = context.runtime
    compressor = isal_zlib.compressobj(GZIP_LEVEL, isal_zlib.DEFLATED, _GZIP_WBITS)
    lines = 0
    with snapshot(runtime.database) as connection, runtime.storage.start_upload(key) as upload:
        for _resource_type, page in pages(connection):
            upload.write(compressor.compress(encode_page(page)))
            lines += len(page)
            context.report_progress(lines)
            context.raise_if_cancelled()
        upload.write(compressor.flush())
        stored = upload.publish(expected_lines=lines)
    return JobOutcome(file_key=stored.key, file_size=stored.size, line_count=lines)


HANDLERS: dict[str, Handler] = {"organization": export_organization, "resource": export_resources}
"""The handler of each export kind."""
