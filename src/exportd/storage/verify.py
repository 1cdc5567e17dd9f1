"""Reading a gzip file end to end before it is published, so no truncated file is served."""

from __future__ import annotations

import io
import os
from typing import TYPE_CHECKING, BinaryIO, cast

from isal import igzip, isal_zlib

from exportd.storage.base import IncompleteFile

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

CHUNK_SIZE = 1 << 20
_BROKEN = (EOFError, OSError, cast(type[Exception], isal_zlib.error))  # the stub types it oddly


def verify_gzip(source: str | os.PathLike[str] | BinaryIO, *, chunk_size: int = CHUNK_SIZE) -> int:
    """Decompress `source` completely (every gzip member, CRCs and lengths checked) and return
    its number of lines: newline characters, plus one for a last line without a newline.

    Raises IncompleteFile for an empty, truncated or corrupt stream, or trailing garbage.
    """
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as raw:
            return _count_lines(raw, chunk_size)
    return _count_lines(source, chunk_size)


def _count_lines(raw: BinaryIO, chunk_size: int) -> int:
    counted = _CountingReader(raw)
    lines = 0
    last = b"\n"
    try:
        stream = cast(BinaryIO, igzip.GzipFile(fileobj=counted, mode="rb"))  # type: ignore[no-untyped-call]
        with stream:
            while chunk := stream.read(chunk_size):
                lines += chunk.count(b"\n")
                last = chunk[-1:]
    except _BROKEN as error:
        raise IncompleteFile(f"not a complete gzip stream: {error}") from error
    if counted.size == 0:
        raise IncompleteFile("not a complete gzip stream: the file is empty")
    return lines + (last != b"\n")


class _CountingReader(io.RawIOBase):
    """A reader that remembers how many bytes passed: an empty input decompresses to nothing
    without any error, and must still be refused."""

    def __init__(self, raw: BinaryIO) -> None:
        super().__init__()
        self._raw = raw
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        view = memoryview(buffer).cast("B")
        data = self._raw.read(len(view))
        view[: len(data)] = data
        self.size += len(data)
        return len(data)
