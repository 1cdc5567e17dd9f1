"""The local storage backend: atomic, checked publication; safe keys; sweeping crashed uploads;
joining published files."""

from __future__ import annotations

import dataclasses
import errno
import gzip
import hashlib
import io
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from isal import igzip
from pydantic import SecretStr

from exportd.errors import ConfigurationError
from exportd.exports.jsonl import LinesWriter
from exportd.settings import Settings
from exportd.storage import (
    IncompleteFile,
    InvalidKey,
    LocalStorage,
    StorageError,
    open_storage,
    validate_key,
)
from exportd.storage.local import LocalUpload
from exportd.storage.verify import WrittenStream, verify_gzip

KEY = "exports/1234.json.gz"
LINES = [b'{"gid": "%d", "resource_type": "task"}\n' % n for n in range(1000)]
DATA = igzip.compress(b"".join(LINES))


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "files")


def temporary_files(storage: LocalStorage) -> list[str]:
    return sorted(os.listdir(storage.temporary_dir))


def test_nothing_is_visible_under_the_key_before_publish(storage: LocalStorage) -> None:
    upload = storage.start_upload(KEY)
    upload.write(DATA[:100])
    upload.write(memoryview(DATA)[100:])
    assert storage.stat(KEY) is None
    assert not (storage.root / KEY).exists()
    assert len(temporary_files(storage)) == 1

    stored = upload.publish(expected_lines=len(LINES))

    assert (storage.root / KEY).read_bytes() == DATA
    assert stored.size == len(DATA) == upload.bytes_written
    assert storage.stat(KEY) == stored
    assert temporary_files(storage) == []


def test_publish_replaces_a_previous_version_with_a_new_etag(storage: LocalStorage) -> None:
    with storage.start_upload(KEY) as first:
        first.write(igzip.compress(b"old\n"))
        old = first.publish()
    with storage.start_upload(KEY) as second:
        second.write(DATA)
        new = second.publish()
    assert (storage.root / KEY).read_bytes() == DATA
    assert new.etag != old.etag
    assert new.modified_at.tzinfo is UTC


def test_an_exception_in_the_writer_leaves_nothing(storage: LocalStorage) -> None:
    with pytest.raises(RuntimeError), storage.start_upload(KEY) as upload:
        upload.write(DATA)
        raise RuntimeError("the database went away")
    assert upload.state == "aborted"
    assert storage.stat(KEY) is None
    assert temporary_files(storage) == []


def test_leaving_the_block_unpublished_aborts(storage: LocalStorage) -> None:
    with storage.start_upload(KEY) as upload:
        upload.write(DATA)
    assert storage.stat(KEY) is None
    assert temporary_files(storage) == []
    with pytest.raises(StorageError, match="aborted"):
        upload.write(b"more")


@pytest.mark.parametrize(
    ("data", "expected_lines", "problem"),
    [
        (DATA[:-10], None, "not a complete gzip stream"),
        (DATA[: len(DATA) // 2], len(LINES), "not a complete gzip stream"),
        (DATA + b"trailing garbage", None, "not a complete gzip stream"),
        (DATA[:30] + bytes([DATA[30] ^ 0xFF]) + DATA[31:], None, "not a complete gzip stream"),
        (b"", None, "empty"),
        (b"".join(LINES), None, "not a complete gzip stream"),  # not compressed at all
        (DATA, len(LINES) + 1, "1000 lines where 1001 were written"),
        (DATA, len(LINES) - 1, "1000 lines where 999 were written"),
    ],
    ids=["truncated", "half", "garbage", "corrupt", "empty", "plain", "short", "long"],
)
def test_an_incomplete_file_is_refused_and_removed(
    storage: LocalStorage, data: bytes, expected_lines: int | None, problem: str
) -> None:
    upload = storage.start_upload(KEY)
    upload.write(data)
    with pytest.raises(IncompleteFile, match=problem):
        upload.publish(expected_lines=expected_lines)
    assert upload.state == "aborted"
    assert storage.stat(KEY) is None
    assert temporary_files(storage) == []


def test_a_refused_file_leaves_the_previous_version_in_place(storage: LocalStorage) -> None:
    with storage.start_upload(KEY) as upload:
        upload.write(DATA)
        before = upload.publish()
    with storage.start_upload(KEY) as upload:
        upload.write(DATA[:-1])
        with pytest.raises(IncompleteFile):
            upload.publish()
    assert storage.stat(KEY) == before


def test_publish_twice_is_refused(storage: LocalStorage) -> None:
    with storage.start_upload(KEY) as upload:
        upload.write(DATA)
        upload.publish()
        with pytest.raises(StorageError, match="published"):
            upload.publish()
    assert storage.stat(KEY) is not None  # leaving the block after publish keeps the file


@pytest.mark.parametrize(
    "key",
    [
        "../x",
        "exports/../../x",
        "/etc/passwd",
        "",
        ".",
        "exports/.",
        ".tmp/abc.part",
        "exports//x",
        "exports/",
        "a b",
        "exports\\x",
        "exports/ü.json.gz",
        "x" * 256,
    ],
)
def test_keys_that_could_escape_the_root_are_refused(storage: LocalStorage, key: str) -> None:
    with pytest.raises(InvalidKey):
        storage.start_upload(key)
    with pytest.raises(InvalidKey):
        storage.stat(key)
    with pytest.raises(InvalidKey):
        storage.delete(key)
    assert temporary_files(storage) == []


@pytest.mark.parametrize("key", ["exports/1234.json.gz", "a", "A-b_c.d/e-f.jsonl.gz", "x" * 255])
def test_plain_keys_are_accepted(key: str) -> None:
    assert validate_key(key) == key


def test_delete_is_idempotent(storage: LocalStorage) -> None:
    with storage.start_upload(KEY) as upload:
        upload.write(DATA)
        upload.publish()
    assert storage.delete(KEY) is True
    assert storage.stat(KEY) is None
    assert storage.delete(KEY) is False


def _crash_midway(root: Path, key: str) -> None:
    """A real process that starts an upload, writes, and dies without cleaning up."""
    script = textwrap.dedent(
        f"""
        import os
        from pathlib import Path
        from exportd.storage.local import LocalStorage
        upload = LocalStorage(Path({str(root)!r})).start_upload({key!r})
        upload.write(b"partial data")
        upload._file.flush()
        os._exit(1)
        """
    )
    subprocess.run([sys.executable, "-c", script], check=False)


def _age(path: Path, moment: datetime) -> None:
    os.utime(path, (moment.timestamp(), moment.timestamp()))


def test_sweep_removes_only_old_temporary_files_of_dead_uploads(storage: LocalStorage) -> None:
    now = datetime.now(UTC)
    with storage.start_upload("exports/published.json.gz") as done:
        done.write(DATA)
        done.publish()
    _age(storage.root / "exports/published.json.gz", now - timedelta(days=1))
    _crash_midway(storage.root, "exports/old.json.gz")
    _crash_midway(storage.root, "exports/recent.json.gz")
    old, recent = (storage.temporary_dir / f for f in temporary_files(storage))
    if "recent" in old.name:
        old, recent = recent, old
    _age(old, now - timedelta(hours=2))
    live = storage.start_upload("exports/live.json.gz")  # slow, but its process is alive
    live.write(b"some")
    _age(live.temporary_path, now - timedelta(hours=2))

    assert storage.sweep_temporary(now - timedelta(hours=1)) == 1

    assert not old.exists()
    assert recent.exists()
    assert live.temporary_path.exists()
    assert storage.stat("exports/published.json.gz") is not None
    live.write(DATA)
    live.abort()
    assert storage.sweep_temporary(now - timedelta(hours=1)) == 0
    assert storage.sweep_temporary(now + timedelta(hours=1)) == 1  # the recent one, in time
    assert temporary_files(storage) == []


def test_verify_counts_lines_across_members_and_a_last_line_without_newline() -> None:
    data = igzip.compress(b"a\nb\n") + igzip.compress(b"c\nd")
    assert verify_gzip(io.BytesIO(data)) == 4
    assert verify_gzip(io.BytesIO(igzip.compress(b""))) == 0


def test_verify_reads_a_path(tmp_path: Path) -> None:
    path = tmp_path / "x.json.gz"
    path.write_bytes(DATA)
    assert verify_gzip(path) == len(LINES)
    assert verify_gzip(str(path)) == len(LINES)


def _settings(tmp_path: Path, storage_url: str) -> Settings:
    return Settings(home=tmp_path, storage_url=storage_url, secret_key=SecretStr("s"))


def test_open_storage_chooses_the_local_backend_for_file_urls(tmp_path: Path) -> None:
    root = tmp_path / "my exports"
    storage = open_storage(_settings(tmp_path, root.as_uri()))
    assert isinstance(storage, LocalStorage)
    assert storage.root == root
    assert (root / ".tmp").is_dir()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("gs://bucket/exports", "unknown scheme"),
        ("file://otherhost/x", "local folder"),
    ],
)
def test_open_storage_refuses_what_it_cannot_serve(tmp_path: Path, url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        open_storage(_settings(tmp_path, url))


def _publish(storage: LocalStorage, key: str, data: bytes) -> None:
    with storage.start_upload(key) as upload:
        upload.write(data)
        upload.publish()


def _shards(storage: LocalStorage) -> tuple[list[str], list[bytes]]:
    """Three published gzip files: a small one first, a large one, a small one after it."""
    raws = [b"".join(LINES), os.urandom(6 << 20) + b"\n", b"the last line\n"]
    keys = [f"exports/shard-{n}.json.gz" for n in range(len(raws))]
    for key, raw in zip(keys, raws, strict=True):
        level = 0 if len(raw) > 1 << 20 else 9  # random bytes: stored blocks
        _publish(storage, key, gzip.compress(raw, compresslevel=level))
    return keys, raws


def test_compose_publishes_the_files_joined_as_one_gzip_stream(
    storage: LocalStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys, raws = _shards(storage)
    sizes = [(storage.root / key).stat().st_size for key in keys]

    def no_reading_back(*_: object) -> int:
        raise AssertionError("the joined file is read back")

    monkeypatch.setattr("exportd.storage.local.verify_gzip", no_reading_back)

    stored = storage.compose(KEY, keys)

    data = (storage.root / KEY).read_bytes()
    assert gzip.decompress(data) == b"".join(raws)
    assert data == b"".join((storage.root / key).read_bytes() for key in keys)
    assert stored.size == sum(sizes)
    assert storage.stat(KEY) == stored
    assert all(storage.stat(key) is not None for key in keys)  # the caller deletes them
    assert temporary_files(storage) == []


def test_compose_copies_through_a_buffer_where_the_kernel_cannot(
    storage: LocalStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys, raws = _shards(storage)

    def refused(*_: object) -> int:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "copy_file_range", refused)
    stored = storage.compose(KEY, keys)
    assert gzip.decompress((storage.root / KEY).read_bytes()) == b"".join(raws)
    assert stored.size == sum((storage.root / key).stat().st_size for key in keys)
    assert temporary_files(storage) == []


def test_compose_replaces_a_previous_version(storage: LocalStorage) -> None:
    _publish(storage, KEY, igzip.compress(b"old\n"))
    old = storage.stat(KEY)
    keys, raws = _shards(storage)
    new = storage.compose(KEY, [keys[2], keys[0]])
    assert gzip.decompress((storage.root / KEY).read_bytes()) == raws[2] + raws[0]
    assert new != old


def test_compose_with_a_missing_source_leaves_nothing(storage: LocalStorage) -> None:
    keys, _ = _shards(storage)
    with pytest.raises(StorageError, match=r"no file under 'exports/missing\.json\.gz'"):
        storage.compose(KEY, [keys[0], "exports/missing.json.gz", keys[1]])
    with pytest.raises(StorageError, match="no file under 'exports'"):
        storage.compose(KEY, [keys[0], "exports"])  # a folder is no file
    assert storage.stat(KEY) is None
    assert temporary_files(storage) == []
    assert all(storage.stat(key) is not None for key in keys)


def test_compose_fails_whole_when_a_copy_fails(
    storage: LocalStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys, _ = _shards(storage)
    copies: list[int] = []
    real = os.copy_file_range

    def disk_full_on_the_second(source: int, target: int, count: int) -> int:
        copies.append(count)
        if len(copies) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(source, target, count)

    monkeypatch.setattr(os, "copy_file_range", disk_full_on_the_second)
    with pytest.raises(OSError, match="No space left"):
        storage.compose(KEY, keys)
    assert storage.stat(KEY) is None
    assert temporary_files(storage) == []


def test_compose_of_no_files_is_refused(storage: LocalStorage) -> None:
    with pytest.raises(StorageError, match="from no files"):
        storage.compose(KEY, [])
    with pytest.raises(InvalidKey):
        storage.compose("../x", [KEY])
    assert temporary_files(storage) == []


def _counted(storage: LocalStorage) -> tuple[LocalUpload, WrittenStream]:
    """An upload written by the export writer, which counts what it writes."""
    upload = storage.start_upload(KEY)
    upload.counted_by_writer()
    with LinesWriter(upload) as writer:
        for line in LINES:
            writer.write(line)
        return upload, writer.finish()


def test_a_counted_file_is_checked_by_its_trailer_not_read_back(
    storage: LocalStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_reading_back(*_: object) -> int:
        raise AssertionError("the file is decompressed again")

    monkeypatch.setattr("exportd.storage.local.verify_gzip", no_reading_back)
    upload, written = _counted(storage)
    stored = upload.publish(expected_lines=len(LINES), written=written)
    data = (storage.root / KEY).read_bytes()
    assert gzip.decompress(data) == b"".join(LINES)
    assert written.lines == len(LINES)
    assert written.sha256 == stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.size == len(data) == written.compressed_size
    assert temporary_files(storage) == []


def _cut_last_byte(upload: LocalUpload) -> None:
    upload._file.flush()
    os.truncate(upload.temporary_path, upload.temporary_path.stat().st_size - 1)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(_cut_last_byte, id="truncated on disk"),
        pytest.param(lambda upload: upload.write(b"\x1f\x8b"), id="bytes after the stream"),
    ],
)
def test_a_counted_file_whose_bytes_changed_is_not_published(
    storage: LocalStorage, damage: Callable[[LocalUpload], object]
) -> None:
    upload, written = _counted(storage)
    damage(upload)
    with pytest.raises(IncompleteFile, match="not a complete gzip stream"):
        upload.publish(expected_lines=len(LINES), written=written)
    assert storage.stat(KEY) is None
    assert temporary_files(storage) == []


@pytest.mark.parametrize(
    ("claimed", "message"),
    [
        ({"crc32": 1}, "trailer does not match"),
        ({"size": 7}, "trailer does not match"),
        ({"compressed_size": 10}, "bytes where 10 were written"),
    ],
)
def test_a_counted_file_that_is_not_what_was_written_is_not_published(
    storage: LocalStorage, claimed: dict[str, Any], message: str
) -> None:
    upload, written = _counted(storage)
    with pytest.raises(IncompleteFile, match=message):
        upload.publish(written=dataclasses.replace(written, **claimed))
    assert storage.stat(KEY) is None


def test_a_counted_file_needs_the_right_line_count_and_the_writers_account(
    storage: LocalStorage,
) -> None:
    upload, written = _counted(storage)
    with pytest.raises(IncompleteFile, match="1000 lines were written where 1001"):
        upload.publish(expected_lines=len(LINES) + 1, written=written)
    upload, _ = _counted(storage)
    with pytest.raises(StorageError, match="did not say what it wrote"):
        upload.publish(expected_lines=len(LINES))
    assert storage.stat(KEY) is None
    assert temporary_files(storage) == []
