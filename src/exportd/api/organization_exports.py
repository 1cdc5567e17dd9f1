"""`/organization_exports` (O1 to O6): request an organization's export and follow it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import IntegrityError
from starlette.routing import Route

from exportd.api.endpoint import Call, Reply, parse_gid, route
from exportd.api.links import fresh_download_url
from exportd.api.progress import add_progress
from exportd.clock import isoformat
from exportd.domain.jobs import ExportJob
from exportd.domain.permissions import check_organization_export
from exportd.errors import Forbidden, NotFound
from exportd.runtime import Runtime
from exportd.store import directory, jobs


class OrganizationExportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organization: str


def already_running(gid: int | None) -> Forbidden:
    which = f" ({gid})" if gid is not None else ""
    return Forbidden(
        f"An export of this organization is already in progress{which}; an organization "
        "can have one export in progress at a time. Follow it with GET "
        "/organization_exports/{gid} and try again when it is done."
    )


def create_organization_export(call: Call) -> Reply:
    organization = parse_gid(call.data(OrganizationExportRequest).organization, "organization")
    runtime = call.runtime
    try:
        with runtime.database.write() as connection:
            caller = directory.exporting_caller(connection, call.caller_gid, organization)
            if caller is None:
                raise NotFound(
                    f"organization: no organization with gid {organization} that you can see"
                )
            check_organization_export(caller)
            jobs.check_unfinished_limit(
                connection, call.caller_gid, runtime.settings.concurrent_exports
            )
            running = jobs.export_in_progress(connection, "organization", organization)
            if running is not None:
                raise already_running(running)
            job = jobs.create(
                connection,
                gid=runtime.gids.next_int(),
                kind="organization",
                workspace_gid=organization,
                created_by_gid=call.caller_gid,
                parameters={},
                now=runtime.clock(),
            )
            runtime.job_created(connection, job.gid)
    except IntegrityError as error:
        # Two requests raced past the check above; the database's unique index let only
        # one of them in.
        if "exports" in str(error.orig) and "workspace" in str(error.orig):
            raise already_running(None) from None
        raise
    runtime.job_enqueued()
    return Reply(_shape(runtime, job, caller.organization_name), status=201)


def get_organization_export(call: Call) -> Reply:
    gid = call.path_gid("organization_export_gid")
    with call.runtime.database.read() as connection:
        job = jobs.get(connection, gid)
        caller = None
        if job is not None and job.kind == "organization":
            caller = directory.exporting_caller(connection, call.caller_gid, job.workspace_gid)
    # Only those who may export the organization (its service accounts) see its exports.
    if job is None or caller is None or not caller.is_service_account:
        raise NotFound(f"organization_export: no export with gid {gid} that you can see")
    return Reply(add_progress(call, job, _shape(call.runtime, job, caller.organization_name)))


def _shape(runtime: Runtime, job: ExportJob, organization_name: str) -> dict[str, Any]:
    """OrganizationExportResponse; a finished export gets a link valid for an hour from now."""
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


routes: list[Route] = [
    route(
        "/organization_exports", create_organization_export, "organization_export", method="POST"
    ),
    route(
        "/organization_exports/{organization_export_gid}",
        get_organization_export,
        "organization_export",
    ),
]
