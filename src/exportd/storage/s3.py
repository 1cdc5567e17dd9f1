"""The S3 backend: export files in a bucket of AWS S3 or any S3-compatible service.

Publication is atomic without a temporary object. An upload is a multipart upload straight
under its final key: S3 shows nothing under the key until CompleteMultipartUpload, which
swaps the whole object in at once. The gzip check runs on the bytes as they are written
(incremental decompression, lines counted on the way), so `publish()` knows whether the
file is complete before it completes the upload, and never reads the object back. A file
that fails the check, or an upload abandoned by an exception, is aborted, and S3 drops its
parts. This avoids the other design — complete under a temporary key, copy, delete — whose
server-side copy costs a full second write, needs UploadPartCopy above 5 GB, and leaves
temporary objects to sweep.

Memory is bounded by the part size: bytes are buffered until a part is full, then sent
(parts grow after every 1,000 so the 10,000-part limit allows files of hundreds of GB).

`compose` joins published files into one the same way, by a multipart upload under the final
key, its parts copied by the server (UploadPartCopy) rather than sent; each source is read
once, streamed, for the sha256 of the joined file (a digest cannot be made from the
sources' digests). An abort that fails
because S3 cannot be reached is retried in the background (`DeferredAborts`), so an outage
does not leave uploads, and the parts S3 bills for, until the sweep's hour has passed.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import BotoCoreError, ClientError
from isal import isal_zlib

from exportd.errors import ConfigurationError
from exportd.settings import Settings
from exportd.storage.base import IncompleteFile, Storage, StorageError, StoredFile, Upload
from exportd.storage.base import validate_key as _validate_key
from exportd.storage.verify import GzipEnds, WrittenStream, check_ends

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

log = logging.getLogger("exportd.storage.s3")

PART_SIZE = 8 << 20
MIN_PART_SIZE = 5 << 20  # S3's smallest part but the last
MAX_COPY_PART_SIZE = 5 << 30  # S3's largest part copied by UploadPartCopy
PARTS_PER_SIZE_STEP = 1000
MAX_PRESIGN_TTL = timedelta(days=7)  # S3 refuses longer SigV4 presigned URLs
MEDIA_TYPE = "application/gzip"
ABORT_RETRY_DELAYS = (1.0, 30.0)  # seconds: the first wait, and the cap of the doubling waits
ABORT_RETRY_DEADLINE = 3600.0  # seconds of retrying, after which the sweep's hour takes over
_CHUNK = 1 << 20  # decompressed bytes counted at a time, whatever a part expands to
_GZIP_WBITS = 16 + 15
_NOT_FOUND = {"404", "NoSuchKey", "NotFound"}
_BROKEN = cast(type[Exception], isal_zlib.error)  # the stub types it oddly


class S3Storage(Storage):
    """Files in `bucket`, each key below `prefix` (no prefix: at the bucket's root)."""

    def __init__(
        self,
        bucket: str,
        prefix: str,
        client: S3Client,
        *,
        part_size: int = PART_SIZE,
        copy_part_size: int = MAX_COPY_PART_SIZE,
        abort_retry_delays: tuple[float, float] = ABORT_RETRY_DELAYS,
        presigner: S3Client | None = None,
    ) -> None:
        if part_size < MIN_PART_SIZE:
            raise ConfigurationError(f"S3 parts must be at least {MIN_PART_SIZE} bytes")
        if not 2 * MIN_PART_SIZE <= copy_part_size <= MAX_COPY_PART_SIZE:
            raise ConfigurationError(
                f"copied S3 parts must be {2 * MIN_PART_SIZE} to {MAX_COPY_PART_SIZE} bytes"
            )
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = client
        self.presigner = presigner or client  # signs download links for their public host
        self.part_size = part_size
        self.copy_part_size = copy_part_size
        self.deferred_aborts = DeferredAborts(self._abort_upload, *abort_retry_delays)

    def object_key(self, key: str) -> str:
        """The object's name in the bucket; the key is validated first."""
        _validate_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def start_upload(self, key: str) -> S3Upload:
        return S3Upload(self, key)

    def compose(self, key: str, sources: Sequence[str]) -> StoredFile:
        """One multipart upload under `key`, whose parts the server copies from the sources
        (UploadPartCopy), so their bytes do not pass through exportd. Sources too small to be
        a part of their own (S3 wants 5 MiB from every part but the last), and leftovers, are
        fetched into a buffer sent as a part once it holds MIN_PART_SIZE: memory stays at
        about two parts. Every read and copy names the ETag the source had when it was sized,
        so a source replaced meanwhile fails the composition rather than mixing versions. On
        any failure the upload is aborted, in the background when S3 cannot be reached.
        """
        name = self.object_key(key)
        if not sources:
            raise StorageError(f"cannot compose {name} from no files")
        found: list[tuple[str, StoredFile]] = []
        for source in sources:  # every source sized before anything is created
            stored = self.stat(source)
            if stored is None:
                raise StorageError(f"cannot compose {name}: there is no file under {source!r}")
            found.append((self.object_key(source), stored))
        composition = _Composition(self, name)
        digest = hashlib.sha256()
        try:
            for source_name, stored in found:
                composition.add(source_name, stored.size, stored.etag)
                self._hash_object(source_name, stored.etag, digest)
            composition.complete()
        except BaseException:
            composition.abort()
            raise
        expected = sum(stored.size for _, stored in found)
        composed = self.stat(key)
        if composed is None or composed.size != expected:
            self.delete(key)  # visible already, but wrong: better no file than a broken one
            size = "nothing" if composed is None else f"{composed.size} bytes"
            raise StorageError(f"composing {name} made {size} where the sources hold {expected}")
        return replace(composed, sha256=digest.hexdigest())

    def _hash_object(self, name: str, etag: str, digest: Any) -> None:
        """Feed the object `name`, as of `etag`, to `digest`, streamed."""
        with _s3_errors(f"read {name} for its digest"):
            got = self.client.get_object(Bucket=self.bucket, Key=name, IfMatch=etag)
            for chunk in got["Body"].iter_chunks(_CHUNK):
                digest.update(chunk)

    def stat(self, key: str) -> StoredFile | None:
        name = self.object_key(key)
        with _s3_errors(f"stat {name}"):
            try:
                head = self.client.head_object(Bucket=self.bucket, Key=name)
            except ClientError as error:
                if _code(error) in _NOT_FOUND:
                    return None
                raise
        return StoredFile(
            key=key,
            size=head["ContentLength"],
            etag=head["ETag"],
            modified_at=head["LastModified"].astimezone(UTC),
        )

    def delete(self, key: str) -> bool:
        """Deleting is idempotent on S3 and says nothing; the HEAD before it tells."""
        if self.stat(key) is None:
            return False
        name = self.object_key(key)
        with _s3_errors(f"delete {name}"):
            self.client.delete_object(Bucket=self.bucket, Key=name)
        return True

    def sweep_temporary(self, older_than: datetime) -> int:
        """Abort multipart uploads below the prefix with no activity (start or part) since
        `older_than`: the leftovers of crashed writers. A live upload shows activity with
        every part it sends; one idle for longer is aborted and fails at its next request.
        Without a prefix, every upload in the bucket counts: give exportd its own prefix."""
        aborted = 0
        prefix = f"{self.prefix}/" if self.prefix else ""
        with _s3_errors(f"list uploads under {prefix or '/'}"):
            pages = self.client.get_paginator("list_multipart_uploads").paginate(
                Bucket=self.bucket, Prefix=prefix
            )
            stale = [
                (upload["Key"], upload["UploadId"])
                for page in pages
                for upload in page.get("Uploads", [])
                if upload["Initiated"] < older_than
            ]
        for name, upload_id in stale:
            if self._last_part_at(name, upload_id, older_than) < older_than:
                aborted += self._abort_upload(name, upload_id)
        return aborted

    def presigned_url(self, key: str, filename: str, ttl: timedelta) -> str:
        """A GET URL for `key`, valid for `ttl`, that downloads as `filename`. S3 checks it
        against its own clock, so exportd's (injectable) clock plays no part."""
        if not timedelta(seconds=1) <= ttl <= MAX_PRESIGN_TTL:
            raise ConfigurationError(f"a presigned URL lives 1 s to 7 days, not {ttl}")
        params = {
            "Bucket": self.bucket,
            "Key": self.object_key(key),
            "ResponseContentDisposition": f'attachment; filename="{filename}"',
        }
        with _s3_errors(f"presign {params['Key']}"):
            return self.presigner.generate_presigned_url(
                "get_object", Params=params, ExpiresIn=int(ttl.total_seconds())
            )

    def download_url(
        self,
        key: str,
        filename: str,
        now: datetime,
        ttl: timedelta,
        settings: Settings,
        sha256: str | None = None,
    ) -> str:
        """The presigned URL. S3 cannot be made to answer with a `Repr-Digest` (a presigned
        GET overrides only a few response headers), so `sha256` plays no part here."""
        return self.presigned_url(key, filename, ttl)

    def _last_part_at(self, name: str, upload_id: str, default: datetime) -> datetime:
        """When the upload's newest part arrived (`default` when it has none or is gone)."""
        latest = datetime.min.replace(tzinfo=UTC)
        with _s3_errors(f"list parts of {name}"):
            try:
                pages = self.client.get_paginator("list_parts").paginate(
                    Bucket=self.bucket, Key=name, UploadId=upload_id
                )
                for page in pages:
                    for part in page.get("Parts", []):
                        latest = max(latest, part["LastModified"])
            except ClientError as error:
                if _code(error) == "NoSuchUpload":
                    return default  # completed or aborted meanwhile: not ours to count
                raise
        return latest

    def _abort_or_defer(self, name: str, upload_id: str) -> None:
        """Abort an upload, or hand it to the background retrier when that fails. Never
        raises: it runs while another error propagates, and that error is the one to see."""
        try:
            self._abort_upload(name, upload_id)
        except StorageError as error:
            log.warning("%s; retrying in the background", error)
            self.deferred_aborts.add(name, upload_id)

    def _abort_upload(self, name: str, upload_id: str) -> int:
        """Abort one multipart upload; 1 when this call did it, 0 when it was already gone."""
        with _s3_errors(f"abort the upload of {name}"):
            try:
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=name, UploadId=upload_id)
            except ClientError as error:
                if _code(error) == "NoSuchUpload":
                    return 0
                raise
        return 1


class S3Upload(Upload):
    """A multipart upload fed part by part, completed only once its bytes passed the check.

    The multipart upload is created with the first part, so an upload that never fills a
    part costs no request until it is published.
    """

    def __init__(self, storage: S3Storage, key: str) -> None:
        super().__init__(key)
        self._storage = storage
        self._name = storage.object_key(key)
        self._buffer = bytearray()
        self._parts: list[CompletedPartTypeDef] = []
        self.upload_id: str | None = None
        self.check = GzipLineCounter()  # decompresses as it goes: for uncounted writers
        self.ends = GzipEnds()  # the size, header and trailer: for counting writers

    @property
    def parts_sent(self) -> int:
        return len(self._parts)

    def _write(self, data: bytes | bytearray | memoryview) -> None:
        if self.writer_counts:
            self.ends.feed(data)
        else:
            self.check.feed(data)
        self._buffer += data
        while len(self._buffer) >= (size := self._next_part_size()):
            part = bytes(memoryview(self._buffer)[:size])  # the one copy a part costs
            del self._buffer[:size]
            self._send_part(part)

    def _publish(self, expected_lines: int | None, written: WrittenStream | None) -> StoredFile:
        if written is not None:
            check_ends(self.ends.head, self.ends.tail, self.ends.size, written)
            lines = written.lines
        else:
            lines = self.check.finish()
        if expected_lines is not None and lines != expected_lines:
            raise IncompleteFile(
                f"{self.key}: the file has {lines} lines where {expected_lines} were written"
            )
        if self._buffer or not self._parts:
            last, self._buffer = bytes(self._buffer), bytearray()
            self._send_part(last)
        client, bucket = self._storage.client, self._storage.bucket
        assert self.upload_id is not None
        with _s3_errors(f"complete the upload of {self._name}"):
            client.complete_multipart_upload(
                Bucket=bucket,
                Key=self._name,
                UploadId=self.upload_id,
                MultipartUpload={"Parts": self._parts},
            )
        stored = self._storage.stat(self.key)
        if stored is None:
            raise StorageError(f"{self._name} is missing right after its upload completed")
        return stored

    def _abort(self) -> None:
        """Abort the multipart upload; when S3 cannot be reached, it is retried in the
        background rather than raised (abort runs while another error propagates)."""
        self._buffer = bytearray()
        if self.upload_id is not None:
            self._storage._abort_or_defer(self._name, self.upload_id)

    def _next_part_size(self) -> int:
        return self._storage.part_size * (1 + len(self._parts) // PARTS_PER_SIZE_STEP)

    def _send_part(self, body: bytes) -> None:
        client, bucket = self._storage.client, self._storage.bucket
        number = len(self._parts) + 1
        with _s3_errors(f"upload part {number} of {self._name}"):
            if self.upload_id is None:
                created = client.create_multipart_upload(
                    Bucket=bucket, Key=self._name, ContentType=MEDIA_TYPE
                )
                self.upload_id = created["UploadId"]
            sent = client.upload_part(
                Bucket=bucket,
                Key=self._name,
                UploadId=self.upload_id,
                PartNumber=number,
                Body=body,
            )
        self._parts.append(_completed_part(number, sent))


class _Composition:
    """The multipart upload of one `compose`: ranges of sources copied by the server as
    parts, and a buffer of fetched bytes for what is too small to be a part of its own."""

    def __init__(self, storage: S3Storage, name: str) -> None:
        self._storage = storage
        self._name = name
        self._buffer = bytearray()
        self._parts: list[CompletedPartTypeDef] = []
        with _s3_errors(f"start composing {name}"):
            created = storage.client.create_multipart_upload(
                Bucket=storage.bucket, Key=name, ContentType=MEDIA_TYPE
            )
        self.upload_id = created["UploadId"]

    def add(self, source: str, size: int, etag: str) -> None:
        """Append the object `source` (`size` bytes, as of `etag`)."""
        offset = 0
        while offset < size:
            remaining = size - offset
            if self._buffer:  # fill the buffer to a part first, from this source's start
                length = min(MIN_PART_SIZE - len(self._buffer), remaining)
                self._buffer += self._fetch(source, etag, offset, length)
                if len(self._buffer) >= MIN_PART_SIZE:
                    self._send_buffer()
            elif remaining >= MIN_PART_SIZE:
                # A copy may leave a remainder to copy next, never one too small to copy.
                cap = self._storage.copy_part_size
                length = remaining if remaining <= cap else min(cap, remaining - MIN_PART_SIZE)
                self._copy(source, etag, offset, length)
            else:
                length = remaining
                self._buffer += self._fetch(source, etag, offset, length)
            offset += length

    def complete(self) -> None:
        if self._buffer or not self._parts:
            self._send_buffer()  # the last part may be small
        client, bucket = self._storage.client, self._storage.bucket
        with _s3_errors(f"complete composing {self._name}"):
            client.complete_multipart_upload(
                Bucket=bucket,
                Key=self._name,
                UploadId=self.upload_id,
                MultipartUpload={"Parts": self._parts},
            )

    def abort(self) -> None:
        self._buffer = bytearray()
        self._storage._abort_or_defer(self._name, self.upload_id)

    def _fetch(self, source: str, etag: str, offset: int, length: int) -> bytes:
        client, bucket = self._storage.client, self._storage.bucket
        with _s3_errors(f"read {source} for {self._name}"):
            got = client.get_object(
                Bucket=bucket,
                Key=source,
                Range=f"bytes={offset}-{offset + length - 1}",
                IfMatch=etag,
            )
            body = got["Body"].read()
        if len(body) != length:
            raise StorageError(f"read {len(body)} bytes of {source} where {length} were asked")
        return body

    def _copy(self, source: str, etag: str, offset: int, length: int) -> None:
        client, bucket = self._storage.client, self._storage.bucket
        number = len(self._parts) + 1
        with _s3_errors(f"copy {source} into part {number} of {self._name}"):
            copied = client.upload_part_copy(
                Bucket=bucket,
                Key=self._name,
                UploadId=self.upload_id,
                PartNumber=number,
                CopySource={"Bucket": bucket, "Key": source},
                CopySourceRange=f"bytes={offset}-{offset + length - 1}",
                CopySourceIfMatch=etag,
            )
        self._parts.append(_completed_part(number, copied["CopyPartResult"]))

    def _send_buffer(self) -> None:
        client, bucket = self._storage.client, self._storage.bucket
        number = len(self._parts) + 1
        body, self._buffer = bytes(self._buffer), bytearray()
        with _s3_errors(f"upload part {number} of {self._name}"):
            sent = client.upload_part(
                Bucket=bucket, Key=self._name, UploadId=self.upload_id, PartNumber=number, Body=body
            )
        self._parts.append(_completed_part(number, sent))


def _completed_part(number: int, sent: Mapping[str, Any]) -> CompletedPartTypeDef:
    """A part as CompleteMultipartUpload wants it named: its number and ETag, and its checksum
    when the upload was created with one (then S3 wants it repeated)."""
    part: CompletedPartTypeDef = {"PartNumber": number, "ETag": sent["ETag"]}
    if "ChecksumCRC32" in sent:
        part["ChecksumCRC32"] = sent["ChecksumCRC32"]
    return part


class DeferredAborts:
    """Multipart uploads whose abort failed (S3 unreachable), aborted again in the background,
    so an outage does not leave them, and the parts S3 bills for, for the sweep's hour.

    A daemon thread, started with the first one, retries each abort with waits doubling from
    `first_delay` up to `max_delay`, until it succeeds, the upload is found gone, or
    `deadline` seconds have passed, or the process ends: the sweep takes it then. Written
    here: the standard library has no background retrier, and this is one small loop.
    """

    def __init__(
        self,
        abort: Callable[[str, str], int],
        first_delay: float = ABORT_RETRY_DELAYS[0],
        max_delay: float = ABORT_RETRY_DELAYS[1],
        deadline: float = ABORT_RETRY_DEADLINE,
    ) -> None:
        self._abort = abort  # 1 when it aborted, 0 when the upload was gone; raises otherwise
        self._first_delay, self._max_delay, self._deadline = first_delay, max_delay, deadline
        # (object name, upload id) -> (next attempt, current wait, give up after), monotonic
        self._pending: dict[tuple[str, str], tuple[float, float, float]] = {}
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    @property
    def pending(self) -> int:
        with self._changed:
            return len(self._pending)

    def add(self, name: str, upload_id: str) -> None:
        now = time.monotonic()
        with self._changed:
            self._pending[name, upload_id] = (
                now + self._first_delay,
                self._first_delay,
                now + self._deadline,
            )
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="exportd-s3-aborts", daemon=True
                )
                self._thread.start()
            self._changed.notify()

    def _run(self) -> None:
        while True:
            with self._changed:
                now = time.monotonic()
                due = [(upload, when) for upload, when in self._pending.items() if when[0] <= now]
                if not due:
                    wake = min((when[0] for when in self._pending.values()), default=None)
                    self._changed.wait(None if wake is None else wake - now)
            for (name, upload_id), (_, delay, give_up_at) in due:
                self._retry(name, upload_id, delay, give_up_at)

    def _retry(self, name: str, upload_id: str, delay: float, give_up_at: float) -> None:
        try:
            aborted = self._abort(name, upload_id)
        except Exception as error:  # StorageError mostly; nothing may end the thread
            now = time.monotonic()
            with self._changed:
                if now < give_up_at:
                    delay = min(2 * delay, self._max_delay)
                    self._pending[name, upload_id] = (now + delay, delay, give_up_at)
                    return
                self._pending.pop((name, upload_id), None)
            log.warning(
                "gave up aborting the upload of %s: %s; the sweep will abort it", name, error
            )
            return
        with self._changed:
            self._pending.pop((name, upload_id), None)
        if aborted:
            log.info("aborted the upload of %s on a later attempt", name)
        else:
            log.info("the upload of %s was gone already: nothing to abort", name)


class GzipLineCounter:
    """Checks a gzip stream fed piece by piece, as `verify_gzip` checks a whole file: every
    member decompressed (CRCs and lengths checked), lines counted, no trailing garbage.

    `feed` never raises, so a writer is not interrupted mid-stream; the first problem is
    kept and `finish` raises it as IncompleteFile.
    """

    def __init__(self) -> None:
        self.lines = 0
        self.compressed_size = 0
        self._member: Any = isal_zlib.decompressobj(wbits=_GZIP_WBITS)
        self._last = b"\n"
        self._problem: str | None = None

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        if self._problem is not None or not len(data):
            return
        self.compressed_size += len(data) if not isinstance(data, memoryview) else data.nbytes
        try:
            self._decompress(bytes(data))
        except _BROKEN as error:
            self._problem = str(error)

    def finish(self) -> int:
        """The number of lines: newlines, plus one for a last line without a newline."""
        if self._problem is None and self.compressed_size == 0:
            self._problem = "the file is empty"
        elif self._problem is None and not self._member.eof:
            self._problem = "it ends in the middle of a member (truncated)"
        if self._problem is not None:
            raise IncompleteFile(f"not a complete gzip stream: {self._problem}")
        return self.lines + (self._last != b"\n")

    def _decompress(self, data: bytes) -> None:
        while True:
            if self._member.eof:  # the previous member ended: what follows must be another
                self._member = isal_zlib.decompressobj(wbits=_GZIP_WBITS)
            out: bytes = self._member.decompress(data, _CHUNK)
            if out:
                self.lines += out.count(b"\n")
                self._last = out[-1:]
            if self._member.eof:
                data = self._member.unused_data
                if not data:
                    return
            else:
                data = self._member.unconsumed_tail
                if not data and len(out) < _CHUNK:
                    return  # all input taken and no output held back


def s3_client(settings: Settings, endpoint_url: str | None = None) -> S3Client:
    """A client from the usual AWS variables (credentials, region, profile), with exportd's
    endpoint (or `endpoint_url`) and region when set. Presigned URLs are SigV4, which every
    region and most S3-compatible services accept (botocore would otherwise presign SigV2 in
    us-east-1). S3-compatible services get path-style addressing: no wildcard DNS for
    buckets needed."""
    import boto3
    from botocore.config import Config

    endpoint = endpoint_url or settings.s3_endpoint_url or None
    config = Config(
        signature_version="s3v4",
        retries={"mode": "standard"},
        s3={"addressing_style": "path" if endpoint else "auto"},
    )
    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint, region_name=settings.s3_region or None, config=config
    )


@contextmanager
def _s3_errors(action: str) -> Iterator[None]:
    """Turn botocore's errors into StorageError, saying what exportd was doing."""
    try:
        yield
    except ClientError as error:
        message = error.response.get("Error", {}).get("Message") or _code(error)
        raise StorageError(f"S3 refused to {action}: {message}") from error
    except BotoCoreError as error:
        raise StorageError(f"cannot {action} on S3: {error}") from error


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))
