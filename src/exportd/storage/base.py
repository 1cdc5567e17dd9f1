"""The storage port: where finished export files live, behind one small interface.

A local directory and an S3 bucket implement it. Publication is atomic in every backend:
an upload's bytes stay out of sight until `publish()` has checked them, so a reader never
finds a truncated file under a key.
"""

from __future__ import annotations

import hashlib
import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Literal, Self

from exportd.errors import ExportdError
from exportd.settings import Settings

if TYPE_CHECKING:
    from exportd.storage.verify import WrittenStream

MAX_KEY_LENGTH = 255  # the width of `exports.file_key`
_KEY = re.compile(r"[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*")


class StorageError(ExportdError):
    """Storage refused or failed an operation (a server-side problem: 500)."""


class InvalidKey(StorageError):
    """A key outside the safe alphabet, or one that could escape the storage root."""


class IncompleteFile(StorageError):
    """An upload failed its check at publication: truncated, corrupt or short of lines."""


def validate_key(key: str) -> str:
    """Return `key` if it is safe as a relative path in every backend, else raise InvalidKey.

    Segments starting with a dot are refused too: they would reach backend-private places
    such as the local backend's `.tmp/` folder (and cover `.` and `..`).
    """
    if (
        not key
        or len(key) > MAX_KEY_LENGTH
        or not _KEY.fullmatch(key)
        or any(segment.startswith(".") for segment in key.split("/"))
    ):
        raise InvalidKey(f"invalid storage key {key!r}")
    return key


@dataclass(frozen=True)
class StoredFile:
    """What a reader may know about a published file without reading it."""

    key: str
    size: int
    etag: str  # quoted, as sent in an HTTP `ETag` header
    modified_at: datetime  # aware UTC
    # hex, of the stored bytes: known to whoever wrote or composed the file, not to `stat`
    sha256: str | None = field(default=None, compare=False)


UploadState = Literal["open", "published", "aborted"]


class Upload(ABC):
    """One file being written under a key: invisible until `publish()`, gone after `abort()`.

    Used as a context manager it aborts unless published, so an exception in the writer
    never leaves a partial file behind. Backends implement the three `_` methods; the state
    rules live here once.
    """

    def __init__(self, key: str) -> None:
        self.key = validate_key(key)
        self.state: UploadState = "open"
        self.bytes_written = 0
        self.writer_counts = False  # see `counted_by_writer`
        self._sha256 = hashlib.sha256()  # of what is written, unless the writer hashes it

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Append `data`; returns its length, like a binary file's `write`."""
        self._require_open("write to")
        if not self.writer_counts:
            self._sha256.update(data)
        self._write(data)
        size = len(data) if not isinstance(data, memoryview) else data.nbytes
        self.bytes_written += size
        return size

    def counted_by_writer(self) -> None:
        """Say, before the first write, that the writer counts what it writes and will
        publish with a `WrittenStream`: the file is then checked by its size, header and
        trailer, not decompressed again (see `storage.verify.check_ends`), and its digest is
        the writer's."""
        if self.bytes_written:
            raise StorageError(f"upload of {self.key!r}: too late, bytes were written")
        self.writer_counts = True

    def publish(
        self, expected_lines: int | None = None, written: WrittenStream | None = None
    ) -> StoredFile:
        """Check the data and make it visible under the key in one step: a complete gzip
        stream (`expected_lines` lines when given), or when the writer counted it, the one
        gzip member `written` describes. On any failure nothing is visible and the
        temporary data is removed; the error is raised (IncompleteFile when the check failed).
        The file returned carries the sha256 of its bytes.
        """
        self._require_open("publish")
        try:
            if self.writer_counts and written is None:
                raise StorageError(f"upload of {self.key!r}: its writer did not say what it wrote")
            if written is not None and expected_lines not in (None, written.lines):
                raise IncompleteFile(
                    f"{self.key}: {written.lines} lines were written where {expected_lines} "
                    "were expected"
                )
            stored = self._publish(expected_lines, written)
        except BaseException:
            self.abort()
            raise
        self.state = "published"
        return stored if stored.sha256 else replace(stored, sha256=self._digest(written))

    def abort(self) -> None:
        """Drop the data written so far; a no-op once published or aborted."""
        if self.state == "open":
            self.state = "aborted"
            self._abort()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.abort()

    def _digest(self, written: WrittenStream | None) -> str:
        """The sha256 (hex) of the bytes written: the writer's when it counted them."""
        return written.sha256 if written is not None else self._sha256.hexdigest()

    def _require_open(self, action: str) -> None:
        if self.state != "open":
            raise StorageError(f"cannot {action} upload of {self.key!r}: it is {self.state}")

    @abstractmethod
    def _write(self, data: bytes | bytearray | memoryview) -> None: ...

    @abstractmethod
    def _publish(self, expected_lines: int | None, written: WrittenStream | None) -> StoredFile:
        """Verify and publish; may leave temporary data behind on failure (`_abort` follows)."""

    @abstractmethod
    def _abort(self) -> None:
        """Remove the temporary data; must tolerate it being partly or wholly gone."""


class Storage(ABC):
    """A place for export files, addressed by keys like `exports/<gid>.json.gz`."""

    @abstractmethod
    def start_upload(self, key: str) -> Upload:
        """Begin writing a file that replaces whatever is under `key` when published."""

    @abstractmethod
    def compose(self, key: str, sources: Sequence[str]) -> StoredFile:
        """Publish under `key` the byte-concatenation of the published files `sources`, in
        order, atomically: nothing is visible under `key` on failure, and no temporary data is
        left behind. Sources are left in place (the caller deletes them). Raises StorageError
        when a source is missing or the list is empty. The file returned carries the sha256
        of the joined bytes, hashed as they are joined (a digest cannot be made of the
        sources' digests).

        This is how a large export is assembled from shards: each shard is a complete gzip
        stream, checked when it was published, and gzip members concatenated are one valid
        gzip file. So the shards are joined as they are, inside the backend where it can
        (kernel-side copies, server-side copies), never decompressed or read back whole.
        """

    @abstractmethod
    def stat(self, key: str) -> StoredFile | None:
        """The published file under `key`, or None when there is none."""

    @abstractmethod
    def delete(self, key: str) -> bool:
        """Remove the file under `key`; False when there was none (deleting is idempotent)."""

    @abstractmethod
    def download_url(
        self,
        key: str,
        filename: str,
        now: datetime,
        ttl: timedelta,
        settings: Settings,
        sha256: str | None = None,
    ) -> str:
        """A link that downloads `key` as `filename` for `ttl` from `now`. Each backend
        hands out its own kind: exportd's signed link, which carries the file's `sha256`
        (hex) for its `Repr-Digest` and `ETag`, or the store's presigned URL."""

    @abstractmethod
    def sweep_temporary(self, older_than: datetime) -> int:
        """Remove temporary data of uploads abandoned (by a crash) before `older_than`;
        returns how many were removed. Uploads still being written are left alone."""
