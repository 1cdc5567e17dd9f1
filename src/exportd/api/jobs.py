"""`/jobs/{gid}` (R2): follow a resource export through its job."""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from exportd.api.endpoint import Call, Reply, route
from exportd.api.links import fresh_download_url
from exportd.api.progress import add_progress
from exportd.clock import isoformat
from exportd.domain.jobs import ExportJob
from exportd.errors import NotFound
from exportd.runtime import Runtime
from exportd.store import jobs


def get_job(call: Call) -> Reply:
    gid = call.path_gid("job_gid")
    with call.runtime.database.read() as connection:
        job = jobs.get_by_job(connection, gid)
    if job is None or job.created_by_gid != call.caller_gid:  # R2: only its creator
        raise NotFound(f"job: no job with gid {gid} that you can see")
    return Reply(add_progress(call, job, job_shape(call.runtime, job)))


def job_shape(runtime: Runtime, job: ExportJob) -> dict[str, Any]:
    """JobCompact with its `new_resource_export`; the link is fresh on every retrieval."""
    assert job.job_gid is not None
    return {
        "gid": str(job.job_gid),
        "resource_type": "job",
        "resource_subtype": "export_request",
        "status": job.job_status,
        "new_resource_export": {
            "gid": str(job.gid),
            "resource_type": "resource_export",
            "created_at": isoformat(job.created_at),
            "download_url": fresh_download_url(runtime, job),
            "completed_at": isoformat(job.completed_at) if job.completed_at else None,
        },
    }


routes: list[Route] = [route("/jobs/{job_gid}", get_job, "job")]
