"""JSON Lines pieces to a published gzip file: the one way exports are written.

Pieces are compressed as they come (`exports.jsonl.LinesWriter`, on its own thread), so
memory stays bounded whatever the export's size, and the file is published only after
storage has checked it against what the writer counted: its size, and the gzip trailer's
CRC32 and length of the bytes written. A whole export and each shard of one are written
here alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from exportd.exports.jsonl import LinesWriter, encode_page
from exportd.exports.shapes import Obj
from exportd.jobs.context import JobOutcome
from exportd.storage import Storage


def publish_chunks(
    storage: Storage,
    key: str,
    chunks: Iterable[tuple[bytes, int]],
    after_chunk: Callable[[int], None],
) -> JobOutcome:
    """Write every `(JSON Lines bytes, lines)` piece to `key` and publish it;
    `after_chunk(lines so far)` runs after each (progress, cancellation) and may raise to
    abandon the upload."""
    with storage.start_upload(key) as upload:
        upload.counted_by_writer()
        with LinesWriter(upload) as writer:
            expected = 0
            for data, lines in chunks:
                writer.write(data)
                expected += lines
                after_chunk(expected)
            written = writer.finish()
        stored = upload.publish(expected_lines=expected, written=written)
    return JobOutcome(
        file_key=stored.key,
        file_size=stored.size,
        line_count=written.lines,
        file_sha256=stored.sha256,
    )


def publish_pages(
    storage: Storage,
    key: str,
    pages: Iterable[list[Obj]],
    after_page: Callable[[int], None],
) -> JobOutcome:
    """`publish_chunks` for pages of objects, encoded with orjson."""
    chunks = ((encode_page(page), len(page)) for page in pages)
    return publish_chunks(storage, key, chunks, after_page)
