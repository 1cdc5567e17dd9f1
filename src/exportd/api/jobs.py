"""`/jobs/{gid}` (R2, G1): follow a resource or graph export through its job."""

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


JOB_KINDS = {
    "resource": ("export_request", "new_resource_export", "resource_export"),
    "graph": ("graph_export_request", "new_graph_export", "graph_export"),
}
"""Per export kind with a job: its `resource_subtype`, the field naming the export, and
the export's `resource_type`."""


def job_shape(runtime: Runtime, job: ExportJob) -> dict[str, Any]:
    """JobCompact with its `new_resource_export` (or `new_graph_export`); the link is fresh
    on every retrieval."""
    assert job.job_gid is not None
    subtype, field, resource_type = JOB_KINDS[job.kind]
    return {
        "gid": str(job.job_gid),
        "resource_type": "job",
        "resource_subtype": subtype,
        "status": job.job_status,
        field: {
            "gid": str(job.gid),
            "resource_type": resource_type,
            "created_at": isoformat(job.created_at),
            "download_url": fresh_download_url(runtime, job),
            "completed_at": isoformat(job.completed_at) if job.completed_at else None,
        },
    }


routes: list[Route] = [route("/jobs/{job_gid}", get_job, "job")]
