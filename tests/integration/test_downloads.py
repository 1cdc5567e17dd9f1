"""Signed download links served over real HTTP on loopback: bytes, headers, ranges, refusals."""

from __future__ import annotations

import base64
import gzip
import hashlib
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from isal import igzip

from exportd import compose
from exportd.clock import FrozenClock
from exportd.runtime import Runtime
from exportd.settings import Settings
from exportd.storage import links
from exportd.storage.local import LocalStorage
from tests.conftest import LiveServer

KEY = "exports/1234.json.gz"
NAME = "organization_export_1234.json.gz"
TTL = timedelta(seconds=60)
START = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
# Incompressible lines, so the file spans many of the server's 64 KiB read chunks.
LINES = [os.urandom(60).hex().encode() + b"\n" for _ in range(20_000)]
DATA = igzip.compress(b"".join(LINES))
DIGEST = f"sha-256=:{base64.b64encode(hashlib.sha256(DATA).digest()).decode()}:"


class WatchedStorage(LocalStorage):
    """Local storage that records every lookup, to prove a refused link touches nothing."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.lookups: list[str] = []

    def local_file(self, key: str) -> tuple[Path, os.stat_result] | None:
        self.lookups.append(key)
        return super().local_file(key)


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with LiveServer() as server:
        yield server


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def runtime(tmp_path: Path, clock: FrozenClock) -> Iterator[Runtime]:
    """Settings and a clock; downloads never touch the database, so it is never opened."""
    settings = Settings.load(
        home=tmp_path / "home", database_url=f"sqlite:///{tmp_path / 'unused.sqlite3'}"
    )
    runtime = compose.open_runtime(settings, clock=clock)
    yield runtime
    runtime.close()


@pytest.fixture
def storage(tmp_path: Path) -> WatchedStorage:
    storage = WatchedStorage(tmp_path / "files")
    with storage.start_upload(KEY) as upload:
        upload.write(DATA)
        upload.publish(expected_lines=len(LINES))
    return storage


@pytest.fixture
def client(server: LiveServer, runtime: Runtime, storage: WatchedStorage) -> Iterator[httpx.Client]:
    runtime.storage = storage
    server.use(runtime)
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


@pytest.fixture
def url(runtime: Runtime, server: LiveServer) -> str:
    """A fresh link, as a GET of a finished export hands it out; relative to the server."""
    settings = runtime.settings.model_copy(update={"public_url": server.url})
    digest = hashlib.sha256(DATA).hexdigest()  # recorded on the export's row when written
    full = links.download_url(settings, KEY, NAME, runtime.clock(), TTL, digest)
    return full.removeprefix(server.url)


def error_of(response: httpx.Response) -> str:
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"errors"}
    assert {"message", "help"} <= set(body["errors"][0])
    message: str = body["errors"][0]["message"]
    return message


def test_a_valid_link_serves_the_exact_file(client: httpx.Client, url: str) -> None:
    response = client.get(url)  # no Authorization header: the link is the credential
    assert response.status_code == 200
    assert response.content == DATA
    assert gzip.decompress(response.content) == b"".join(LINES)  # a second opinion: stdlib


def test_headers_describe_the_file(
    client: httpx.Client, url: str, storage: WatchedStorage, tmp_path: Path
) -> None:
    response = client.get(url)
    headers = response.headers
    stored = storage.stat(KEY)
    assert stored is not None
    assert headers["content-type"] == "application/gzip"
    assert "content-encoding" not in headers  # the client must get the gzip bytes as they are
    assert headers["content-disposition"] == f'attachment; filename="{NAME}"'
    assert headers["content-length"] == str(len(DATA))
    assert headers["repr-digest"] == DIGEST  # RFC 9530: the sha-256 of the whole file
    assert headers["etag"].startswith('"sha256-')  # made from the content, not size and mtime
    assert headers["accept-ranges"] == "bytes"
    assert "last-modified" in headers
    assert str(tmp_path) not in url
    assert not any(str(tmp_path) in value for value in headers.values())


def test_head_gives_the_headers_without_the_body(client: httpx.Client, url: str) -> None:
    response = client.head(url)
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == str(len(DATA))
    assert response.headers["content-type"] == "application/gzip"


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-9", 0, 9),
        ("bytes=10-", 10, len(DATA) - 1),
        ("bytes=-5", len(DATA) - 5, len(DATA) - 1),
        ("bytes=70000-200000", 70_000, 200_000),  # across the server's read chunks
        (f"bytes={len(DATA) - 1}-{len(DATA) + 100}", len(DATA) - 1, len(DATA) - 1),
    ],
)
def test_a_range_gets_exactly_those_bytes(
    client: httpx.Client, url: str, header: str, start: int, end: int
) -> None:
    response = client.get(url, headers={"Range": header})
    assert response.status_code == 206
    assert response.content == DATA[start : end + 1]
    assert response.headers["content-range"] == f"bytes {start}-{end}/{len(DATA)}"
    assert response.headers["content-length"] == str(end - start + 1)
    assert response.headers["repr-digest"] == DIGEST  # still of the whole file


def test_the_etag_follows_the_content_not_the_file(
    client: httpx.Client, url: str, runtime: Runtime, server: LiveServer, storage: WatchedStorage
) -> None:
    """The same bytes published again (a new inode, a new mtime) keep their ETag; other
    bytes under the same key get another."""
    first = client.head(url).headers["etag"]
    with storage.start_upload(KEY) as upload:
        upload.write(DATA)
        again = upload.publish()
    assert client.head(url).headers["etag"] == first
    other = igzip.compress(b"".join(LINES[1:]))
    with storage.start_upload(KEY) as upload:
        upload.write(other)
        changed = upload.publish()
    assert again.sha256 != changed.sha256 == hashlib.sha256(other).hexdigest()
    settings = runtime.settings.model_copy(update={"public_url": server.url})
    fresh = links.download_url(settings, KEY, NAME, runtime.clock(), TTL, changed.sha256)
    response = client.get(fresh.removeprefix(server.url))
    assert response.content == other
    assert response.headers["etag"] != first
    assert response.headers["repr-digest"] == (
        f"sha-256=:{base64.b64encode(hashlib.sha256(other).digest()).decode()}:"
    )


def test_a_link_without_a_digest_is_served_with_the_storages_etag(
    client: httpx.Client, runtime: Runtime, server: LiveServer, storage: WatchedStorage
) -> None:
    """Exports finished before digests were recorded still download, without one."""
    settings = runtime.settings.model_copy(update={"public_url": server.url})
    old = links.download_url(settings, KEY, NAME, runtime.clock(), TTL)
    response = client.get(old.removeprefix(server.url))
    stored = storage.stat(KEY)
    assert stored is not None
    assert response.content == DATA
    assert "repr-digest" not in response.headers
    assert response.headers["etag"] == stored.etag


def test_an_unsatisfiable_range_is_416(client: httpx.Client, url: str) -> None:
    response = client.get(url, headers={"Range": f"bytes={len(DATA)}-"})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{len(DATA)}"


def test_an_interrupted_download_resumes_with_if_range(client: httpx.Client, url: str) -> None:
    with client.stream("GET", url) as response:
        etag = response.headers["etag"]
        first = b""
        for chunk in response.iter_raw():
            first += chunk
            if len(first) > 100_000:
                break
    rest = client.get(url, headers={"Range": f"bytes={len(first)}-", "If-Range": etag})
    assert rest.status_code == 206
    assert first + rest.content == DATA


def test_a_stale_if_range_gets_the_whole_new_file(client: httpx.Client, url: str) -> None:
    response = client.get(url, headers={"Range": "bytes=10-", "If-Range": '"an-old-version"'})
    assert response.status_code == 200
    assert response.content == DATA


def test_an_expired_link_is_refused_without_touching_the_file(
    client: httpx.Client, url: str, clock: FrozenClock, storage: WatchedStorage
) -> None:
    clock.advance(TTL - timedelta(milliseconds=1))
    assert client.get(url, headers={"Range": "bytes=0-0"}).status_code == 206
    storage.lookups.clear()
    clock.advance(timedelta(milliseconds=1))
    response = client.get(url)
    assert response.status_code == 403
    assert "expired" in error_of(response)
    assert storage.lookups == []


def _flip(text: str, index: int) -> str:
    return text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1 :]


@pytest.mark.parametrize("where", ["signature", "payload"])
def test_a_tampered_link_is_refused_without_touching_the_file(
    client: httpx.Client, url: str, storage: WatchedStorage, where: str
) -> None:
    index = len(url) - 3 if where == "signature" else len("/downloads/") + 3
    response = client.get(_flip(url, index))
    assert response.status_code == 403
    assert "altered" in error_of(response)
    assert storage.lookups == []


def test_a_link_signed_by_another_server_is_refused(
    client: httpx.Client, runtime: Runtime, storage: WatchedStorage
) -> None:
    token = links.sign(KEY, NAME, START + TTL, "another-servers-secret")
    response = client.get(f"/downloads/{token}")
    assert response.status_code == 403
    assert "not issued by this server" in error_of(response)
    assert storage.lookups == []


def test_a_deleted_file_is_404_expired(
    client: httpx.Client, url: str, storage: WatchedStorage
) -> None:
    assert storage.delete(KEY)
    response = client.get(url)
    assert response.status_code == 404
    assert error_of(response) == "This export has expired"
    assert client.head(url).status_code == 404
