"""The local-directory backend: the embedded default, one machine, one filesystem.

An upload is written to `<root>/.tmp/` with large buffered writes, fsync'ed, read back in
full by the gzip check, then renamed into place: `.tmp/` is on the same filesystem, so the
rename is atomic, and fsync'ing the directories makes it survive a power cut. While it is
being written the temporary file holds an exclusive `flock`; the lock dies with its process,
which is how `sweep_temporary` tells a crashed upload from a slow one.

`compose` joins published files into the same kind of temporary file with copy_file_range,
so their bytes move inside the kernel (or as a reflink, on filesystems that share extents),
and publishes it by the same rename. Each source is then read once more (from the page
cache, mostly) for the sha256 of the joined file.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import shutil
import stat
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from exportd.errors import ConfigurationError
from exportd.settings import Settings
from exportd.storage import links
from exportd.storage.base import (
    IncompleteFile,
    Storage,
    StorageError,
    StoredFile,
    Upload,
    validate_key,
)
from exportd.storage.verify import WrittenStream, check_file_ends, verify_gzip

TMP_DIR = ".tmp"
TMP_SUFFIX = ".part"
BUFFER_SIZE = 1 << 20
# copy_file_range refusing the pair of files (another filesystem on old kernels, a filesystem
# without support): copy through user space instead.
_NO_KERNEL_COPY = {errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP}


class LocalStorage(Storage):
    """Files under a root directory, each key a relative path below it."""

    def __init__(self, root: Path, *, buffer_size: int = BUFFER_SIZE) -> None:
        self.root = root
        self.buffer_size = buffer_size
        self.temporary_dir = root / TMP_DIR
        try:
            self.temporary_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ConfigurationError(f"storage folder {root} cannot be created: {error}") from error

    def path(self, key: str) -> Path:
        """Where the file of `key` lives (for serving it); the key is validated first."""
        return self.root / validate_key(key)

    def local_file(self, key: str) -> tuple[Path, os.stat_result] | None:
        """The path and status of the published file under `key`, or None when there is none."""
        path = self.path(key)
        try:
            result = path.stat()
        except FileNotFoundError:
            return None
        return (path, result) if stat.S_ISREG(result.st_mode) else None

    def start_upload(self, key: str) -> LocalUpload:
        return LocalUpload(self, key)

    def compose(self, key: str, sources: Sequence[str]) -> StoredFile:
        """Copy the sources one after the other into a temporary file, then publish it as an
        upload is published. Every source was checked when it was published, so the result is
        not read back: its size must be the sum of theirs. Each source's size is taken from its
        open file, so a source replaced meanwhile is copied whole in one version or the other.
        """
        target = self.path(key)
        if not sources:
            raise StorageError(f"cannot compose {key!r} from no files")
        for source in sources:  # fail before copying gigabytes
            if self.local_file(source) is None:
                raise StorageError(f"cannot compose {key!r}: there is no file under {source!r}")
        temporary, file = self._new_temporary(key)
        digest = hashlib.sha256()
        try:
            expected = 0
            for source in sources:
                expected += _append(file, self.path(source), source, key, digest)
            os.fsync(file.fileno())
            written = os.fstat(file.fileno()).st_size
            if written != expected:
                raise StorageError(
                    f"cannot compose {key!r}: {written} bytes written where the sources "
                    f"hold {expected}"
                )
            published = self._install(temporary, file, target)
        except BaseException:
            temporary.unlink(missing_ok=True)  # while still holding the lock
            raise
        finally:
            file.close()  # releases the lock
        return stored_file(key, published, digest.hexdigest())

    def stat(self, key: str) -> StoredFile | None:
        found = self.local_file(key)
        return None if found is None else stored_file(key, found[1])

    def delete(self, key: str) -> bool:
        path = self.path(key)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        fsync_directory(path.parent)
        return True

    def download_url(
        self,
        key: str,
        filename: str,
        now: datetime,
        ttl: timedelta,
        settings: Settings,
        sha256: str | None = None,
    ) -> str:
        """A link to `GET /downloads/{token}`, served by exportd itself."""
        return links.download_url(settings, key, filename, now, ttl, sha256)

    def sweep_temporary(self, older_than: datetime) -> int:
        cutoff = older_than.timestamp()
        removed = 0
        with os.scandir(self.temporary_dir) as entries:
            for entry in entries:
                if entry.name.endswith(TMP_SUFFIX) and _remove_if_abandoned(entry.path, cutoff):
                    removed += 1
        if removed:
            fsync_directory(self.temporary_dir)
        return removed

    def _new_temporary(self, key: str) -> tuple[Path, BinaryIO]:
        """A new locked temporary file. A sweep may lock and remove a file in the instant
        between its creation and our lock; then it is gone (no links left) and we retry."""
        prefix = key.rsplit("/", 1)[-1] + "."
        while True:
            fd, name = tempfile.mkstemp(dir=self.temporary_dir, prefix=prefix, suffix=TMP_SUFFIX)
            fcntl.flock(fd, fcntl.LOCK_EX)
            if os.fstat(fd).st_nlink > 0:
                return Path(name), os.fdopen(fd, "wb", buffering=self.buffer_size)
            os.close(fd)

    def _install(self, temporary: Path, file: BinaryIO, target: Path) -> os.stat_result:
        """Rename a finished, fsync'ed temporary file over `target` and make the rename
        durable; returns the status of the file now under `target`."""
        _make_directories(target.parent)
        os.replace(temporary, target)
        fsync_directory(target.parent)
        fsync_directory(self.temporary_dir)
        return os.fstat(file.fileno())  # our file, even if another upload follows


class LocalUpload(Upload):
    """An upload into a locked temporary file, renamed over the target on publication."""

    def __init__(self, storage: LocalStorage, key: str) -> None:
        super().__init__(key)
        self._storage = storage
        self._target = storage.path(key)
        self.temporary_path, self._file = storage._new_temporary(key)

    def _write(self, data: bytes | bytearray | memoryview) -> None:
        self._file.write(data)

    def _publish(self, expected_lines: int | None, written: WrittenStream | None) -> StoredFile:
        self._file.flush()
        os.fsync(self._file.fileno())
        if written is not None:  # the file as it is on disk, by its ends
            check_file_ends(self.temporary_path, written)
            lines = written.lines
        else:
            lines = verify_gzip(self.temporary_path)
        if expected_lines is not None and lines != expected_lines:
            raise IncompleteFile(
                f"{self.key}: the file has {lines} lines where {expected_lines} were written"
            )
        published = self._storage._install(self.temporary_path, self._file, self._target)
        self._file.close()  # releases the lock
        return stored_file(self.key, published, self._digest(written))

    def _abort(self) -> None:
        self.temporary_path.unlink(missing_ok=True)  # while still holding the lock
        self._file.close()


def stored_file(key: str, result: os.stat_result, sha256: str | None = None) -> StoredFile:
    """A StoredFile from a file's status. Published files are never modified in place (a new
    version is a new inode with a new mtime), so size and mtime make a sound ETag for the
    storage's own use; downloads are served with one made from the content's digest."""
    return StoredFile(
        key=key,
        size=result.st_size,
        etag=f'"{result.st_size:x}-{result.st_mtime_ns:x}"',
        modified_at=datetime.fromtimestamp(result.st_mtime_ns / 1e9, UTC),
        sha256=sha256,
    )


def fsync_directory(path: Path) -> None:
    """Make a rename or unlink in `path` durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _append(file: BinaryIO, path: Path, source: str, key: str, digest: Any) -> int:
    """Append the file at `path` to `file` (nothing buffered in it) and to `digest`; returns
    the bytes the source holds. copy_file_range moves them inside the kernel; where it
    refuses the pair, they go through a buffer. The digest reads the same open file, so it
    hashes exactly the version copied."""
    try:
        opened = open(path, "rb", buffering=0)  # noqa: SIM115 (closed below)
    except (FileNotFoundError, IsADirectoryError):
        raise StorageError(f"cannot compose {key!r}: there is no file under {source!r}") from None
    with opened:
        size = os.fstat(opened.fileno()).st_size
        copied = 0
        try:
            while copied < size:
                step = os.copy_file_range(opened.fileno(), file.fileno(), size - copied)
                if step == 0:
                    break  # the source shrank: the size check after the copy fails
                copied += step
        except OSError as error:
            if copied or error.errno not in _NO_KERNEL_COPY:
                raise
            shutil.copyfileobj(opened, file, BUFFER_SIZE)
            file.flush()
        _hash_file(opened.fileno(), size, digest)
    return size


def _hash_file(fd: int, size: int, digest: Any) -> None:
    """Feed the first `size` bytes of the open file `fd` to `digest`."""
    offset = 0
    while offset < size:
        chunk = os.pread(fd, min(BUFFER_SIZE, size - offset), offset)
        if not chunk:
            raise StorageError("a source shrank while it was composed")
        digest.update(chunk)
        offset += len(chunk)


def _make_directories(directory: Path) -> None:
    """`mkdir -p`, fsync'ing each new directory's parent so the new entries are durable."""
    missing: list[Path] = []
    while not directory.is_dir():
        missing.append(directory)
        directory = directory.parent
    for new in reversed(missing):
        try:
            new.mkdir()
        except FileExistsError:
            continue
        fsync_directory(new.parent)


def _remove_if_abandoned(path: str, cutoff: float) -> bool:
    """Remove a temporary file that no live upload holds and nothing wrote since `cutoff`."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:  # gone, or not a plain file
        return False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # an upload in progress
        if os.fstat(fd).st_mtime >= cutoff:
            return False
        try:
            os.unlink(path)
        except FileNotFoundError:
            return False  # another sweeper was first
        return True
    finally:
        os.close(fd)
