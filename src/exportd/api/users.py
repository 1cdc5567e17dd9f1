"""`/users`: the caller (`me`), users they share a workspace with, and workspace members."""

from __future__ import annotations

from starlette.routing import Route

from exportd.api.endpoint import Call, Reply, parse_gid, route
from exportd.errors import InvalidRequest, NotFound
from exportd.exports.shapes import user, workspace
from exportd.store import directory


def get_user(call: Call) -> Reply:
    raw = call.path_params["user_gid"]
    gid = call.caller_gid if raw == "me" else parse_gid(raw, "user_gid")
    with call.runtime.database.read() as connection:
        row = directory.visible_user(connection, call.caller_gid, gid)
        if row is None:
            raise NotFound(f"user: no user with gid {gid} that you can see")
        # Only the workspaces the caller shares with that user: membership is not leaked.
        mine = {w.gid for w in directory.visible_workspaces(connection, call.caller_gid)}
        theirs = [w for w in directory.visible_workspaces(connection, gid) if w.gid in mine]
    return Reply(user(row, [workspace(w) for w in theirs]))


def list_users(call: Call) -> Reply:
    """Members of a workspace the caller belongs to (`GET /users?workspace=…`)."""
    raw_workspace = call.query.get("workspace")
    if raw_workspace is None:
        raise InvalidRequest("workspace: Missing input")
    workspace_gid = parse_gid(raw_workspace, "workspace")
    page = call.page()
    with call.runtime.database.read() as connection:
        found = directory.visible_workspace(connection, call.caller_gid, workspace_gid)
        if found is None:
            raise NotFound(f"workspace: no workspace with gid {workspace_gid} that you can see")
        rows = directory.workspace_members(
            connection, workspace_gid, after_gid=page.after, limit=page.fetch
        )
    shown = [workspace(found)]
    return page.reply(rows, lambda row: user(row, shown))


routes: list[Route] = [
    route("/users", list_users, "user", compact=True),
    route("/users/{user_gid}", get_user, "user"),
]
