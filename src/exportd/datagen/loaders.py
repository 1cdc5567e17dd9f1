"""One loader per resource type: an exported object back into the rows it was made from.

A relation is rebuilt from the side that owns it (a task's followers, tags, dependencies,
memberships, custom field values and likes; a custom field's enum options; a portfolio's
items), so its other side (dependents, members, num_likes, permalink_url, public…) is
ignored: it is derived, and comes back by itself. Values an export does not show (a team's
created_at, a section's position) get a plain default: the import's time, the file order.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Table

from exportd.datagen.fields import Fields
from exportd.domain import vocabulary as v
from exportd.store import schema as s

DEFAULT_PLAN = "enterprise"
"""The plan of an imported organization (exports do not show it; exports need Enterprise)."""

PARENTS = ("task", "message", "status_update")
"""What a story or an attachment can belong to."""


class Sink(Protocol):
    """Where loaders put rows; the importer buffers and writes them."""

    now: datetime
    organization_gid: int | None

    def add(self, table: Table, line: int, **row: Any) -> None: ...

    def defined(self, fields: Fields, resource_type: str, gid_field: str = "gid") -> int: ...

    def organization(self, fields: Fields) -> int: ...

    def next_position(self, project_gid: int) -> int: ...

    def counted(self, resource_type: str) -> None: ...


def _stamps(f: Fields, sink: Sink, *, modified: bool = True) -> dict[str, datetime]:
    created = f.moment("created_at", sink.now)
    return {
        "created_at": created,
        "modified_at": f.moment("modified_at", created) if modified else created,
    }


def load_workspace(f: Fields, sink: Sink) -> None:
    if f.organization_gid is not None:  # importing into an existing organization
        f.gid()
        return
    gid = sink.defined(f, "workspace")
    sink.add(
        s.workspaces, f.line, gid=gid, name=f.text("name"),
        is_organization=f.flag("is_organization", True), plan=DEFAULT_PLAN, add_ons=[],
        email_domains=f.strings("email_domains"), created_at=sink.now, modified_at=sink.now,
        deleted_at=None,
    )  # fmt: skip
    if sink.organization_gid is None:
        sink.organization_gid = gid
    sink.counted("workspace")


def load_user(f: Fields, sink: Sink) -> None:
    sink.add(
        s.users, f.line, gid=sink.defined(f, "user"), name=f.text("name"), email=f.text("email"),
        photo=f.mapping("photo"), is_service_account=False, created_at=sink.now,
        modified_at=sink.now, deleted_at=None,
    )  # fmt: skip
    sink.counted("user")


def load_workspace_membership(f: Fields, sink: Sink) -> None:
    sink.add(
        s.workspace_memberships, f.line, gid=sink.defined(f, "workspace_membership"),
        workspace_gid=f.ref("workspace", ["workspace"], required=True),
        user_gid=f.ref("user", ["user"], required=True), is_admin=f.flag("is_admin"),
        is_guest=f.flag("is_guest"), is_active=f.flag("is_active", True),
        **_stamps(f, sink, modified=False), deleted_at=None,
    )  # fmt: skip
    sink.counted("workspace_membership")


def load_team(f: Fields, sink: Sink) -> None:
    sink.add(
        s.teams, f.line, gid=sink.defined(f, "team"),
        workspace_gid=f.ref("organization", ["workspace"], required=True), name=f.text("name"),
        description=f.text("description", ""), html_description=f.text("html_description", ""),
        visibility=f.enum("visibility", v.TEAM_VISIBILITIES), **_stamps(f, sink),
        deleted_at=None,
    )  # fmt: skip
    sink.counted("team")


def load_team_membership(f: Fields, sink: Sink) -> None:
    sink.add(
        s.team_memberships, f.line, gid=sink.defined(f, "team_membership"),
        team_gid=f.ref("team", ["team"], required=True),
        user_gid=f.ref("user", ["user"], required=True), is_admin=f.flag("is_admin"),
        is_guest=f.flag("is_guest"), is_limited_access=f.flag("is_limited_access"),
        **_stamps(f, sink), deleted_at=None,
    )  # fmt: skip
    sink.counted("team_membership")


def load_custom_field(f: Fields, sink: Sink) -> None:
    gid = sink.defined(f, "custom_field")
    named_by = "type" if f.has("type") and not f.has("resource_subtype") else "resource_subtype"
    subtype = f.enum(named_by, v.CUSTOM_FIELD_TYPES)
    sink.add(
        s.custom_fields, f.line, gid=gid, workspace_gid=sink.organization(f),
        created_by_gid=f.ref("created_by", ["user"]), name=f.text("name"),
        resource_subtype=subtype, description=f.text("description", ""),
        precision=f.integer("precision"), format=f.enum("format", v.CUSTOM_FIELD_FORMATS, "none"),
        enabled=f.flag("enabled", True), **_stamps(f, sink), deleted_at=None,
    )  # fmt: skip
    for position, value in enumerate(f.items("enum_options")):
        option = f.nested(value, f"enum_options[{position}]")
        sink.add(
            s.custom_field_enum_options, f.line, gid=sink.defined(option, "enum_option"),
            custom_field_gid=gid, name=option.text("name"),
            color=option.optional_enum("color", v.COLORS), enabled=option.flag("enabled", True),
            position=position, created_at=sink.now, modified_at=sink.now, deleted_at=None,
        )  # fmt: skip
    sink.counted("custom_field")


def load_tag(f: Fields, sink: Sink) -> None:
    sink.add(
        s.tags, f.line, gid=sink.defined(f, "tag"),
        workspace_gid=f.ref("workspace", ["workspace"], required=True), name=f.text("name"),
        color=f.optional_enum("color", v.COLORS), notes=f.text("notes", ""), **_stamps(f, sink),
        deleted_at=None,
    )  # fmt: skip
    sink.counted("tag")


def _links(sink: Sink, table: Table, line: int, owner: dict[str, int], column: str,
           gids: list[int]) -> None:  # fmt: skip
    for gid in gids:
        sink.add(table, line, **owner, **{column: gid})


def load_project(f: Fields, sink: Sink) -> None:
    gid = sink.defined(f, "project")
    sink.add(
        s.projects, f.line, gid=gid,
        workspace_gid=f.ref("workspace", ["workspace"], required=True),
        team_gid=f.ref("team", ["team"]), owner_gid=f.ref("owner", ["user"]), name=f.text("name"),
        notes=f.text("notes", ""), html_notes=f.text("html_notes", ""),
        color=f.optional_enum("color", v.COLORS), archived=f.flag("archived"),
        privacy_setting=f.enum("privacy_setting", v.PROJECT_PRIVACY_SETTINGS),
        default_view=f.enum("default_view", v.PROJECT_DEFAULT_VIEWS),
        default_access_level=f.enum("default_access_level", v.PROJECT_ACCESS_LEVELS),
        start_on=f.day("start_on"), due_on=f.day("due_on"), completed=f.flag("completed"),
        completed_at=f.optional_moment("completed_at"),
        completed_by_gid=f.ref("completed_by", ["user"]), **_stamps(f, sink), deleted_at=None,
    )  # fmt: skip
    owner = {"project_gid": gid}
    _links(sink, s.project_followers, f.line, owner, "user_gid", f.refs("followers", ["user"]))
    seen: set[int] = set()
    for index, value in enumerate(f.items("custom_field_settings")):
        setting = f.nested(value, f"custom_field_settings[{index}]")
        field_gid = setting.ref("custom_field", ["custom_field"], required=True)
        if field_gid is not None and field_gid not in seen:
            seen.add(field_gid)
            sink.add(
                s.project_custom_field_settings, f.line, **owner, custom_field_gid=field_gid,
                is_important=setting.flag("is_important"),
            )  # fmt: skip
    sink.counted("project")


def _membership(f: Fields, sink: Sink, resource_type: str, table: Table,
                levels: tuple[str, ...]) -> None:  # fmt: skip
    parent = resource_type.removesuffix("_membership")
    sink.add(
        table, f.line, gid=sink.defined(f, resource_type),
        **{f"{parent}_gid": f.ref("parent", [parent], required=True)},
        user_gid=f.ref("member", ["user"], required=True),
        access_level=f.enum("access_level", levels), created_at=sink.now, modified_at=sink.now,
        deleted_at=None,
    )  # fmt: skip
    sink.counted(resource_type)


def load_project_membership(f: Fields, sink: Sink) -> None:
    _membership(f, sink, "project_membership", s.project_memberships, v.PROJECT_ACCESS_LEVELS)


def load_portfolio_membership(f: Fields, sink: Sink) -> None:
    _membership(f, sink, "portfolio_membership", s.portfolio_memberships, v.PORTFOLIO_ACCESS_LEVELS)


def load_section(f: Fields, sink: Sink) -> None:
    project_gid = f.ref("project", ["project"], required=True)
    assert project_gid is not None
    sink.add(
        s.sections, f.line, gid=sink.defined(f, "section"), project_gid=project_gid,
        name=f.text("name"), position=sink.next_position(project_gid),
        **_stamps(f, sink, modified=False), deleted_at=None,
    )  # fmt: skip
    sink.counted("section")


def load_portfolio(f: Fields, sink: Sink) -> None:
    gid = sink.defined(f, "portfolio")
    sink.add(
        s.portfolios, f.line, gid=gid,
        workspace_gid=f.ref("workspace", ["workspace"], required=True),
        owner_gid=f.ref("owner", ["user"]), created_by_gid=f.ref("created_by", ["user"]),
        name=f.text("name"), color=f.optional_enum("color", v.COLORS),
        archived=f.flag("archived"),
        privacy_setting=f.enum("privacy_setting", v.PORTFOLIO_PRIVACY_SETTINGS),
        default_access_level=f.enum("default_access_level", v.PORTFOLIO_ACCESS_LEVELS),
        start_on=f.day("start_on"), due_on=f.day("due_on"), **_stamps(f, sink, modified=False),
        deleted_at=None,
    )  # fmt: skip
    for position, value in enumerate(f.items("items")):
        item, item_type = f.target(value, f"items[{position}]", ["project", "portfolio"])
        sink.add(
            s.portfolio_items, f.line, portfolio_gid=gid, position=position,
            project_gid=item if item_type == "project" else None,
            item_portfolio_gid=item if item_type == "portfolio" else None,
        )  # fmt: skip
    sink.counted("portfolio")


def load_likes(f: Fields, sink: Sink, table: Table, owner: dict[str, int]) -> None:
    """An object's likes (or, failing that, its deprecated `hearts`), each with its own gid."""
    name = "likes" if f.has("likes") else "hearts"
    users: set[int] = set()
    for index, value in enumerate(f.items(name)):
        like = f.nested(value, f"{name}[{index}]")
        user = like.ref("user", ["user"], required=True)
        assert user is not None
        if user in users:
            like.fail("user", f"{user} likes this twice")
        users.add(user)
        sink.add(table, f.line, gid=sink.defined(like, "like"), **owner, user_gid=user,
                 created_at=sink.now)  # fmt: skip


def load_goal(f: Fields, sink: Sink) -> None:
    gid = sink.defined(f, "goal")
    sink.add(
        s.goals, f.line, gid=gid, workspace_gid=f.ref("workspace", ["workspace"], required=True),
        team_gid=f.ref("team", ["team"]), owner_gid=f.ref("owner", ["user"]), name=f.text("name"),
        notes=f.text("notes", ""), html_notes=f.text("html_notes", ""),
        start_on=f.day("start_on"), due_on=f.day("due_on"),
        status=f.optional_enum("status", v.GOAL_STATUSES),
        is_workspace_level=f.flag("is_workspace_level"),
        privacy_setting=f.enum("privacy_setting", v.GOAL_PRIVACY_SETTINGS),
        created_at=sink.now, modified_at=sink.now, deleted_at=None,
    )  # fmt: skip
    owner = {"goal_gid": gid}
    load_likes(f, sink, s.goal_likes, owner)
    _links(sink, s.goal_followers, f.line, owner, "user_gid", f.refs("followers", ["user"]))
    sink.counted("goal")


Loader = Callable[[Fields, Sink], None]
