"""The reply shapes of exports and their jobs, in one place for every export kind.

`download_url` is fresh on every retrieval, valid for `download_url_ttl` from now, while
the file is kept (O4, R10).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from exportd.clock import isoformat
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


def organization_export(runtime: Runtime, job: ExportJob, organization_name: str) -> dict[str, Any]:
    """OrganizationExportResponse."""
    return {
        "gid": str(job.gid),
        "resource_type": "organization_export",
        "created_at": isoformat(job.created_at),
        "download_url": fresh_download_url(runtime, job),
        "state": job.state.value,
        "organization": {
            "gid": str(job.workspace_gid),
            "resource_type": "workspace",
            "name": organization_name,
        },
    }


def job(
    runtime: Runtime, export: ExportJob, new_resource: str = "new_resource_export"
) -> dict[str, Any]:
    """JobCompact with the export it stands for under `new_resource` (R2)."""
    assert export.job_gid is not None
    return {
        "gid": str(export.job_gid),
        "resource_type": "job",
        "resource_subtype": "export_request",
        "status": export.job_status,
        new_resource: {
            "gid": str(export.gid),
            "resource_type": new_resource.removeprefix("new_"),
            "created_at": isoformat(export.created_at),
            "download_url": fresh_download_url(runtime, export),
            "completed_at": isoformat(export.completed_at) if export.completed_at else None,
        },
    }
