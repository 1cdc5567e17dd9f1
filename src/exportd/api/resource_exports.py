"""`POST /exports/resource` (R1, R7, R9, R11): request a bulk export of a workspace's resources."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from starlette.routing import Route

from exportd.api import presenters
from exportd.api.endpoint import Call, Reply, parse_gid, route
from exportd.domain.resource_exports import parse_export_request
from exportd.services import exports


class ResourceExportBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    workspace: str
    export_request_parameters: Any = None


def create_resource_export(call: Call) -> Reply:
    body = call.data(ResourceExportBody)
    workspace = parse_gid(body.workspace, "workspace")
    request = parse_export_request(
        body.export_request_parameters, max_parts=call.runtime.settings.export_max_parts
    )
    requested = exports.request_resource_export(call.runtime, call.caller_gid, workspace, request)
    return Reply(presenters.job(call.runtime, requested.job), status=201)


routes: list[Route] = [
    route("/exports/resource", create_resource_export, "job", method="POST"),
]
