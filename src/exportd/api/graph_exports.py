"""`POST /exports/graph` (G1): request the export of a goal, team, portfolio or project."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from starlette.routing import Route

from exportd.api import presenters
from exportd.api.endpoint import Call, Reply, parse_gid, route
from exportd.errors import InvalidRequest
from exportd.services.graph_exports import request_graph_export


class GraphExportBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    parent: str | None = None


def create_graph_export(call: Call) -> Reply:
    body = call.data(GraphExportBody)
    if body.parent is None:  # absent or null alike
        raise InvalidRequest("parent: Missing input")
    parent = parse_gid(body.parent, "parent")
    answer = request_graph_export(call.runtime, call.caller_gid, parent)
    return Reply(presenters.job(call.runtime, answer.job), status=201)


routes: list[Route] = [route("/exports/graph", create_graph_export, "job", method="POST")]
