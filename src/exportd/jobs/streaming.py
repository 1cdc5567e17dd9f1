"""Pages of objects to a published gzip JSON Lines file: the one way exports are written.

Pages are encoded and compressed as they come, so memory stays bounded whatever the
export's size, and the file is published only after storage has checked it (a complete
gzip stream with the right number of lines). A whole export and each shard of one are
written here alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from isal import isal_zlib

from exportd.exports.jsonl import GZIP_LEVEL, encode_page
from exportd.exports.shapes import Obj
from exportd.jobs.context import JobOutcome
from exportd.storage import Storage

_GZIP_WBITS = 16 + 15  # a gzip header and trailer around the deflate stream


def publish_chunks(
    storage: Storage,
    key: str,
    chunks: Iterable[tuple[bytes, int]],
    after_chunk: Callable[[int], None],
) -> JobOutcome:
    """Write every `(JSON Lines bytes, lines)` piece to `key` and publish it;
    `after_chunk(lines so far)` runs after each (progress, cancellation) and may raise to
    abandon the upload."""
    compressor = isal_zlib.compressobj(GZIP_LEVEL, isal_zlib.DEFLATED, _GZIP_WBITS)
    lines = 0
    with storage.start_upload(key) as upload:
        for data, count in chunks:
            upload.write(compressor.compress(data))
            lines += count
            after_chunk(lines)
        upload.write(compressor.flush())
        stored = upload.publish(expected_lines=lines)
    return JobOutcome(file_key=stored.key, file_size=stored.size, line_count=lines)


def publish_pages(
    storage: Storage,
    key: str,
    pages: Iterable[list[Obj]],
    after_page: Callable[[int], None],
) -> JobOutcome:
    """Write every page to `key` and publish it; `after_page(lines so far)` runs after each
    page (progress, cancellation) and may raise to abandon the upload."""
    compressor = isal_zlib.compressobj(GZIP_LEVEL, isal_zlib.DEFLATED, _GZIP_WBITS)
    lines = 0
    with storage.start_upload(key) as upload:
        for page in pages:
            upload.write(compressor.compress(encode_page(page)))
            lines += len(page)
            after_page(lines)
        upload.write(compressor.flush())
        stored = upload.publish(expected_lines=lines)
    return JobOutcome(file_key=stored.key, file_size=stored.size, line_count=lines)
