"""Checking a gzip file before it is published, so no truncated or wrong file is served.

Files whose writer counted what it wrote (`WrittenStream`) are checked by their ends:
size, header, CRC32 and length trailer. Others are decompressed end to end.
"""

from __future__ import annotations

import io
import os
import struct
from dataclasses import dataclass
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


@dataclass(frozen=True)
class WrittenStream:
    """What a writer knows of the one gzip member it wrote, counted as it wrote it."""

    lines: int  # newlines in the uncompressed bytes
    size: int  # uncompressed bytes
    crc32: int  # of the uncompressed bytes
    sha256: str  # of the bytes handed to storage (the file), hex
    compressed_size: int  # bytes handed to storage


class GzipEnds:
    """The first and last bytes of a stream and its size, kept as it is written: enough to
    check a gzip member's header and its CRC32 and ISIZE trailer (`check_ends`)."""

    def __init__(self) -> None:
        self.head = b""
        self.tail = b""
        self.size = 0

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        view = memoryview(data).cast("B")
        if len(self.head) < _HEADER:
            self.head += bytes(view[: _HEADER - len(self.head)])
        if view.nbytes >= _TRAILER:
            self.tail = bytes(view[-_TRAILER:])
        else:
            self.tail = (self.tail + bytes(view))[-_TRAILER:]
        self.size += view.nbytes


_HEADER = 10  # magic, method, flags, mtime, extra flags, OS
_TRAILER = 8  # CRC32 and ISIZE, little-endian


def check_ends(head: bytes, tail: bytes, size: int, written: WrittenStream) -> None:
    """Raise IncompleteFile unless the stream is the one gzip member `written` describes:
    its size, a gzip header, and a trailer with the CRC32 and length of what was written.

    This replaces decompressing the whole file again (as long as the whole export took):
    a truncated, padded or mixed-up file has the wrong size or trailer. The compressor
    itself is trusted to have compressed correctly what it was given.
    """
    if size != written.compressed_size:
        raise IncompleteFile(
            f"not a complete gzip stream: {size} bytes where {written.compressed_size} were written"
        )
    if len(head) < _HEADER or head[:3] != b"\x1f\x8b\x08":
        raise IncompleteFile("not a complete gzip stream: no gzip header")
    crc, length = struct.unpack("<II", tail[-_TRAILER:]) if len(tail) >= _TRAILER else (-1, -1)
    if (crc, length) != (written.crc32, written.size & 0xFFFFFFFF):
        raise IncompleteFile(
            "not a complete gzip stream: its trailer does not match the bytes written"
        )


def check_file_ends(path: str | os.PathLike[str], written: WrittenStream) -> None:
    """`check_ends` on a file as it is on disk."""
    with open(path, "rb") as raw:
        head = raw.read(_HEADER)
        size = os.fstat(raw.fileno()).st_size
        raw.seek(max(size - _TRAILER, 0))
        tail = raw.read(_TRAILER)
    check_ends(head, tail, size, written)
