"""`GET /downloads/{token}`: export files served by exportd itself (local storage backend).

Mounted at the root, outside `/api/1.0`, and without bearer authentication: the signed
token is the credential, so a link works in a browser or with curl. The token is checked
before storage is touched. Starlette's FileResponse streams the file and answers `Range`
and `If-Range` itself, so an interrupted download resumes where it stopped.

The link carries the sha256 recorded when the file was written, so every answer (206s too:
RFC 9530's representation digest is of the whole file, whatever range is sent) has a
`Repr-Digest` a client can check the file against, and an `ETag` made from that digest: the
same bytes always have the same one, new bytes a new one, whatever their size and mtime.
Files written before digests were recorded are served with the storage's own ETag.
"""

from __future__ import annotations

import base64

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from exportd.errors import NotFound
from exportd.runtime import Runtime
from exportd.storage import links
from exportd.storage.local import LocalStorage, stored_file

MEDIA_TYPE = "application/gzip"


async def download(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    target = links.verify(
        request.path_params["token"],
        runtime.settings.secret_key.get_secret_value(),
        runtime.clock(),
    )
    storage = runtime.storage
    if not isinstance(storage, LocalStorage):  # other backends hand out their own links
        raise NotFound("This download link is not served here")
    found = await run_in_threadpool(storage.local_file, target.key)
    if found is None:
        raise NotFound("This export has expired")
    path, status = found
    headers = {"cache-control": "private"}
    if target.sha256 is not None:
        headers["repr-digest"] = repr_digest(target.sha256)
        headers["etag"] = content_etag(target.sha256)
    else:
        headers["etag"] = stored_file(target.key, status).etag
    return FileResponse(
        path, stat_result=status, media_type=MEDIA_TYPE, filename=target.filename, headers=headers
    )


def repr_digest(sha256: str) -> str:
    """The `Repr-Digest` field (RFC 9530) of a file whose sha256 is `sha256` (hex)."""
    return f"sha-256=:{base64.b64encode(bytes.fromhex(sha256)).decode('ascii')}:"


def content_etag(sha256: str) -> str:
    """A strong ETag made from the file's sha256 (hex): If-Range then matches exactly the
    bytes a client already holds part of."""
    return f'"sha256-{sha256[:32]}"'


routes = [Route("/downloads/{token}", download, methods=["GET", "HEAD"])]
