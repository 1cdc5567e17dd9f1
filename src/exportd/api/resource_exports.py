"""`POST /exports/resource` (R1, R7, R9, R11): request a bulk export of a workspace's resources."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import IntegrityError
from starlette.routing import Route

from exportd.api.endpoint import Call, Reply, parse_gid, route
from exportd.api.jobs import job_shape
from exportd.domain.permissions import check_resource_export
from exportd.domain.resource_exports import parse_export_request
from exportd.errors import Forbidden, NotFound
from exportd.store import directory, jobs
from exportd.store.resource_exports import check_filter_users

ALREADY_RUNNING = (
    "An export of this workspace is already in progress; a workspace can have one export "
    "in progress at a time. Follow it with GET /jobs/{gid} and try again when it is done."
)


class ResourceExportBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    workspace: str
    export_request_parameters: Any = None


def create_resource_export(call: Call) -> Reply:
    body = call.data(ResourceExportBody)
    workspace = parse_gid(body.workspace, "workspace")
    runtime = call.runtime
    request = parse_export_request(
        body.export_request_parameters, max_parts=runtime.settings.export_max_parts
    )
    try:
        with runtime.database.write() as connection:
            caller = directory.exporting_caller(connection, call.caller_gid, workspace)
            if caller is None:
                raise NotFound(f"workspace: no workspace with gid {workspace} that you can see")
            check_resource_export(caller)
            check_filter_users(connection, workspace, request)
            jobs.check_unfinished_limit(
                connection, call.caller_gid, runtime.settings.concurrent_exports
            )
            if jobs.resource_export_in_progress(connection, workspace):
                raise Forbidden(ALREADY_RUNNING)
            job = jobs.create(
                connection,
                gid=runtime.gids.next_int(),
                job_gid=runtime.gids.next_int(),
                kind="resource",
                workspace_gid=workspace,
                created_by_gid=call.caller_gid,
                parameters=request.to_parameters(),
                now=runtime.clock(),
            )
            runtime.job_created(connection, job.gid)
    except IntegrityError as error:
        # Two requests raced past the check above; the database's unique index (R9) let
        # only one of them in.
        if "exports" in str(error.orig) and "workspace" in str(error.orig):
            raise Forbidden(ALREADY_RUNNING) from None
        raise
    runtime.job_enqueued()
    return Reply(job_shape(runtime, job), status=201)


routes: list[Route] = [
    route("/exports/resource", create_resource_export, "job", method="POST"),
]
