"""The export handlers: what a job of each kind does, from reading the store to a file.

Each handler streams: pages of objects are encoded as JSON Lines and compressed as they
come, so memory stays bounded whatever the organization's size. The file is published only
after storage has checked it (complete gzip stream, the right number of lines).
"""

from __future__ import annotations

from isal import isal_zlib

from exportd.exports.jsonl import GZIP_LEVEL, encode_page
from exportd.exports.organization import organization_pages
from exportd.exports.reader import snapshot
from exportd.jobs.context import Handler, JobContext, JobOutcome

_GZIP_WBITS = 16 + 15  # a gzip header and trailer around the deflate stream


def export_organization(context: JobContext) -> JobOutcome:
    """O4/O5: the complete data of the organization as gzip-compressed JSON Lines."""
    job, runtime = context.job, context.runtime
    key = f"exports/{job.gid}.json.gz"
    compressor = isal_zlib.compressobj(GZIP_LEVEL, isal_zlib.DEFLATED, _GZIP_WBITS)
    lines = 0
    with snapshot(runtime.database) as connection, runtime.storage.start_upload(key) as upload:
        for _resource_type, page in organization_pages(connection, job.workspace_gid):
            upload.write(compressor.compress(encode_page(page)))
            lines += len(page)
            context.report_progress(lines)
            context.raise_if_cancelled()
        upload.write(compressor.flush())
        stored = upload.publish(expected_lines=lines)
    return JobOutcome(file_key=stored.key, file_size=stored.size, line_count=lines)


HANDLERS: dict[str, Handler] = {"organization": export_organization}
"""The handler of each export kind."""
