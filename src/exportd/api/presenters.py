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
    return runtime.storage.download_url(
        job.file_key, job.download_name, now, ttl, settings, sha256=job.file_sha256
    )


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


JOB_KINDS = {
    "resource": ("export_request", "new_resource_export", "resource_export"),
    "graph": ("graph_export_request", "new_graph_export", "graph_export"),
}
"""Per export kind followed through a job: its `resource_subtype`, the field naming the
export, and the export's `resource_type`."""


def job(runtime: Runtime, export: ExportJob) -> dict[str, Any]:
    """JobCompact with the export it stands for under `new_resource_export` or
    `new_graph_export` (R2, G1)."""
    assert export.job_gid is not None
    subtype, field, resource_type = JOB_KINDS[export.kind]
    return {
        "gid": str(export.job_gid),
        "resource_type": "job",
        "resource_subtype": subtype,
        "status": export.job_status,
        field: {
            "gid": str(export.gid),
            "resource_type": resource_type,
            "created_at": isoformat(export.created_at),
            "download_url": fresh_download_url(runtime, export),
            "completed_at": isoformat(export.completed_at) if export.completed_at else None,
        },
    }
