"""Requesting exports and reading them back: one unit of work per request.

Every kind of export is requested the same way (`_request`): look the caller up in the
workspace or organization (404 if they cannot see it), apply the kind's permission rule
and its own checks, the caller's limit of unfinished exports, the one-in-progress rule,
then create the pending job and tell the queue (`runtime.notices`). The rule holds under
races too: the database's partial unique index refuses the second job (`store.jobs`
reports it as ExportInProgress) and that becomes the same refusal as the check's. A new
kind of export is one `ExportKind` and one function calling `_request`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from exportd.domain.jobs import ExportJob
from exportd.domain.permissions import (
    ExportingCaller,
    check_organization_export,
    check_resource_export,
)
from exportd.domain.resource_exports import ResourceExportRequest
from exportd.errors import ExportdError, Forbidden, NotFound
from exportd.runtime import Runtime
from exportd.store import directory, jobs
from exportd.store.resource_exports import check_filter_users


@dataclass(frozen=True)
class ExportKind:
    """What differs between kinds of export when one is requested."""

    kind: str  # the `exports.kind` stored
    scope: str  # what the request names: "organization" or "workspace"
    check: Callable[[ExportingCaller], None]  # the permission rule (O2, R11)
    already_running: Callable[[int | None], ExportdError]  # given the running export's gid
    followed_by_job: bool  # resource and graph exports are followed through a job gid


def organization_already_running(gid: int | None) -> Forbidden:
    which = f" ({gid})" if gid is not None else ""
    return Forbidden(
        f"An export of this organization is already in progress{which}; an organization "
        "can have one export in progress at a time. Follow it with GET "
        "/organization_exports/{gid} and try again when it is done."
    )


def workspace_already_running(_gid: int | None) -> Forbidden:
    return Forbidden(
        "An export of this workspace is already in progress; a workspace can have one "
        "export in progress at a time. Follow it with GET /jobs/{gid} and try again when "
        "it is done."
    )


ORGANIZATION = ExportKind(
    "organization", "organization", check_organization_export, organization_already_running, False
)
RESOURCE = ExportKind(
    "resource", "workspace", check_resource_export, workspace_already_running, True
)


@dataclass(frozen=True)
class Requested:
    """A job just created, with what the caller's lookup found about its organization."""

    job: ExportJob
    organization_name: str


def request_organization_export(runtime: Runtime, caller_gid: int, organization: int) -> Requested:
    """O1/O2: a pending export of the whole organization."""
    return _request(runtime, ORGANIZATION, caller_gid, organization, {})


def request_resource_export(
    runtime: Runtime, caller_gid: int, workspace: int, request: ResourceExportRequest
) -> Requested:
    """R1/R9/R11: a pending export of the workspace's resources `request` selects; the
    users its filters name must be members of the workspace."""
    return _request(
        runtime,
        RESOURCE,
        caller_gid,
        workspace,
        request.to_parameters(),
        lambda connection: check_filter_users(connection, workspace, request),
    )


def _request(
    runtime: Runtime,
    kind: ExportKind,
    caller_gid: int,
    scope_gid: int,
    parameters: Mapping[str, Any],
    check: Callable[[Connection], None] | None = None,
) -> Requested:
    """The one way an export is requested; `check` is the kind's own check of the request."""
    try:
        with runtime.database.write() as connection:
            caller = directory.exporting_caller(connection, caller_gid, scope_gid)
            if caller is None:
                raise NotFound(
                    f"{kind.scope}: no {kind.scope} with gid {scope_gid} that you can see"
                )
            kind.check(caller)
            if check is not None:
                check(connection)
            jobs.check_unfinished_limit(connection, caller_gid, runtime.settings.concurrent_exports)
            running = jobs.export_in_progress(connection, kind.kind, scope_gid)
            if running is not None:
                raise kind.already_running(running)
            job = jobs.create(
                connection,
                gid=runtime.gids.next_int(),
                job_gid=runtime.gids.next_int() if kind.followed_by_job else None,
                kind=kind.kind,
                workspace_gid=scope_gid,
                created_by_gid=caller_gid,
                parameters=parameters,
                now=runtime.clock(),
            )
            runtime.notices.created(connection, job.gid)
    except jobs.ExportInProgress:
        # Two requests raced past the check above; the unique index let one of them in.
        raise kind.already_running(None) from None
    runtime.notices.enqueued()
    return Requested(job, caller.organization_name)


def organization_export(runtime: Runtime, caller_gid: int, gid: int) -> Requested:
    """O3: an organization export, seen only by those who may export the organization
    (its service accounts); anyone else gets a 404."""
    with runtime.database.read() as connection:
        job = jobs.get(connection, gid)
        caller = None
        if job is not None and job.kind == ORGANIZATION.kind:
            caller = directory.exporting_caller(connection, caller_gid, job.workspace_gid)
    if job is None or caller is None or not caller.is_service_account:
        raise NotFound(f"organization_export: no export with gid {gid} that you can see")
    return Requested(job, caller.organization_name)


def export_job(runtime: Runtime, caller_gid: int, job_gid: int) -> ExportJob:
    """R2: the export a job gid stands for, seen only by the job's creator."""
    with runtime.database.read() as connection:
        job = jobs.get_by_job(connection, job_gid)
    if job is None or job.created_by_gid != caller_gid:
        raise NotFound(f"job: no job with gid {job_gid} that you can see")
    return job
