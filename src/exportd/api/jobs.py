"""`/jobs/{gid}` (R2, G1): follow a resource or graph export through its job."""

from __future__ import annotations

from starlette.routing import Route

from exportd.api import presenters
from exportd.api.endpoint import Call, Reply, route
from exportd.api.progress import add_progress
from exportd.services import exports


def get_job(call: Call) -> Reply:
    job = exports.export_job(call.runtime, call.caller_gid, call.path_gid("job_gid"))
    return Reply(add_progress(call, job, presenters.job(call.runtime, job)))


routes: list[Route] = [route("/jobs/{job_gid}", get_job, "job")]
