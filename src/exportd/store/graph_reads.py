"""Every query of graph exports (G1): the parent, who may see what, and what lies beneath.

A graph export starts from a goal, team, portfolio or project and writes what lies beneath
it that the requester can see. `find_parent` and `can_see_parent` answer the request;
`resolve_scope` walks the graph (a team's projects, portfolios inside portfolios, the work
that supports a goal) once, over the export's snapshot, into a `GraphScope` of gids; the
page readers then read the scope's allocations and time tracking entries by keyset pages.

Visibility (docs/export-format.md, "Graph exports"), for an active member of the workspace:
a project `public_to_workspace` is seen by every member, `private_to_team` by members of
its team and of the project, `private` by the project's members; a portfolio
`public_to_domain` by every member, `members_only` by its members and owner; a team that
is not `secret` by every member, a secret one by its members; a goal `public_to_workspace`
by every member, `members_only` by its owner and followers. Deleted memberships count for
nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    Table,
    and_,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    union_all,
)

from exportd.store.schema import (
    allocations,
    goal_followers,
    goal_relationships,
    goals,
    portfolio_items,
    portfolio_memberships,
    portfolios,
    project_memberships,
    projects,
    task_memberships,
    tasks,
    team_memberships,
    teams,
    time_tracking_entries,
    users,
    workspace_memberships,
    workspaces,
)

Condition = ColumnElement[bool]

PARENT_TABLES: dict[str, Table] = {
    "goal": goals,
    "team": teams,
    "portfolio": portfolios,
    "project": projects,
}
"""Where a parent of each kind lives."""


@dataclass(frozen=True)
class GraphParent:
    """The object a graph export starts from."""

    gid: int
    kind: str  # goal, team, portfolio or project
    workspace_gid: int
    name: str


@dataclass
class GraphScope:
    """What one graph export writes, as gids, each once.

    `portfolio_links` and `project_links` are `(portfolio, position, item)`: an item of a
    portfolio, both ends in the scope.
    """

    parent: GraphParent
    portfolios: list[int] = field(default_factory=list)
    projects: list[int] = field(default_factory=list)
    portfolio_links: list[tuple[int, int, int]] = field(default_factory=list)
    project_links: list[tuple[int, int, int]] = field(default_factory=list)
    visible_projects: frozenset[int] = frozenset()  # every project of the workspace they see

    @property
    def goal(self) -> int | None:
        return self.parent.gid if self.parent.kind == "goal" else None


def find_parent(connection: Connection, gid: int) -> GraphParent | None:
    """The undeleted goal, team, portfolio or project with this gid, or None."""
    queries = [
        select(
            literal(kind).label("kind"), table.c.workspace_gid, table.c.name
        ).where(table.c.gid == gid, table.c.deleted_at.is_(None))
        for kind, table in PARENT_TABLES.items()
    ]  # fmt: skip
    row = connection.execute(union_all(*queries)).first()
    return None if row is None else GraphParent(gid, row.kind, row.workspace_gid, row.name)


def can_see_parent(connection: Connection, caller_gid: int, parent: GraphParent) -> bool:
    """Whether the caller may see the parent: an active member of its live workspace who
    passes the parent's own rule (the module doc)."""
    member = exists(
        select(workspace_memberships.c.gid)
        .join(workspaces, workspaces.c.gid == workspace_memberships.c.workspace_gid)
        .where(
            workspace_memberships.c.workspace_gid == parent.workspace_gid,
            workspace_memberships.c.user_gid == caller_gid,
            workspace_memberships.c.is_active.is_(True),
            workspace_memberships.c.deleted_at.is_(None),
            workspaces.c.deleted_at.is_(None),
        )
    )
    if not connection.execute(select(member)).scalar():
        return False
    if parent.kind == "project":
        return bool(visible_projects(connection, caller_gid, parent.workspace_gid, [parent.gid]))
    if parent.kind == "portfolio":
        return bool(visible_portfolios(connection, caller_gid, parent.workspace_gid, [parent.gid]))
    if parent.kind == "team":
        rule = or_(teams.c.visibility != "secret", _team_member(teams.c.gid, caller_gid))
        query = select(teams.c.gid).where(teams.c.gid == parent.gid, rule)
    else:
        follows = exists(
            select(goal_followers.c.goal_gid).where(
                goal_followers.c.goal_gid == goals.c.gid, goal_followers.c.user_gid == caller_gid
            )
        )
        rule = or_(
            goals.c.privacy_setting == "public_to_workspace",
            goals.c.owner_gid == caller_gid,
            follows,
        )
        query = select(goals.c.gid).where(goals.c.gid == parent.gid, rule)
    return connection.execute(query).first() is not None


def _team_member(team_gid: ColumnElement[Any], caller_gid: int) -> Condition:
    tm = team_memberships
    return exists(
        select(tm.c.gid).where(
            tm.c.team_gid == team_gid, tm.c.user_gid == caller_gid, tm.c.deleted_at.is_(None)
        )
    )


def _project_visible(caller_gid: int) -> Condition:
    pm = project_memberships
    member = exists(
        select(pm.c.gid).where(
            pm.c.project_gid == projects.c.gid,
            pm.c.user_gid == caller_gid,
            pm.c.deleted_at.is_(None),
        )
    )
    in_team = and_(
        projects.c.privacy_setting == "private_to_team",
        projects.c.team_gid.is_not(None),
        _team_member(projects.c.team_gid, caller_gid),
    )
    return or_(projects.c.privacy_setting == "public_to_workspace", member, in_team)


def visible_projects(
    connection: Connection,
    caller_gid: int,
    workspace_gid: int,
    among: Collection[int] | None = None,
) -> set[int]:
    """The undeleted projects of the workspace the caller can see (only those `among`)."""
    query = select(projects.c.gid).where(
        projects.c.workspace_gid == workspace_gid,
        projects.c.deleted_at.is_(None),
        _project_visible(caller_gid),
    )
    if among is not None:
        query = query.where(_among(projects.c.gid, among))
    return set(connection.execute(query).scalars())


def visible_portfolios(
    connection: Connection, caller_gid: int, workspace_gid: int, among: Collection[int]
) -> set[int]:
    """The undeleted portfolios `among` those of the workspace that the caller can see."""
    pm = portfolio_memberships
    member = exists(
        select(pm.c.gid).where(
            pm.c.portfolio_gid == portfolios.c.gid,
            pm.c.user_gid == caller_gid,
            pm.c.deleted_at.is_(None),
        )
    )
    rule = or_(
        portfolios.c.privacy_setting == "public_to_domain",
        portfolios.c.owner_gid == caller_gid,
        member,
    )
    query = select(portfolios.c.gid).where(
        portfolios.c.workspace_gid == workspace_gid,
        portfolios.c.deleted_at.is_(None),
        _among(portfolios.c.gid, among),
        rule,
    )
    return set(connection.execute(query).scalars())


def _among(column: ColumnElement[int], gids: Collection[int]) -> Condition:
    """`column IN gids`; a scope holds projects and portfolios, a few thousand at most."""
    return column.in_(sorted(gids)) if gids else false()


def resolve_scope(connection: Connection, caller_gid: int, parent: GraphParent) -> GraphScope:
    """What lies beneath `parent` that the caller can see (docs/export-format.md):

    a team: its projects; a project: itself; a portfolio: itself, the portfolios inside it
    (recursively) and their projects; a goal: the projects and portfolios supporting it,
    each portfolio as deep as it goes. Projects and portfolios the caller cannot see are
    left out, and so is what lies beneath them.
    """
    workspace = parent.workspace_gid
    seen_projects = visible_projects(connection, caller_gid, workspace)
    scope = GraphScope(parent, visible_projects=frozenset(seen_projects))
    roots: list[int] = []
    found: list[int] = []
    if parent.kind == "project":
        found = [parent.gid]
    elif parent.kind == "team":
        query = select(projects.c.gid).where(
            projects.c.team_gid == parent.gid, projects.c.deleted_at.is_(None)
        )
        found = list(connection.execute(query.order_by(projects.c.gid)).scalars())
    elif parent.kind == "portfolio":
        roots = [parent.gid]
    else:
        gr = goal_relationships
        query = (
            select(gr.c.supporting_project_gid, gr.c.supporting_portfolio_gid)
            .where(
                gr.c.supported_goal_gid == parent.gid,
                gr.c.resource_subtype == "supporting_work",
                gr.c.deleted_at.is_(None),
            )
            .order_by(gr.c.gid)
        )
        for project_gid, portfolio_gid in connection.execute(query):
            if project_gid is not None:
                found.append(project_gid)
            elif portfolio_gid is not None:
                roots.append(portfolio_gid)
    found += _walk_portfolios(connection, caller_gid, workspace, roots, scope, seen_projects)
    scope.projects = list(dict.fromkeys(p for p in found if p in seen_projects))
    return scope


def _walk_portfolios(
    connection: Connection,
    caller_gid: int,
    workspace_gid: int,
    roots: list[int],
    scope: GraphScope,
    seen_projects: set[int],
) -> list[int]:
    """Visit the visible portfolios from `roots` down, level by level (each once, cycles
    included); fill the scope's portfolios and links; return their projects."""
    visited: dict[int, None] = {}
    linked: set[tuple[int, int]] = set()
    level = sorted(visible_portfolios(connection, caller_gid, workspace_gid, roots))
    found: list[int] = []
    while level:
        visited.update(dict.fromkeys(level))
        pi = portfolio_items
        items = connection.execute(
            select(pi.c.portfolio_gid, pi.c.position, pi.c.project_gid, pi.c.item_portfolio_gid)
            .where(_among(pi.c.portfolio_gid, level))
            .order_by(pi.c.portfolio_gid, pi.c.position)
        ).all()
        inner = {row.item_portfolio_gid for row in items if row.item_portfolio_gid is not None}
        shown = visible_portfolios(connection, caller_gid, workspace_gid, inner)
        for row in items:
            item = row.project_gid or row.item_portfolio_gid
            if (row.portfolio_gid, item) in linked:  # an item listed twice: its first place
                continue
            if row.project_gid is not None and row.project_gid in seen_projects:
                scope.project_links.append((row.portfolio_gid, row.position, row.project_gid))
                found.append(row.project_gid)
            elif row.item_portfolio_gid in shown:
                link = (row.portfolio_gid, row.position, row.item_portfolio_gid)
                scope.portfolio_links.append(link)
            else:
                continue
            linked.add((row.portfolio_gid, item))
        level = sorted(shown - set(visited))
    scope.portfolios = list(visited)
    return found


def task_condition(project_gids: Collection[int]) -> Condition:
    """The tasks of these projects and their first-level subtasks (the subtasks of such a
    task, whether or not they are in a project themselves), as a condition on `tasks`."""
    tm = task_memberships
    in_projects = select(tm.c.task_gid).where(_among(tm.c.project_gid, project_gids))
    parents = tasks.alias("parents")
    parents_in_projects = (
        select(parents.c.gid)
        .join(tm, tm.c.task_gid == parents.c.gid)
        .where(_among(tm.c.project_gid, project_gids), parents.c.deleted_at.is_(None))
    )
    return or_(tasks.c.gid.in_(in_projects), tasks.c.parent_gid.in_(parents_in_projects))


def task_gids(connection: Connection, workspace_gid: int, scope: GraphScope) -> set[int]:
    """The gids of the undeleted tasks the scope holds."""
    query = select(tasks.c.gid).where(
        tasks.c.workspace_gid == workspace_gid,
        tasks.c.deleted_at.is_(None),
        task_condition(scope.projects),
    )
    return set(connection.execute(query).scalars())


def count_tasks(connection: Connection, workspace_gid: int, scope: GraphScope) -> int:
    """How many undeleted tasks the scope holds (the cache rule counts them)."""
    query = select(func.count()).where(
        tasks.c.workspace_gid == workspace_gid,
        tasks.c.deleted_at.is_(None),
        task_condition(scope.projects),
    )
    return int(connection.execute(query).scalar_one())


def _user(alias: str) -> Any:
    return users.alias(alias)


def allocations_of(project_gids: Collection[int]) -> Condition:
    """The allocations of these projects (a graph export's)."""
    return _among(allocations.c.project_gid, project_gids)


def allocation_pages(
    connection: Connection, where: Condition, batch_size: int
) -> Iterator[Sequence[Row[Any]]]:
    """The undeleted allocations `where` selects, of undeleted projects, in gid order, with
    the names their compact references show (a deleted user's name is null: the reference
    is left out)."""
    assignee, creator = _user("assignee"), _user("creator")
    query = (
        select(
            allocations,
            projects.c.name.label("project_name"),
            assignee.c.name.label("assignee_name"),
            creator.c.name.label("creator_name"),
        )
        .join(projects, projects.c.gid == allocations.c.project_gid)
        .outerjoin(
            assignee,
            and_(assignee.c.gid == allocations.c.assignee_gid, assignee.c.deleted_at.is_(None)),
        )
        .outerjoin(
            creator,
            and_(creator.c.gid == allocations.c.created_by_gid, creator.c.deleted_at.is_(None)),
        )
        .where(where, allocations.c.deleted_at.is_(None), projects.c.deleted_at.is_(None))
    )
    yield from _pages(connection, query, allocations.c.gid, batch_size)


def time_entries_named(*columns: Any) -> Any:
    """The undeleted time tracking entries (`columns` of them) joined to their task, with
    the task's compact columns and the names their references show: one query for the
    organization export and graph exports alike."""
    entries, creator, task_creator = time_tracking_entries, _user("creator"), _user("task_creator")
    project = projects.alias("attributable")
    return (
        select(
            *columns,
            tasks.c.name.label("task_name"),
            tasks.c.resource_subtype.label("task_subtype"),
            tasks.c.created_by_gid.label("task_created_by_gid"),
            task_creator.c.name.label("task_creator_name"),
            project.c.name.label("project_name"),
            creator.c.name.label("creator_name"),
        )
        .join(tasks, tasks.c.gid == entries.c.task_gid)
        .outerjoin(
            task_creator,
            and_(task_creator.c.gid == tasks.c.created_by_gid, task_creator.c.deleted_at.is_(None)),
        )
        .outerjoin(
            project,
            and_(project.c.gid == entries.c.attributable_to_gid, project.c.deleted_at.is_(None)),
        )
        .outerjoin(
            creator,
            and_(creator.c.gid == entries.c.created_by_gid, creator.c.deleted_at.is_(None)),
        )
        .where(entries.c.deleted_at.is_(None))
    )


def time_entry_pages(
    connection: Connection, workspace_gid: int, tasks_where: Condition | None, batch_size: int
) -> Iterator[Sequence[Row[Any]]]:
    """The undeleted time tracking entries of the organization's undeleted tasks (those
    `tasks_where` selects, when given: `task_condition`), in gid order, with their task's
    compact form and the names their references show."""
    entries = time_tracking_entries
    query = time_entries_named(entries).where(
        tasks.c.workspace_gid == workspace_gid, tasks.c.deleted_at.is_(None)
    )
    if tasks_where is not None:
        query = query.where(tasks_where)
    yield from _pages(connection, query, entries.c.gid, batch_size)


def _pages(
    connection: Connection, query: Any, key: ColumnElement[int], batch_size: int
) -> Iterator[Sequence[Row[Any]]]:
    """Keyset pages of `query` by `key`: memory bounded by the page, whatever the total."""
    after: int | None = None
    while True:
        page = query if after is None else query.where(key > after)
        rows = connection.execute(page.order_by(key).limit(batch_size)).all()
        if rows:
            yield rows
        if len(rows) < batch_size:
            return
        after = rows[-1].gid
