"""`/jobs/{gid}` (R2): follow a resource export through its job."""

from __future__ import annotations

from starlette.routing import Route

from exportd.api import presenters
from exportd.api.endpoint import Call, Reply, route
from exportd.services import exports


def get_job(call: Call) -> Reply:
    job = exports.export_job(call.runtime, call.caller_gid, call.path_gid("job_gid"))
    return Reply(presenters.job(call.runtime, job))


routes: list[Route] = [route("/jobs/{job_gid}", get_job, "job")]
