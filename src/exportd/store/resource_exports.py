"""The SQL of resource-export filters: who may be named in them, and what they select (R7).

Filters are evaluated by the database: each becomes a condition on the exported type's
own table (`tasks` or `messages`), handed to the engine's page readers as `where`, so only
matching rows are ever read. Conditions on relations are EXISTS subqueries correlated with
that table, which the indexes on the relations' user columns serve.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Column, ColumnElement, Connection, Table, exists, select

from exportd.domain.resource_exports import Filters, ResourceExportRequest
from exportd.errors import InvalidRequest
from exportd.store.schema import (
    message_followers,
    message_likes,
    messages,
    stories,
    task_followers,
    task_likes,
    tasks,
    teams,
    users,
    workspace_memberships,
)

Condition = ColumnElement[bool]

_RELATIONS: dict[str, dict[str, Table]] = {
    "task": {"followers": task_followers, "liked_by": task_likes},
    "message": {"followers": message_followers, "liked_by": message_likes},
}
TABLES: dict[str, Table] = {"task": tasks, "team": teams, "message": messages}
"""The table of each resource type; tasks and messages have filters (`_RELATIONS`)."""
_CHUNK = 5_000  # gids bound in one IN list, well within every backend's limit


def check_filter_users(
    connection: Connection, workspace_gid: int, request: ResourceExportRequest
) -> None:
    """Raise InvalidRequest naming the first filter that lists someone who is not a user of
    the workspace (an undeleted user with an undeleted membership of it: the people an
    export of the workspace shows, deactivated ones included)."""
    wanted = request.user_gids()
    if not wanted:
        return
    wm = workspace_memberships
    query = (
        select(users.c.gid)
        .join(wm, wm.c.user_gid == users.c.gid)
        .where(
            users.c.deleted_at.is_(None),
            wm.c.workspace_gid == workspace_gid,
            wm.c.deleted_at.is_(None),
        )
    )
    members: set[int] = set()
    listed = sorted(wanted)
    for start in range(0, len(listed), _CHUNK):
        chunk = listed[start : start + _CHUNK]
        members.update(connection.execute(query.where(users.c.gid.in_(chunk))).scalars())
    for place, gid in request.user_filters():
        if gid not in members:
            raise InvalidRequest(f"{place}: {gid} is not a user of this workspace")


def gid_range(resource_type: str, start: int | None, stop: int | None) -> list[Condition]:
    """`start <= gid < stop` on the type's table; an end that is None is open."""
    gid = TABLES[resource_type].c.gid
    bounds = [gid >= start if start is not None else None,
              gid < stop if stop is not None else None]  # fmt: skip
    return [bound for bound in bounds if bound is not None]


def filter_conditions(resource_type: str, filters: Filters) -> list[Condition]:
    """The filters of one part of `resource_type` (task or message) as SQL conditions on
    its table, to be ANDed; none for a type without filters."""
    if resource_type not in _RELATIONS:
        return []
    table = TABLES[resource_type]
    if resource_type != "task" and (filters.assignee or filters.assigned_by):
        raise ValueError(f"{resource_type}s have no assignee: the request was not parsed")
    conditions: list[Condition] = []
    for column, gids in (
        (table.c.created_by_gid, filters.created_by),
        (tasks.c.assignee_gid, filters.assignee),
        (tasks.c.assigned_by_gid, filters.assigned_by),
    ):
        if gids:
            conditions.append(column.in_(gids))
    for name, gids in (("followers", filters.followers), ("liked_by", filters.liked_by)):
        if gids:
            link = _RELATIONS[resource_type][name]
            conditions.append(_linked(link, link.c[f"{resource_type}_gid"], table.c.gid, gids))
    if filters.commented_on_by:
        conditions.append(_commented(resource_type, table, filters.commented_on_by))
    for column, after, before in (
        (table.c.created_at, filters.created_after, filters.created_before),
        (table.c.modified_at, filters.modified_after, filters.modified_before),
    ):
        if after is not None:
            conditions.append(column > after)
        if before is not None:
            conditions.append(column < before)
    return conditions


def _linked(
    link: Table, owner: Column[int], gid: Column[int], users_: Collection[int]
) -> Condition:
    """Some row of `link` ties the object to one of `users_` (followers, likes)."""
    return exists(select(owner).where(owner == gid, link.c.user_gid.in_(users_)))


def _commented(resource_type: str, table: Table, authors: Collection[int]) -> Condition:
    """One of `authors` wrote a comment on the object that is not deleted."""
    owner = stories.c[f"{resource_type}_gid"]
    return exists(
        select(stories.c.gid).where(
            owner == table.c.gid,
            stories.c.type == "comment",
            stories.c.deleted_at.is_(None),
            stories.c.created_by_gid.in_(authors),
        )
    )
