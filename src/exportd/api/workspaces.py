"""`/workspaces`: the workspaces and organizations the caller belongs to."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints
from starlette.routing import Route

from exportd.api.endpoint import Call, Reply, route
from exportd.errors import Forbidden, NotFound
from exportd.exports.shapes import workspace
from exportd.store import directory


class WorkspaceUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


def list_workspaces(call: Call) -> Reply:
    page = call.page()
    with call.runtime.database.read() as connection:
        rows = directory.visible_workspaces(
            connection, call.caller_gid, after_gid=page.after, limit=page.fetch
        )
    return page.reply(rows, workspace)


def get_workspace(call: Call) -> Reply:
    gid = call.path_gid("workspace_gid")
    with call.runtime.database.read() as connection:
        row = directory.visible_workspace(connection, call.caller_gid, gid)
    if row is None:
        raise NotFound(f"workspace: no workspace with gid {gid} that you can see")
    return Reply(workspace(row))


def update_workspace(call: Call) -> Reply:
    gid = call.path_gid("workspace_gid")
    update = call.data(WorkspaceUpdate)
    with call.runtime.database.write() as connection:
        row = directory.visible_workspace(connection, call.caller_gid, gid)
        if row is None:
            raise NotFound(f"workspace: no workspace with gid {gid} that you can see")
        if not row.is_admin:
            raise Forbidden("Only admins of this workspace can rename it")
        directory.rename_workspace(connection, gid, update.name, call.runtime.clock())
        row = directory.visible_workspace(connection, call.caller_gid, gid)
    assert row is not None
    return Reply(workspace(row))


routes: list[Route] = [
    route("/workspaces", list_workspaces, "workspace", compact=True),
    route("/workspaces/{workspace_gid}", get_workspace, "workspace"),
    route("/workspaces/{workspace_gid}", update_workspace, "workspace", method="PUT"),
]
