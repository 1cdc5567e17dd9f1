"""`GET /downloads/{token}`: export files served by exportd itself (local storage backend).

Mounted at the root, outside `/api/1.0`, and without bearer authentication: the signed
token is the credential, so a link works in a browser or with curl. The token is checked
before storage is touched. Starlette's FileResponse streams the file and answers `Range`
and `If-Range` itself, so an interrupted download resumes where it stopped.
"""

from __future__ import annotations

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
    return FileResponse(
        path,
        stat_result=status,
        media_type=MEDIA_TYPE,
        filename=target.filename,
        # The storage's ETag, so If-Range matches what `Storage.stat` reports elsewhere.
        headers={"etag": stored_file(target.key, status).etag, "cache-control": "private"},
    )


routes = [Route("/downloads/{token}", download, methods=["GET", "HEAD"])]
