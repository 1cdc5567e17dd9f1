"""The S3 backend against a local S3-compatible server over HTTP on loopback: atomic, checked
publication; parts sent as they fill; presigned downloads; sweeping abandoned uploads; joining
published files; aborts retried after an outage."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import itertools
import logging
import os
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import httpx
import orjson
import pytest
from botocore.config import Config
from isal import igzip
from pydantic import SecretStr

from exportd.clock import FrozenClock
from exportd.datagen.seed import seed_organization
from exportd.errors import ConfigurationError
from exportd.exports.jsonl import LinesWriter
from exportd.exports.organization import organization_objects
from exportd.jobs import WorkerPool
from exportd.jobs.handlers import HANDLERS
from exportd.jobs.maintenance import sweep_once
from exportd.runtime import Runtime
from exportd.settings import Settings
from exportd.storage import IncompleteFile, InvalidKey, StorageError, open_storage
from exportd.storage.s3 import MIN_PART_SIZE, PART_SIZE, DeferredAborts, S3Storage
from exportd.store import jobs
from tests.conftest import LiveServer
from tests.integration.s3_server import ACCESS_KEY, REGION, SECRET_KEY, S3Server
from tests.integration.test_organization_exports import (
    SMALL,
    exports_api,
    request_export,
    wait_until_done,
)
from tests.polling import until

KEY = "exports/1234.json.gz"
NAME = "organization_export_1234.json.gz"
PREFIX = "tenant/exports"
LINES = [b'{"gid": "%d", "resource_type": "task"}\n' % n for n in range(1000)]
DATA = igzip.compress(b"".join(LINES))


@pytest.fixture(scope="session")
def s3() -> Iterator[S3Server]:
    with S3Server() as server:
        yield server


@pytest.fixture
def client(s3: S3Server) -> Any:
    return s3.client()


@pytest.fixture
def bucket(client: Any) -> str:
    """A new bucket for each test, so no test sees another's objects or uploads."""
    name = f"exportd-{uuid.uuid4().hex[:16]}"
    client.create_bucket(Bucket=name)
    return name


@pytest.fixture
def storage(bucket: str, client: Any) -> S3Storage:
    return S3Storage(bucket, PREFIX, client)


def objects(storage: S3Storage) -> list[str]:
    listed = storage.client.list_objects_v2(Bucket=storage.bucket)
    return sorted(item["Key"] for item in listed.get("Contents", []))


def open_uploads(storage: S3Storage) -> list[str]:
    listed = storage.client.list_multipart_uploads(Bucket=storage.bucket)
    return sorted(upload["Key"] for upload in listed.get("Uploads", []))


def object_bytes(storage: S3Storage, key: str) -> bytes:
    got = storage.client.get_object(Bucket=storage.bucket, Key=f"{PREFIX}/{key}")
    body: bytes = got["Body"].read()
    return body


def big_gzip(size: int) -> tuple[bytes, int]:
    """A gzip file of about `size` bytes that does not compress (random lines)."""
    raw = os.urandom(size)
    raw = raw[:-1] + b"\n"
    return gzip.compress(raw, compresslevel=0, mtime=0), raw.count(b"\n")  # stored blocks


def test_publish_makes_the_exact_bytes_visible_at_once(storage: S3Storage) -> None:
    upload = storage.start_upload(KEY)
    upload.write(DATA[:100])
    upload.write(memoryview(DATA)[100:])
    assert storage.stat(KEY) is None
    assert objects(storage) == []

    stored = upload.publish(expected_lines=len(LINES))

    assert objects(storage) == [f"{PREFIX}/{KEY}"]
    assert object_bytes(storage, KEY) == DATA
    assert stored.size == len(DATA) == upload.bytes_written
    assert storage.stat(KEY) == stored
    assert stored.etag[0] == stored.etag[-1] == '"'
    assert stored.modified_at.tzinfo is UTC
    assert open_uploads(storage) == []


def test_a_counted_upload_is_checked_by_its_trailer_and_refused_when_it_differs(
    storage: S3Storage,
) -> None:
    """The export writer's uploads are not decompressed as they go: their size, header and
    trailer are checked against what the writer counted, and a mismatch publishes nothing."""
    raw = b"".join(LINES)
    claims: list[tuple[dict[str, Any], bool]] = [({"crc32": 5}, False), ({}, True)]
    for claimed, expected in claims:
        upload = storage.start_upload(KEY)
        upload.counted_by_writer()
        with LinesWriter(upload) as writer:
            writer.write(raw)
            written = writer.finish()
        assert upload.check.compressed_size == 0  # nothing was decompressed
        if not expected:
            with pytest.raises(IncompleteFile, match="trailer does not match"):
                upload.publish(written=dataclasses.replace(written, **claimed))
            assert storage.stat(KEY) is None
            assert open_uploads(storage) == []
            continue
        stored = upload.publish(expected_lines=len(LINES), written=written)
        assert gzip.decompress(object_bytes(storage, KEY)) == raw
        assert stored.size == written.compressed_size


def test_a_file_of_several_parts_is_invisible_until_published(storage: S3Storage) -> None:
    data, lines = big_gzip(2 * PART_SIZE + 12345)
    with storage.start_upload(KEY) as upload:
        upload.write(data)
        assert upload.parts_sent == 2
        assert open_uploads(storage) == [f"{PREFIX}/{KEY}"]
        assert storage.stat(KEY) is None
        assert objects(storage) == []
        stored = upload.publish(expected_lines=lines)
    assert stored.size == len(data)
    assert object_bytes(storage, KEY) == data
    assert open_uploads(storage) == []


def test_publish_replaces_a_previous_version_with_a_new_etag(storage: S3Storage) -> None:
    with storage.start_upload(KEY) as first:
        first.write(igzip.compress(b"old\n"))
        old = first.publish()
    with storage.start_upload(KEY) as second:
        second.write(DATA)
        new = second.publish()
    assert object_bytes(storage, KEY) == DATA
    assert new.etag != old.etag


def test_an_exception_in_the_writer_leaves_nothing(storage: S3Storage) -> None:
    data, _ = big_gzip(PART_SIZE + 1000)
    with pytest.raises(RuntimeError), storage.start_upload(KEY) as upload:
        upload.write(data)
        assert upload.parts_sent == 1
        raise RuntimeError("the database went away")
    assert upload.state == "aborted"
    assert storage.stat(KEY) is None
    assert objects(storage) == []
    assert open_uploads(storage) == []


def test_leaving_the_block_unpublished_aborts(storage: S3Storage) -> None:
    with storage.start_upload(KEY) as upload:
        upload.write(DATA)
    assert objects(storage) == []
    assert open_uploads(storage) == []
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
def test_an_incomplete_file_is_refused_and_leaves_nothing(
    storage: S3Storage, data: bytes, expected_lines: int | None, problem: str
) -> None:
    upload = storage.start_upload(KEY)
    upload.write(data)
    with pytest.raises(IncompleteFile, match=problem):
        upload.publish(expected_lines=expected_lines)
    assert upload.state == "aborted"
    assert objects(storage) == []
    assert open_uploads(storage) == []


def test_a_truncated_file_of_several_parts_is_refused_after_its_parts_went(
    storage: S3Storage,
) -> None:
    data, lines = big_gzip(PART_SIZE + 5000)
    with storage.start_upload(KEY) as upload:
        upload.write(data[:-100])
        assert upload.parts_sent == 1
        with pytest.raises(IncompleteFile, match="truncated"):
            upload.publish(expected_lines=lines)
    assert objects(storage) == []
    assert open_uploads(storage) == []


def test_a_refused_file_leaves_the_previous_version_in_place(storage: S3Storage) -> None:
    with storage.start_upload(KEY) as upload:
        upload.write(DATA)
        before = upload.publish()
    with storage.start_upload(KEY) as upload:
        upload.write(DATA[:-1])
        with pytest.raises(IncompleteFile):
            upload.publish()
    assert storage.stat(KEY) == before
    assert object_bytes(storage, KEY) == DATA


def test_the_check_counts_lines_across_members_and_a_last_line_without_newline(
    storage: S3Storage,
) -> None:
    data = igzip.compress(b"a\nb\n") + igzip.compress(b"c\nd")
    with storage.start_upload("two-members.jsonl.gz") as upload:
        for byte in range(len(data)):  # members split anywhere between writes
            upload.write(data[byte : byte + 1])
        upload.publish(expected_lines=4)
    with storage.start_upload("nothing.jsonl.gz") as upload:
        upload.write(igzip.compress(b""))
        upload.publish(expected_lines=0)
    assert objects(storage) == [f"{PREFIX}/nothing.jsonl.gz", f"{PREFIX}/two-members.jsonl.gz"]


def test_keys_that_could_escape_the_prefix_are_refused(storage: S3Storage) -> None:
    for key in ("../x", "exports/../../x", "/etc/passwd", "", ".tmp/x", "a b"):
        with pytest.raises(InvalidKey):
            storage.start_upload(key)
        with pytest.raises(InvalidKey):
            storage.stat(key)
        with pytest.raises(InvalidKey):
            storage.delete(key)


def test_delete_is_idempotent(storage: S3Storage) -> None:
    with storage.start_upload(KEY) as upload:
        upload.write(DATA)
        upload.publish()
    assert storage.delete(KEY) is True
    assert storage.stat(KEY) is None
    assert objects(storage) == []
    assert storage.delete(KEY) is False


def test_parts_are_sent_while_writing_not_at_publish(storage: S3Storage) -> None:
    """Memory stays at about a part whatever the file's size: each part leaves as it fills,
    seen both in the client's UploadPart calls and in the parts the server holds."""
    data, lines = big_gzip(3 * PART_SIZE + PART_SIZE // 2)
    calls: list[int] = []
    storage.client.meta.events.register(
        "before-parameter-build.s3.UploadPart",
        lambda params, **_: calls.append(len(params["Body"])),
    )
    step = 1 << 20
    with storage.start_upload(KEY) as upload:
        for offset in range(0, len(data), step):
            upload.write(data[offset : offset + step])
            assert len(calls) == upload.bytes_written // PART_SIZE
        assert len(data) // PART_SIZE == 3
        assert calls == [PART_SIZE] * 3
        assert upload.upload_id is not None
        held = storage.client.list_parts(
            Bucket=storage.bucket, Key=f"{PREFIX}/{KEY}", UploadId=upload.upload_id
        )
        assert [part["Size"] for part in held["Parts"]] == [PART_SIZE] * 3
        assert storage.stat(KEY) is None
        upload.publish(expected_lines=lines)
    assert calls == [PART_SIZE] * 3 + [len(data) - 3 * PART_SIZE]
    assert object_bytes(storage, KEY) == data


_WRITER = textwrap.dedent(
    """
    import os, re, sys
    import boto3
    from botocore.config import Config
    from isal import isal_zlib
    from exportd.storage.s3 import S3Storage

    def high_water_mib():
        status = open("/proc/self/status").read()
        return int(re.search(r"VmHWM:\\s+(\\d+)", status).group(1)) / 1024

    url, bucket, key, secret, region, total = sys.argv[1:7]
    client = boto3.session.Session().client(
        "s3", endpoint_url=url, region_name=region, aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    storage = S3Storage(bucket, "memory", client)
    compressor = isal_zlib.compressobj(0, isal_zlib.DEFLATED, 31)
    chunk = os.urandom(1 << 20)
    client.list_buckets()  # botocore's lazy loading done before the baseline
    before = high_water_mib()
    with storage.start_upload("big.json.gz") as upload:
        while upload.bytes_written < int(total):
            upload.write(compressor.compress(chunk))
        upload.write(compressor.flush())
        print(upload.bytes_written, upload.parts_sent, before, high_water_mib())
    """
)


def test_memory_stays_near_a_few_parts_for_a_file_of_many(s3: S3Server, bucket: str) -> None:
    """A real process streams a file of 24 parts: its peak memory grows by a few parts."""
    total = 24 * PART_SIZE
    arguments = [s3.url, bucket, ACCESS_KEY, SECRET_KEY, REGION, str(total)]
    finished = subprocess.run(
        [sys.executable, "-c", _WRITER, *arguments], capture_output=True, text=True, check=False
    )
    assert finished.returncode == 0, finished.stderr
    written, parts, before, peak = (float(value) for value in finished.stdout.split())
    assert written >= total
    assert parts >= 24
    assert peak - before < 5 * PART_SIZE / 2**20, (before, peak)


def test_a_presigned_url_downloads_the_file_under_its_name(
    s3: S3Server, storage: S3Storage
) -> None:
    with storage.start_upload(KEY) as upload:
        upload.write(DATA)
        upload.publish()
    checked = s3.presigned.checked
    url = storage.presigned_url(KEY, NAME, timedelta(hours=1))
    assert url.startswith(f"{s3.url}/{storage.bucket}/{PREFIX}/")
    assert "X-Amz-Expires=3600" in url

    response = httpx.get(url)  # plain HTTP, no credentials: the URL is the credential

    assert response.status_code == 200
    assert response.content == DATA
    assert gzip.decompress(response.content) == b"".join(LINES)
    assert response.headers["content-disposition"] == f'attachment; filename="{NAME}"'
    assert response.headers["content-type"] == "application/gzip"
    assert s3.presigned.checked == checked + 1  # its signature was verified


def _flip(text: str, index: int) -> str:
    return text[:index] + ("0" if text[index] != "0" else "1") + text[index + 1 :]


@pytest.mark.parametrize("change", ["signature", "key", "file name", "expiry"])
def test_a_tampered_presigned_url_is_refused(storage: S3Storage, change: str) -> None:
    with storage.start_upload(KEY) as upload:
        upload.write(DATA)
        upload.publish()
    with storage.start_upload("exports/other.json.gz") as upload:
        upload.write(DATA)
        upload.publish()
    url = storage.presigned_url(KEY, NAME, timedelta(hours=1))
    tampered = {
        "signature": lambda: _flip(url, len(url) - 1),
        "key": lambda: url.replace("1234.json.gz", "other.json.gz"),
        "file name": lambda: url.replace("organization_export", "other_export"),
        "expiry": lambda: url.replace("X-Amz-Expires=3600", "X-Amz-Expires=86400"),
    }[change]()
    assert tampered != url
    response = httpx.get(tampered)
    assert response.status_code == 403
    assert "SignatureDoesNotMatch" in response.text


def test_an_expired_presigned_url_is_refused(storage: S3Storage) -> None:
    with storage.start_upload(KEY) as upload:
        upload.write(DATA)
        upload.publish()
    url = storage.presigned_url(KEY, NAME, timedelta(seconds=1))
    assert httpx.get(url).status_code == 200
    time.sleep(2)  # S3 checks against its own clock
    response = httpx.get(url)
    assert response.status_code == 403
    assert "expired" in response.text


def test_download_url_is_the_presigned_url(storage: S3Storage) -> None:
    with storage.start_upload(KEY) as upload:
        upload.write(DATA)
        upload.publish()
    settings = Settings(secret_key=SecretStr("s"))
    url = storage.download_url(KEY, NAME, datetime.now(UTC), timedelta(minutes=5), settings)
    assert "X-Amz-Signature=" in url
    assert "X-Amz-Expires=300" in url
    assert httpx.get(url).content == DATA


def _crash_midway(s3: S3Server, bucket: str, prefix: str, key: str) -> None:
    """A real process that sends a part of an upload and dies without aborting it."""
    script = textwrap.dedent(
        f"""
        import os, boto3
        from botocore.config import Config
        from exportd.storage.s3 import S3Storage
        client = boto3.session.Session().client(
            "s3", endpoint_url={s3.url!r}, region_name={REGION!r},
            aws_access_key_id={ACCESS_KEY!r}, aws_secret_access_key={SECRET_KEY!r},
            config=Config(signature_version="s3v4", s3={{"addressing_style": "path"}}),
        )
        upload = S3Storage({bucket!r}, {prefix!r}, client).start_upload({key!r})
        upload.write(os.urandom({PART_SIZE}))
        assert upload.parts_sent == 1
        os._exit(9)
        """
    )
    died = subprocess.run([sys.executable, "-c", script], capture_output=True, check=False)
    assert died.returncode == 9, died.stderr  # it died right after sending its part


def test_sweep_aborts_only_its_uploads_idle_since_the_cutoff(
    s3: S3Server, bucket: str, storage: S3Storage
) -> None:
    with storage.start_upload(KEY) as done:
        done.write(DATA)
        done.publish()
    _crash_midway(s3, bucket, PREFIX, "exports/crashed.json.gz")
    _crash_midway(s3, bucket, "elsewhere", "exports/crashed.json.gz")
    live = storage.start_upload("exports/live.json.gz")
    data, lines = big_gzip(PART_SIZE + 100)
    live.write(data[:PART_SIZE])  # a part sent just now: the upload is active
    now = datetime.now(UTC)

    assert storage.sweep_temporary(now - timedelta(hours=1)) == 0  # all active within the hour
    assert storage.sweep_temporary(now + timedelta(hours=1)) == 2  # idle by then, live one too

    assert open_uploads(storage) == ["elsewhere/exports/crashed.json.gz"]  # not its prefix
    assert S3Storage(bucket, "elsewhere", storage.client).sweep_temporary(now) == 1
    assert open_uploads(storage) == []
    assert storage.stat(KEY) is not None
    live.write(data[PART_SIZE:])
    with pytest.raises(StorageError, match="upload"):
        live.publish(expected_lines=lines)  # its upload was aborted: it fails, visibly
    assert objects(storage) == [f"{PREFIX}/{KEY}"]


def test_abort_tolerates_an_upload_already_gone(storage: S3Storage) -> None:
    data, _ = big_gzip(PART_SIZE + 10)
    upload = storage.start_upload(KEY)
    upload.write(data)
    assert upload.upload_id is not None
    storage.client.abort_multipart_upload(
        Bucket=storage.bucket, Key=f"{PREFIX}/{KEY}", UploadId=upload.upload_id
    )
    upload.abort()
    assert upload.state == "aborted"


def _unreachable_client() -> Any:
    with socket.socket() as probe:  # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return boto3.session.Session().client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(retries={"max_attempts": 1}, connect_timeout=2),
    )


def test_an_unreachable_store_fails_with_a_reason_and_keeps_the_first_error(
    storage: S3Storage,
) -> None:
    data, _ = big_gzip(PART_SIZE + 10)
    upload = storage.start_upload(KEY)
    upload.write(data)  # a multipart upload is open on the server
    storage.client = _unreachable_client()  # then the store goes away
    with pytest.raises(RuntimeError, match="the writer's own error"), upload:
        raise RuntimeError("the writer's own error")  # abort fails quietly, this one stays
    assert upload.state == "aborted"
    dead = S3Storage("bucket", PREFIX, _unreachable_client())
    with pytest.raises(StorageError, match="cannot upload part 1 of tenant/exports/x on S3"):
        dead.start_upload("x").write(data)
    with pytest.raises(StorageError, match="cannot stat"):
        dead.stat("x")


def _settings(tmp_path: Path, storage_url: str, **more: Any) -> Settings:
    return Settings(home=tmp_path, storage_url=storage_url, secret_key=SecretStr("s"), **more)


def test_open_storage_builds_the_s3_backend_from_settings_and_aws_variables(
    s3: S3Server, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in s3.environment().items():
        monkeypatch.setenv(name, value)
    storage = open_storage(Settings(home=tmp_path, storage_url=f"s3://{bucket}/a/b/"))
    assert isinstance(storage, S3Storage)
    assert (storage.bucket, storage.prefix) == (bucket, "a/b")
    with storage.start_upload(KEY) as upload:
        upload.write(DATA)
        upload.publish()
    assert storage.client.meta.endpoint_url == s3.url
    assert objects(storage) == [f"a/b/{KEY}"]


def test_download_links_are_presigned_for_the_public_endpoint_when_there_is_one(
    s3: S3Server, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """exportd reaches S3 at one address, the people downloading at another."""
    for name, value in s3.environment().items():
        monkeypatch.setenv(name, value)
    public = s3.url.replace("127.0.0.1", "localhost")
    settings = Settings(home=tmp_path, storage_url=f"s3://{bucket}/p", s3_public_url=public)
    storage = open_storage(settings)
    assert isinstance(storage, S3Storage)
    with storage.start_upload(KEY) as upload:
        upload.write(DATA)
        upload.publish()
    checked = s3.presigned.checked

    url = storage.presigned_url(KEY, NAME, timedelta(hours=1))

    assert url.startswith(f"{public}/{bucket}/p/{KEY}?")
    assert storage.client.meta.endpoint_url == s3.url  # uploads still go the internal way
    response = httpx.get(url)
    assert (response.status_code, response.content) == (200, DATA)
    assert s3.presigned.checked == checked + 1  # signed for the host it was sent to


@pytest.mark.parametrize(
    ("url", "more", "message"),
    [
        ("s3:///exports", {}, "name a bucket"),
        ("s3://bucket/a/../b", {}, "the prefix may hold"),
        ("s3://bucket/x", {"download_url_ttl": 8 * 24 * 3600}, "7 days"),
        ("gs://bucket/exports", {}, "unknown scheme"),
    ],
)
def test_open_storage_refuses_s3_urls_it_cannot_serve(
    tmp_path: Path, url: str, more: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        open_storage(_settings(tmp_path, url, **more))


def test_parts_below_the_s3_minimum_are_refused(client: Any) -> None:
    with pytest.raises(ConfigurationError, match="at least"):
        S3Storage("bucket", "", client, part_size=MIN_PART_SIZE - 1)


@pytest.fixture
def settings(
    tmp_path: Path, database_url: str, s3: S3Server, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """The test store's settings with export files in the bucket, reached as a deployment
    would: the usual AWS variables and exportd's endpoint and region."""
    for name, value in s3.environment().items():
        monkeypatch.setenv(name, value)
    return Settings.load(
        home=tmp_path / "home", database_url=database_url, storage_url=f"s3://{bucket}/{PREFIX}"
    )


def test_an_organization_export_goes_to_s3_and_downloads_through_a_presigned_url(
    s3: S3Server, live_server: LiveServer, runtime: Runtime
) -> None:
    storage = runtime.storage
    assert isinstance(storage, S3Storage)
    seeded = seed_organization(runtime.database, SMALL)
    pool = WorkerPool(runtime, HANDLERS, workers=1, poll_interval=0.05)
    pool.start()
    try:
        api = exports_api(live_server, seeded.service_account_token)
        gid = request_export(api, seeded.organization_gid)["gid"]
        finished = wait_until_done(api, gid)
    finally:
        pool.stop(timeout=10)
    assert finished["state"] == "finished"
    url = finished["download_url"]
    assert url.startswith(f"{s3.url}/{storage.bucket}/{PREFIX}/exports/{gid}.json.gz?")
    assert "X-Amz-Expires=3600" in url
    checked = s3.presigned.checked

    response = httpx.get(url)

    assert response.status_code == 200
    assert s3.presigned.checked == checked + 1
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="export-')
    assert disposition.endswith(f'-{gid}.json.gz"')
    expected = [
        orjson.dumps(o) for o in organization_objects(runtime.database, seeded.organization_gid)
    ]
    assert sorted(gzip.decompress(response.content).splitlines()) == sorted(expected)
    assert open_uploads(storage) == []
    with runtime.database.read() as connection:
        row = jobs.get(connection, int(gid))
    assert row is not None
    # The digest taken while writing is of the object as S3 holds it. S3 answers a presigned
    # GET with no Repr-Digest (it adds no headers of ours), so clients check its gzip stream.
    assert row.file_sha256 == hashlib.sha256(response.content).hexdigest()

    runtime.clock = FrozenClock(runtime.clock() + timedelta(days=30, seconds=1))
    sweep_once(runtime)  # R10: retention deletes the object
    assert objects(storage) == []
    assert api.get_organization_export(gid, {})["download_url"] is None


def _publish(storage: S3Storage, key: str, data: bytes) -> None:
    with storage.start_upload(key) as upload:
        upload.write(data)
        upload.publish()


def _shards(storage: S3Storage, sizes: list[int]) -> tuple[list[str], list[bytes]]:
    """Published gzip files holding `sizes` random bytes each (stored blocks: they do not
    compress, so a file is as large as asked)."""
    raws = [os.urandom(size) for size in sizes]
    keys = [f"exports/shard-{n}.json.gz" for n in range(len(sizes))]
    for key, raw in zip(keys, raws, strict=True):
        _publish(storage, key, gzip.compress(raw, compresslevel=0, mtime=0))
    return keys, raws


def _record(storage: S3Storage) -> dict[str, list[Any]]:
    """The parts sent (their sizes), the ranges copied and the ranges read, as requested."""
    calls: dict[str, list[Any]] = {"UploadPart": [], "UploadPartCopy": [], "GetObject": []}

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name == "UploadPart":
            calls["UploadPart"].append(len(params["Body"]))
        elif model.name == "UploadPartCopy":
            calls["UploadPartCopy"].append(params["CopySourceRange"])
        elif "Range" in params:
            calls["GetObject"].append(params["Range"])

    for operation in calls:  # before botocore's own handlers wrap a part's body in a file
        storage.client.meta.events.register(f"before-parameter-build.s3.{operation}", record)
    return calls


def _range_length(header: str) -> int:
    first, last = header.removeprefix("bytes=").split("-")
    return int(last) - int(first) + 1


def test_compose_joins_gzip_files_with_the_large_ones_copied_by_the_server(
    storage: S3Storage,
) -> None:
    """Small first, large, small between large ones, small last: every part but the last is
    at least 5 MiB, the large files' bulk is copied server-side, and at most a part is read."""
    sizes = [1000, 2 * MIN_PART_SIZE + 12345, 300_000, 2 * MIN_PART_SIZE + 1, 77]
    keys, raws = _shards(storage, sizes)
    source_sizes = [len(object_bytes(storage, key)) for key in keys]
    calls = _record(storage)

    stored = storage.compose(KEY, keys)

    data = object_bytes(storage, KEY)
    assert gzip.decompress(data) == b"".join(raws)
    assert data == b"".join(object_bytes(storage, key) for key in keys)
    assert stored.size == len(data) == sum(source_sizes)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()  # the joined file's, not a shard's
    assert storage.stat(KEY) == stored
    assert objects(storage) == sorted(f"{PREFIX}/{key}" for key in [*keys, KEY])  # sources kept
    assert open_uploads(storage) == []
    sent, copied, read = calls["UploadPart"], calls["UploadPartCopy"], calls["GetObject"]
    assert all(size == MIN_PART_SIZE for size in sent[:-1])
    assert len(copied) == 2
    assert all(_range_length(header) >= MIN_PART_SIZE for header in copied)
    assert all(_range_length(header) <= MIN_PART_SIZE for header in read)
    assert sum(map(_range_length, read)) == sum(sent) < sum(source_sizes) // 2


def test_compose_splits_a_large_file_into_copied_parts_none_too_small(
    bucket: str, client: Any
) -> None:
    storage = S3Storage(bucket, PREFIX, client, copy_part_size=2 * MIN_PART_SIZE)
    keys, raws = _shards(storage, [2 * MIN_PART_SIZE + (1 << 20), 5000])
    calls = _record(storage)
    storage.compose(KEY, keys)
    assert gzip.decompress(object_bytes(storage, KEY)) == b"".join(raws)
    lengths = [_range_length(header) for header in calls["UploadPartCopy"]]
    assert len(lengths) == 2
    assert all(MIN_PART_SIZE <= length <= 2 * MIN_PART_SIZE for length in lengths)
    assert calls["UploadPart"] == [len(object_bytes(storage, keys[1]))]  # the small file, last


def test_compose_with_a_missing_source_leaves_nothing(storage: S3Storage) -> None:
    keys, _ = _shards(storage, [1000, 2000])
    with pytest.raises(StorageError, match=r"no file under 'exports/missing\.json\.gz'"):
        storage.compose(KEY, [keys[0], "exports/missing.json.gz", keys[1]])
    assert storage.stat(KEY) is None
    assert open_uploads(storage) == []
    assert objects(storage) == sorted(f"{PREFIX}/{key}" for key in keys)


def test_compose_of_no_files_is_refused(storage: S3Storage) -> None:
    with pytest.raises(StorageError, match="from no files"):
        storage.compose(KEY, [])
    assert objects(storage) == []
    assert open_uploads(storage) == []


def test_a_source_deleted_while_composing_aborts_the_upload(storage: S3Storage) -> None:
    keys, _ = _shards(storage, [1000, 2 * MIN_PART_SIZE, 3000])

    def delete_the_last(**_: Any) -> None:
        storage.client.delete_object(Bucket=storage.bucket, Key=f"{PREFIX}/{keys[2]}")

    storage.client.meta.events.register_first(
        "before-parameter-build.s3.UploadPartCopy", delete_the_last
    )
    with pytest.raises(StorageError, match=f"read {PREFIX}/{keys[2]}"):
        storage.compose(KEY, keys)
    assert storage.stat(KEY) is None
    assert open_uploads(storage) == []


def _client_without_retries(s3: S3Server) -> Any:
    return boto3.session.Session().client(
        "s3",
        endpoint_url=s3.url,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            retries={"max_attempts": 1},
            connect_timeout=2,
        ),
    )


def test_an_abort_failed_in_an_outage_is_retried_until_s3_is_back(
    s3: S3Server, bucket: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="exportd.storage.s3")
    storage = S3Storage(bucket, PREFIX, _client_without_retries(s3), abort_retry_delays=(0.1, 0.5))
    data, _ = big_gzip(PART_SIZE + 10)
    upload = storage.start_upload(KEY)
    upload.write(data)
    assert open_uploads(storage) == [f"{PREFIX}/{KEY}"]
    s3.stop()
    try:
        upload.abort()  # S3 is unreachable: no error, the abort is retried later
        assert upload.state == "aborted"
        assert storage.deferred_aborts.pending == 1
        time.sleep(0.5)  # a few attempts fail meanwhile
        assert storage.deferred_aborts.pending == 1
    finally:
        s3.start()
    until(lambda: storage.deferred_aborts.pending == 0, 5, "the deferred aborts")
    assert open_uploads(storage) == []
    assert "retrying in the background" in caplog.text
    assert f"aborted the upload of {PREFIX}/{KEY} on a later attempt" in caplog.text


def test_a_composition_cut_by_an_outage_leaves_no_upload_once_s3_is_back(
    s3: S3Server, bucket: str
) -> None:
    storage = S3Storage(bucket, PREFIX, _client_without_retries(s3), abort_retry_delays=(0.1, 0.5))
    keys, _ = _shards(storage, [1000, 2 * MIN_PART_SIZE])
    storage.client.meta.events.register_first(
        "before-parameter-build.s3.UploadPartCopy", lambda **_: s3.stop()
    )
    try:
        with pytest.raises(StorageError, match="cannot copy"):
            storage.compose(KEY, keys)
        assert storage.deferred_aborts.pending == 1
    finally:
        s3.start()
    until(lambda: storage.deferred_aborts.pending == 0, 5, "the deferred aborts")
    assert open_uploads(storage) == []
    assert storage.stat(KEY) is None


def test_a_pending_abort_of_an_upload_already_gone_is_dropped(
    bucket: str, client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="exportd.storage.s3")
    storage = S3Storage(bucket, PREFIX, client, abort_retry_delays=(0.05, 0.1))
    storage.deferred_aborts.add(f"{PREFIX}/{KEY}", "no-such-upload")  # S3: NoSuchUpload
    until(lambda: storage.deferred_aborts.pending == 0, 5, "the deferred aborts")
    assert f"the upload of {PREFIX}/{KEY} was gone already" in caplog.text


def test_a_pending_abort_is_given_up_after_its_deadline(
    caplog: pytest.LogCaptureFixture,
) -> None:
    attempts: list[float] = []

    def unreachable(name: str, upload_id: str) -> int:
        attempts.append(time.monotonic())
        raise StorageError(f"cannot abort the upload of {name} on S3: unreachable")

    aborts = DeferredAborts(unreachable, first_delay=0.02, max_delay=0.16, deadline=0.6)
    aborts.add("tenant/x", "upload-1")
    until(lambda: aborts.pending == 0, 5, "the deferred aborts")
    waits = [later - earlier for earlier, later in itertools.pairwise(attempts)]
    assert len(waits) >= 3
    for wait, least in zip(waits, [0.04, 0.08, 0.16, 0.16], strict=False):
        assert wait >= least  # doubling, then capped (attempts may come late, never early)
    assert max(waits) < 0.16 + 0.2
    assert "gave up aborting the upload of tenant/x" in caplog.text
    assert "the sweep will abort it" in caplog.text
