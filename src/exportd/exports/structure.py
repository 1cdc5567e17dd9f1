"""Page builders for the organization's structure: people, teams, projects, portfolios, goals.

Each builder reads its objects in pages, the page's relations in one query each, the
compact forms the page refers to, and yields the shaped objects. An object that cannot
stand without what it points at (a membership of a deleted user, a section of a deleted
project) is left out with it. `where` narrows the objects (a resource export's filters).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Table, select

from exportd.exports import shapes
from exportd.exports.compacts import enum_options
from exportd.exports.context import Export, Pages
from exportd.exports.relations import current_status_updates, gids_by_owner, likes
from exportd.store.schema import (
    custom_fields,
    goal_followers,
    goal_likes,
    goals,
    portfolio_items,
    portfolio_memberships,
    portfolios,
    project_custom_field_settings,
    project_followers,
    project_memberships,
    projects,
    sections,
    tags,
    team_memberships,
    teams,
    users,
    workspace_memberships,
    workspaces,
)

Where = ColumnElement[bool]


def workspace_pages(export: Export, *where: Where) -> Pages:
    query = export.reader.table(workspaces).where(
        workspaces.c.gid == export.reader.organization_gid, workspaces.c.deleted_at.is_(None)
    )
    for page in export.pages(query.where(*where), workspaces.c.gid):
        yield [shapes.workspace(row) for row in page]


def user_pages(export: Export, *where: Where) -> Pages:
    """The organization's members (an undeleted membership of it), whatever else they join."""
    reader = export.reader
    query = export.reader.table(users).where(
        users.c.deleted_at.is_(None), reader.is_member(users.c.gid)
    )
    for page in export.pages(query.where(*where), users.c.gid):
        yield [shapes.user(row, [export.organization]) for row in page]


def workspace_membership_pages(export: Export, *where: Where) -> Pages:
    wm, refs = workspace_memberships, export.compacts
    query = export.reader.table(wm).where(
        wm.c.workspace_gid == export.reader.organization_gid, wm.c.deleted_at.is_(None)
    )
    for page in export.pages(query.where(*where), wm.c.gid):
        refs.want("user", [row.user_gid for row in page])
        refs.load()
        yield [
            shapes.workspace_membership(row, member, export.organization)
            for row in page
            if (member := refs.get("user", row.user_gid)) is not None
        ]


def team_pages(export: Export, *where: Where) -> Pages:
    reader, refs, tm = export.reader, export.compacts, team_memberships
    query = export.reader.table(teams).where(reader.in_organization(teams), *where)
    for page in export.pages(query, teams.c.gid):
        gids = [row.gid for row in page]
        members = gids_by_owner(
            reader, tm.c.team_gid, tm.c.user_gid, gids, tm.c.deleted_at.is_(None)
        )
        refs.want("user", (gid for found in members.values() for gid in found))
        refs.load()
        yield [
            shapes.team(
                row,
                refs.many("user", members.get(row.gid, ())),
                export.organization,
                export.permalink_base,
            )
            for row in page
        ]


def team_membership_pages(export: Export, *where: Where) -> Pages:
    refs, tm = export.compacts, team_memberships
    query = (
        export.reader.table(tm)
        .join(teams, teams.c.gid == tm.c.team_gid)
        .where(tm.c.deleted_at.is_(None), export.reader.in_organization(teams), *where)
    )
    for page in export.pages(query, tm.c.gid):
        refs.want("user", [row.user_gid for row in page])
        refs.want("team", [row.team_gid for row in page])
        refs.load()
        yield [
            shapes.team_membership(row, member, team)
            for row in page
            if (member := refs.get("user", row.user_gid)) is not None
            and (team := refs.get("team", row.team_gid)) is not None
        ]


def custom_field_pages(export: Export, *where: Where) -> Pages:
    reader, refs = export.reader, export.compacts
    query = export.reader.table(custom_fields).where(reader.in_organization(custom_fields), *where)
    for page in export.pages(query, custom_fields.c.gid):
        options = enum_options(reader, [row.gid for row in page])
        refs.want("user", [row.created_by_gid for row in page])
        refs.load()
        yield [shapes.custom_field(row, options.get(row.gid, []), refs) for row in page]


def tag_pages(export: Export, *where: Where) -> Pages:
    query = export.reader.table(tags).where(export.reader.in_organization(tags), *where)
    for page in export.pages(query, tags.c.gid):
        yield [shapes.tag(row, export.compacts, export.permalink_base) for row in page]


def project_pages(export: Export, *where: Where) -> Pages:
    reader, refs = export.reader, export.compacts
    pm, settings_table = project_memberships, project_custom_field_settings
    query = export.reader.table(projects).where(reader.in_organization(projects), *where)
    for page in export.pages(query, projects.c.gid):
        gids = [row.gid for row in page]
        status = current_status_updates(reader, gids)
        settings = reader.grouped(
            select(settings_table).order_by(
                settings_table.c.project_gid, settings_table.c.custom_field_gid
            ),
            settings_table.c.project_gid,
            gids,
        )
        members = gids_by_owner(
            reader, pm.c.project_gid, pm.c.user_gid, gids, pm.c.deleted_at.is_(None)
        )
        followers = gids_by_owner(
            reader, project_followers.c.project_gid, project_followers.c.user_gid, gids
        )
        for row in page:
            refs.want("user", [row.owner_gid, row.completed_by_gid])
            refs.want("team", [row.team_gid])
        refs.want("user", _flatten(members, followers))
        refs.want("custom_field", (s.custom_field_gid for rows in settings.values() for s in rows))
        refs.load()
        yield [
            shapes.project(
                row,
                refs=refs,
                status=status.get(row.gid),
                settings=[(s.custom_field_gid, s.is_important) for s in settings.get(row.gid, ())],
                members=members.get(row.gid, ()),
                followers=followers.get(row.gid, ()),
                base=export.permalink_base,
            )
            for row in page
        ]


def _membership_pages(
    export: Export, resource_type: str, table: Table, parents: Table, *where: Where
) -> Pages:
    """Project or portfolio memberships: both live only with their parent and their user."""
    refs, kind = export.compacts, resource_type.removesuffix("_membership")
    parent_gid = table.c[f"{kind}_gid"]
    query = (
        export.reader.table(table)
        .join(parents, parents.c.gid == parent_gid)
        .where(table.c.deleted_at.is_(None), export.reader.in_organization(parents), *where)
    )
    for page in export.pages(query, table.c.gid):
        refs.want("user", [row.user_gid for row in page])
        refs.want(kind, [row._mapping[parent_gid] for row in page])
        refs.load()
        yield [
            shapes.membership(resource_type, row, parent, member)
            for row in page
            if (member := refs.get("user", row.user_gid)) is not None
            and (parent := refs.get(kind, row._mapping[parent_gid])) is not None
        ]


def project_membership_pages(export: Export, *where: Where) -> Pages:
    return _membership_pages(export, "project_membership", project_memberships, projects, *where)


def portfolio_membership_pages(export: Export, *where: Where) -> Pages:
    return _membership_pages(
        export, "portfolio_membership", portfolio_memberships, portfolios, *where
    )


def section_pages(export: Export, *where: Where) -> Pages:
    refs = export.compacts
    query = (
        export.reader.table(sections)
        .join(projects, projects.c.gid == sections.c.project_gid)
        .where(sections.c.deleted_at.is_(None), export.reader.in_organization(projects), *where)
    )
    for page in export.pages(query, sections.c.gid):
        refs.want("project", [row.project_gid for row in page])
        refs.load()
        yield [
            shapes.section(row, parent)
            for row in page
            if (parent := refs.get("project", row.project_gid)) is not None
        ]


def portfolio_pages(export: Export, *where: Where) -> Pages:
    reader, refs, pm = export.reader, export.compacts, portfolio_memberships
    query = export.reader.table(portfolios).where(reader.in_organization(portfolios), *where)
    for page in export.pages(query, portfolios.c.gid):
        gids = [row.gid for row in page]
        status = current_status_updates(reader, gids)
        members = gids_by_owner(
            reader, pm.c.portfolio_gid, pm.c.user_gid, gids, pm.c.deleted_at.is_(None)
        )
        items_query = select(portfolio_items).order_by(
            portfolio_items.c.portfolio_gid, portfolio_items.c.position
        )
        items = reader.grouped(items_query, portfolio_items.c.portfolio_gid, gids)
        for row in page:
            refs.want("user", [row.owner_gid, row.created_by_gid])
        refs.want("user", _flatten(members))
        for rows in items.values():
            refs.want("project", [item.project_gid for item in rows])
            refs.want("portfolio", [item.item_portfolio_gid for item in rows])
        refs.load()
        yield [
            shapes.portfolio(
                row,
                refs=refs,
                status=status.get(row.gid),
                members=members.get(row.gid, ()),
                items=[(i.project_gid, i.item_portfolio_gid) for i in items.get(row.gid, ())],
                base=export.permalink_base,
            )
            for row in page
        ]


def goal_pages(export: Export, *where: Where) -> Pages:
    reader, refs = export.reader, export.compacts
    query = export.reader.table(goals).where(reader.in_organization(goals), *where)
    for page in export.pages(query, goals.c.gid):
        gids = [row.gid for row in page]
        status = current_status_updates(reader, gids)
        goal_likes_ = likes(reader, goal_likes.c.goal_gid, gids)
        followers = gids_by_owner(
            reader, goal_followers.c.goal_gid, goal_followers.c.user_gid, gids
        )
        for row in page:
            refs.want("user", [row.owner_gid])
            refs.want("team", [row.team_gid])
        refs.want("user", _flatten(followers))
        refs.want("user", (user for pairs in goal_likes_.values() for _, user in pairs))
        refs.load()
        yield [
            shapes.goal(
                row,
                refs=refs,
                status=status.get(row.gid),
                like_rows=goal_likes_.get(row.gid, ()),
                followers=followers.get(row.gid, ()),
            )
            for row in page
        ]


def _flatten(*groups: dict[int, list[int]]) -> list[int]:
    return [gid for group in groups for found in group.values() for gid in found]
