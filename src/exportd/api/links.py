"""The `download_url` of an export: fresh on every retrieval, while the file is kept (O4)."""

from __future__ import annotations

from datetime import timedelta

from exportd.domain.jobs import ExportJob
from exportd.runtime import Runtime


def fresh_download_url(runtime: Runtime, job: ExportJob) -> str | None:
    """A link valid for `download_url_ttl` from now, or None (not finished, or expired)."""
    settings, now = runtime.settings, runtime.clock()
    if not job.downloadable(now, timedelta(seconds=settings.retention)):
        return None
    assert job.file_key is not None
    ttl = timedelta(seconds=settings.download_url_ttl)
    return runtime.storage.download_url(job.file_key, job.download_name, now, ttl, settings)
