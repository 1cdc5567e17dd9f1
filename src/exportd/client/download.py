"""Downloading an export file: streamed, resumable, verified, published atomically.

The bytes go to `FILE.part`; beside it `FILE.part.json` (the sidecar) says which export
they belong to, so the same command run again follows that export and continues the file
with `Range` instead of requesting a new one. A link that expired meanwhile (any 4xx from
the download, which is how exportd's signed links and S3's presigned ones refuse) is
replaced by a fresh one from the export's GET. Only a verified file gets the final name:
one complete gzip stream (or several, one after another), as many lines as the server
wrote when it says, and the sha256 of `Repr-Digest` (RFC 9530) when it sends one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast

import httpx
import orjson
from isal import isal_zlib

from exportd.client.api import TIMEOUT, Backoff, describe_transport, retry_after
from exportd.errors import ExportdError

LINK_REFRESHES = 5  # fresh links in a row that may be refused before giving up
RETRIES = 8
_GZIP = 16 + 15
_INFLATE_ERROR = cast("type[Exception]", isal_zlib.error)  # its stub types an instance
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")
_DIGEST = re.compile(r"(?:^|,)\s*sha-256=:([A-Za-z0-9+/=]+):")


class DownloadError(ExportdError):
    """The file could not be fetched or failed its check; the message is one line."""


def part_path(output: Path) -> Path:
    return output.with_name(f"{output.name}.part")


def sidecar_path(output: Path) -> Path:
    return output.with_name(f"{output.name}.part.json")


@dataclass
class Sidecar:
    """Which export `FILE.part` belongs to, and what the server said of its file."""

    api_url: str
    kind: str
    data: dict[str, Any]
    gid: str  # followed: the organization export or the job
    etag: str | None = None
    size: int | None = None
    sha256: str | None = None  # hex, from Repr-Digest

    def matches(self, api_url: str, kind: str, data: dict[str, Any]) -> bool:
        return (self.api_url, self.kind, self.data) == (api_url, kind, data)

    def save(self, output: Path) -> None:
        path = sidecar_path(output)
        draft = path.with_name(f".{path.name}.new")
        draft.write_bytes(orjson.dumps(asdict(self), option=orjson.OPT_INDENT_2))
        draft.replace(path)

    @staticmethod
    def load(output: Path) -> Sidecar | None:
        path = sidecar_path(output)
        try:
            raw = orjson.loads(path.read_bytes())
            return Sidecar(**raw)
        except FileNotFoundError:
            return None
        except (orjson.JSONDecodeError, TypeError) as error:
            raise DownloadError(f"{path}: not a download sidecar ({error}); remove it") from None


def repr_digest(header: str | None) -> str | None:
    """The sha-256 of a `Repr-Digest` header, hex; None when it names no sha-256."""
    if not header:
        return None
    found = _DIGEST.search(header)
    if found is None:
        return None
    try:
        digest = base64.b64decode(found.group(1), validate=True)
    except binascii.Error:
        return None
    return digest.hex() if len(digest) == 32 else None


@dataclass(frozen=True)
class Verified:
    size: int
    lines: int
    sha256: str


def verify(path: Path, *, lines: int | None, sha256: str | None, size: int | None) -> Verified:
    """Read `path` end to end: complete gzip members, line count, sha256 of the bytes."""
    digest = hashlib.sha256()
    total = counted = 0
    inflater = isal_zlib.decompressobj(_GZIP)
    inside = False  # in the middle of a gzip member
    members = 0
    try:
        with path.open("rb") as file:
            while chunk := file.read(1 << 20):
                digest.update(chunk)
                total += len(chunk)
                data = chunk
                while data:
                    inside = True
                    counted += inflater.decompress(data).count(b"\n")
                    if not inflater.eof:
                        break
                    members += 1
                    inside = False
                    data = inflater.unused_data
                    inflater = isal_zlib.decompressobj(_GZIP)
    except _INFLATE_ERROR as error:
        raise DownloadError(f"the file is corrupt: not a valid gzip stream ({error})") from None
    if inside or members == 0:
        raise DownloadError(f"the file is truncated: its gzip stream ends early ({total:,} bytes)")
    if size is not None and total != size:
        raise DownloadError(f"the file has {total:,} bytes where the server sent {size:,}")
    if lines is not None and counted != lines:
        raise DownloadError(f"the file has {counted:,} lines where the server wrote {lines:,}")
    hexdigest = digest.hexdigest()
    if sha256 is not None and hexdigest != sha256:
        raise DownloadError("the file's sha256 differs from the server's Repr-Digest")
    return Verified(size=total, lines=counted, sha256=hexdigest)


def publish(output: Path) -> None:
    """Give the verified `.part` its final name in one step, and drop the sidecar."""
    part = part_path(output)
    with part.open("rb") as file:
        os.fsync(file.fileno())
    part.replace(output)
    sidecar_path(output).unlink(missing_ok=True)


def discard(output: Path) -> None:
    """Drop a `.part` that failed its check; the sidecar stays, so a re-run fetches the
    same export again from the start."""
    part_path(output).unlink(missing_ok=True)


@dataclass
class Downloader:
    """Fetches one export's file into `output`'s `.part`, resuming what is there.

    `refresh()` returns a fresh link from the export's GET. `on_bytes(done, total)`
    reports progress; total is None until the server said.
    """

    output: Path
    sidecar: Sidecar
    refresh: Callable[[], str]
    on_bytes: Callable[[int, int | None], None]
    on_wait: Callable[[str, float], None] | None = None
    sleep: Callable[[float], None] = time.sleep

    def run(self, url: str) -> None:
        part = part_path(self.output)
        backoff, failures, refused = Backoff(), 0, 0
        with httpx.Client(timeout=TIMEOUT, follow_redirects=True) as http:
            while True:
                offset = part.stat().st_size if part.exists() else 0
                if self.sidecar.size is not None and offset == self.sidecar.size:
                    return  # all there already; verification decides whether it is good
                headers = {"accept-encoding": "identity"}
                if offset:
                    headers["range"] = f"bytes={offset}-"
                    if self.sidecar.etag:
                        headers["if-range"] = self.sidecar.etag
                try:
                    with http.stream("GET", url, headers=headers) as response:
                        status = response.status_code
                        if status in (200, 206):
                            if self._receive(response, part, offset):
                                return
                            continue
                        if status == 416:  # the part is longer than the file: start again
                            part.unlink(missing_ok=True)
                            self.sidecar.size = None
                            continue
                        if status == 429 or status >= 500:
                            failures += status != 429
                            if failures > RETRIES:
                                raise DownloadError(f"download failed: {status} from the server")
                            wait = retry_after(response) if status == 429 else backoff.next()
                            self._wait(f"download answered {status}", wait)
                            continue
                        refused += 1
                        if refused > LINK_REFRESHES:
                            raise DownloadError(
                                f"download refused ({status}) even with a fresh link"
                            )
                        self._wait(f"download link refused ({status}), getting a fresh one", 0)
                        url = self.refresh()
                        continue
                except httpx.TransportError as error:
                    failures += 1
                    if failures > RETRIES:
                        raise DownloadError(
                            f"download failed: {describe_transport(error)}"
                        ) from None
                    self._wait(
                        f"download interrupted ({describe_transport(error)})", backoff.next()
                    )
                    continue

    def _receive(self, response: httpx.Response, part: Path, offset: int) -> bool:
        """Append the answer's bytes to `part`; True when the file is complete."""
        total = self._describe(response, offset)
        if response.status_code == 200:
            offset = 0  # a whole file: the part is replaced
        mode = "ab" if offset else "wb"
        done = offset
        self.on_bytes(done, total)
        with part.open(mode) as file:
            for chunk in response.iter_raw():  # as received: a chunk size would hold bytes back
                file.write(chunk)
                done += len(chunk)
                self.on_bytes(done, total)
            file.flush()
        return total is None or done >= total

    def _describe(self, response: httpx.Response, offset: int) -> int | None:
        """The file's size, ETag and digest from the answer's headers, kept in the sidecar."""
        headers = response.headers
        if response.status_code == 206:
            found = _CONTENT_RANGE.fullmatch(headers.get("content-range", "").strip())
            if found is None or int(found.group(1)) != offset:
                raise DownloadError("the server answered a range other than the one asked")
            total = int(found.group(3)) if found.group(3) != "*" else None
        else:
            length = headers.get("content-length")
            total = int(length) if length and length.isdigit() else None
        etag = headers.get("etag")
        digest = repr_digest(headers.get("repr-digest"))
        changed = (
            response.status_code == 200
            or etag != self.sidecar.etag
            or total != self.sidecar.size
            or (digest is not None and digest != self.sidecar.sha256)
        )
        if changed:
            self.sidecar.etag, self.sidecar.size = etag, total
            if digest is not None or response.status_code == 200:
                self.sidecar.sha256 = digest
            self.sidecar.save(self.output)
        return total

    def _wait(self, why: str, seconds: float) -> None:
        if self.on_wait is not None:
            self.on_wait(why, seconds)
        if seconds:
            self.sleep(seconds)
