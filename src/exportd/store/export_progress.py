"""How many objects an organization export will write, estimated by counting rows.

Counted once per export when a client first asks for its progress (`opt_fields=progress`),
so the estimate stays put while the export runs. It counts the live rows of every type the
file holds, by the table that says which workspace they belong to; references to deleted
objects that the export drops make it a little high, which a progress bar forgives.
"""

from __future__ import annotations

from sqlalchemy import Connection, Table, func, select

from exportd.store.schema import (
    allocations,
    attachments,
    custom_fields,
    goal_relationships,
    goals,
    messages,
    portfolio_memberships,
    portfolios,
    project_memberships,
    projects,
    sections,
    stories,
    tags,
    tasks,
    team_memberships,
    teams,
    time_tracking_entries,
    workspace_memberships,
)

_OWN: tuple[Table, ...] = (teams, custom_fields, tags, projects, portfolios, goals, tasks,
                           messages, allocations, time_tracking_entries)  # fmt: skip
_CHILDREN: tuple[tuple[Table, str, Table], ...] = (
    (team_memberships, "team_gid", teams),
    (project_memberships, "project_gid", projects),
    (sections, "project_gid", projects),
    (portfolio_memberships, "portfolio_gid", portfolios),
    (stories, "task_gid", tasks),
    (attachments, "task_gid", tasks),
    (stories, "message_gid", messages),
    (attachments, "message_gid", messages),
    (goal_relationships, "supported_goal_gid", goals),
)


def estimate_organization_objects(connection: Connection, workspace_gid: int) -> int:
    """The workspace, its members (a user and a membership each) and everything it owns."""
    total = 1
    members = select(func.count()).where(
        workspace_memberships.c.workspace_gid == workspace_gid,
        workspace_memberships.c.deleted_at.is_(None),
    )
    total += 2 * int(connection.execute(members).scalar_one())
    for table in _OWN:
        query = select(func.count()).where(
            table.c.workspace_gid == workspace_gid, table.c.deleted_at.is_(None)
        )
        total += int(connection.execute(query).scalar_one())
    for child, column, parent in _CHILDREN:
        query = (
            select(func.count())
            .select_from(child.join(parent, child.c[column] == parent.c.gid))
            .where(
                parent.c.workspace_gid == workspace_gid,
                parent.c.deleted_at.is_(None),
                child.c.deleted_at.is_(None),
            )
        )
        total += int(connection.execute(query).scalar_one())
    return total
