"""`/organization_exports` (O1 to O6): request an organization's export and follow it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from starlette.routing import Route

from exportd.api import presenters
from exportd.api.endpoint import Call, Reply, parse_gid, route
from exportd.api.progress import add_progress
from exportd.services import exports


class OrganizationExportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organization: str


def create_organization_export(call: Call) -> Reply:
    organization = parse_gid(call.data(OrganizationExportRequest).organization, "organization")
    requested = exports.request_organization_export(call.runtime, call.caller_gid, organization)
    shape = presenters.organization_export(call.runtime, requested.job, requested.organization_name)
    return Reply(shape, status=201)


def get_organization_export(call: Call) -> Reply:
    gid = call.path_gid("organization_export_gid")
    found = exports.organization_export(call.runtime, call.caller_gid, gid)
    shape = presenters.organization_export(call.runtime, found.job, found.organization_name)
    return Reply(add_progress(call, found.job, shape))


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
