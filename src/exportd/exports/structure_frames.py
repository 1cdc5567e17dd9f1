"""Everything but tasks in its documented shape, a page at a time, as polars columns: the
organization's structure (people, teams, projects, portfolios, goals…), messages and status
updates with their stories and attachments, goal relationships, allocations and time
tracking entries.

`FIELDS` defines every field of each type (its `full` fields in `domain/resources.py`, in
that order) as one polars expression over a shaped page; a test checks the two lists
agree. The rules are the task engine's (`exports.task_frames`): a reference to an object
that is not exported (deleted, or outside the organization) shows as null or drops out of
its list, and an object that cannot stand without what it points at (a membership of a
deleted user, a section of a deleted project) is left out with it. Derived fields (public,
permalink_url, members…) are computed here, once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from hashlib import blake2b

import polars as pl

from exportd.domain.projection import FieldTree
from exportd.domain.resources import RESOURCES
from exportd.errors import NotFound
from exportd.exports.frames import (
    ABSENT_USER,
    KEY,
    VALUE,
    attach,
    gather,
    gid_text,
    keep_found,
    named_lookup,
    ndjson,
    project_frame,
    refer,
    without_absent,
)
from exportd.exports.task_frames import LINES_PER_WRITE, Lookups, attachment_columns, story_columns
from exportd.store import export_reads as reads
from exportd.store.export_reads import ArrowSnapshot, Condition

PAGE_SIZE = 2_000
"""Objects read and shaped at a time: their relations are read for the page at once."""

Fields = Mapping[str, pl.Expr]


@dataclass(frozen=True)
class Compacts:
    """The compact forms an export's objects refer to, by kind: `key, value` frames, read
    once per export (the task engine's lookups, and teams, portfolios and goals)."""

    tasks: Lookups
    teams: pl.DataFrame
    portfolios: pl.DataFrame
    goals: pl.DataFrame
    fields: pl.DataFrame  # custom fields' compact forms

    @classmethod
    def load(cls, snap: ArrowSnapshot, organization_gid: int, lookups: Lookups) -> Compacts:
        goals = refer(reads.goal_names(snap, organization_gid), "owner_gid", lookups.users,
                      "owner")  # fmt: skip
        definitions = lookups.fields
        return cls(
            tasks=lookups,
            teams=named_lookup(reads.team_names(snap, organization_gid), "team"),
            portfolios=named_lookup(reads.portfolio_names(snap, organization_gid), "portfolio"),
            goals=goals.select(
                pl.col("gid").alias(KEY),
                pl.struct(gid_text(), pl.lit("goal").alias("resource_type"), "name", "owner").alias(
                    VALUE
                ),
            ),
            fields=definitions.select(
                pl.col("custom_field_gid").alias(KEY),
                field_compact("custom_field_gid").alias(VALUE),
            ),
        )

    @property
    def users(self) -> pl.DataFrame:
        return self.tasks.users

    @property
    def workspaces(self) -> pl.DataFrame:
        return self.tasks.workspaces

    @property
    def projects(self) -> pl.DataFrame:
        return self.tasks.projects

    def of(self, kind: str) -> pl.DataFrame:
        """The lookup of a message parent's type (project, portfolio, team, goal)."""
        return {
            "project": self.projects, "portfolio": self.portfolios, "team": self.teams,
            "goal": self.goals,
        }[kind]  # fmt: skip


def field_compact(gid: str) -> pl.Expr:
    """A custom field's compact form over the `f_*` columns of its definition (as
    `task_frames.Lookups.fields` holds them), with every value field empty."""
    kind = pl.col("f_type")
    return pl.struct(
        gid_text(gid).alias("gid"),
        pl.lit("custom_field").alias("resource_type"),
        pl.col("f_name").alias("name"),
        kind.alias("type"),
        pl.col("f_options").alias("enum_options"),
        pl.col("f_enabled").alias("enabled"),
        kind.alias("representation_type"),
        pl.lit(False).alias("is_formula_field"),
        pl.lit(None, pl.String).alias("date_value"),
        pl.lit(None, pl.String).alias("enum_value"),
        pl.col("f_options").list.head(0).alias("multi_enum_values"),
        pl.lit(None, pl.Float64).alias("number_value"),
        pl.lit(None, pl.String).alias("text_value"),
        pl.lit(None, pl.String).alias("display_value"),
    )


def _permalink(base: str, resource_type: str) -> pl.Expr:
    return pl.format(f"{base}/1/{{}}/{resource_type}/{{}}", "workspace_gid", "gid")


def _empty(name: str) -> pl.Expr:
    return pl.lit([], dtype=pl.List(pl.String)).alias(name)


def _links(rows: pl.DataFrame, lookup: pl.DataFrame, name: str) -> pl.DataFrame:
    """`owner, name`: the compact forms `owner, other` rows link to, those found."""
    return gather(keep_found(rows, "other", lookup, name), pl.col(name), name)


def _likes(rows: pl.DataFrame, users: pl.DataFrame) -> pl.DataFrame:
    """`owner, likes` from `owner, gid, user_gid` rows: likes of users not exported drop."""
    found = keep_found(rows, "user_gid", users, "user")
    return gather(found, pl.struct(gid_text(), "user"), "likes")


def status_compact(parent_type: str = "parent_type") -> pl.Expr:
    return pl.struct(
        gid_text(),
        pl.lit("status_update").alias("resource_type"),
        "title",
        (pl.col(parent_type) + "_status_update").alias("resource_subtype"),
    )


def _status(frame: pl.DataFrame, snap: ArrowSnapshot, organization_gid: int) -> pl.DataFrame:
    """`frame` with `current_status_update`: each object's newest status update."""
    rows = reads.current_status_updates(snap, organization_gid, frame["gid"].to_list())
    newest = rows.group_by("owner", maintain_order=True).first()
    newest = newest.select("owner", status_compact().alias("current_status_update"))
    return frame.join(newest.rename({"owner": "gid"}), on="gid", how="left", maintain_order="left")


def _nested(columns: pl.DataFrame, name: str) -> pl.DataFrame:
    return gather(columns, pl.struct(pl.exclude("owner")), name)


# The fields of each type, as expressions over its shaped page.

_NAMED: Fields = {
    "gid": gid_text(),
    "resource_type": pl.lit("?"),  # replaced per type by `_fields`
    "name": pl.col("name"),
}


def _fields(resource_type: str, fields: Mapping[str, pl.Expr | str]) -> dict[str, pl.Expr]:
    """`fields` with gid and resource_type first; a plain name is that column."""
    shown = {"gid": gid_text(), "resource_type": pl.lit(resource_type)}
    for name, expr in fields.items():
        shown[name] = pl.col(expr) if isinstance(expr, str) else expr
    return shown


def fields_of(resource_type: str, base: str) -> dict[str, pl.Expr]:
    """Every field of `resource_type` (`domain/resources.py`'s full fields, in order)."""
    return FIELDS[resource_type](base)


def _likes_fields(likes: pl.Expr) -> dict[str, pl.Expr]:
    return {"num_hearts": likes.list.len(), "num_likes": likes.list.len()}


FIELDS: dict[str, Callable[[str], dict[str, pl.Expr]]] = {
    "workspace": lambda base: _fields("workspace", {
        "name": "name", "email_domains": "email_domains", "is_organization": "is_organization",
    }),
    "user": lambda base: _fields("user", {
        "name": "name", "email": "email", "photo": "photo", "workspaces": "workspaces",
    }),
    "workspace_membership": lambda base: _fields("workspace_membership", {
        "user": "user", "workspace": "workspace", "is_active": "is_active",
        "is_admin": "is_admin", "is_guest": "is_guest", "created_at": "created_at",
    }),
    "team": lambda base: _fields("team", {
        "name": "name", "description": "description", "html_description": "html_description",
        "organization": "workspace", "permalink_url": _permalink(base, "team"),
        "visibility": "visibility", "members": "members",
    }),
    "team_membership": lambda base: _fields("team_membership", {
        "user": "user", "team": "team", "is_guest": "is_guest",
        "is_limited_access": "is_limited_access", "is_admin": "is_admin",
    }),
    "custom_field": lambda base: {
        **{name: pl.col("compact").struct.field(name) for name in (
            "gid", "resource_type", "name", "type", "enum_options", "enabled",
            "representation_type", "is_formula_field", "date_value", "enum_value",
            "multi_enum_values", "number_value", "text_value", "display_value")},
        "description": pl.col("description"), "precision": pl.col("precision"),
        "format": pl.col("format"), "is_global_to_workspace": pl.lit(True),
        "has_notifications_enabled": pl.lit(True), "created_by": pl.col("created_by"),
        "people_value": _empty("people_value"), "resource_subtype": pl.col("resource_subtype"),
    },
    "tag": lambda base: _fields("tag", {
        "name": "name", "color": "color", "notes": "notes", "created_at": "created_at",
        "followers": _empty("followers"), "workspace": "workspace",
        "permalink_url": _permalink(base, "tag"),
    }),
    "project": lambda base: _fields("project", {
        "name": "name", "archived": "archived", "color": "color", "created_at": "created_at",
        "current_status_update": "current_status_update",
        "custom_field_settings": "custom_field_settings", "default_view": "default_view",
        "due_on": "due_on", "html_notes": "html_notes", "members": "members",
        "modified_at": "modified_at", "notes": "notes",
        "public": pl.col("privacy_setting") == "public_to_workspace",
        "privacy_setting": "privacy_setting", "start_on": "start_on",
        "default_access_level": "default_access_level", "completed": "completed",
        "completed_at": "completed_at", "completed_by": "completed_by",
        "followers": "followers", "owner": "owner", "team": "team",
        "permalink_url": _permalink(base, "project"), "workspace": "workspace",
    }),
    "project_membership": lambda base: _fields("project_membership", {
        "parent": "parent", "member": "member", "access_level": "access_level",
    }),
    "portfolio_membership": lambda base: _fields("portfolio_membership", {
        "parent": "parent", "member": "member", "access_level": "access_level",
    }),
    "section": lambda base: _fields("section", {
        "name": "name", "created_at": "created_at", "project": "project",
        "projects": pl.concat_list("project"),
    }),
    "portfolio": lambda base: _fields("portfolio", {
        "name": "name", "archived": "archived", "color": "color", "start_on": "start_on",
        "due_on": "due_on", "default_access_level": "default_access_level",
        "created_at": "created_at", "created_by": "created_by",
        "current_status_update": "current_status_update", "members": "members",
        "owner": "owner", "workspace": "workspace",
        "permalink_url": _permalink(base, "portfolio"),
        "public": pl.col("privacy_setting") == "public_to_domain",
        "privacy_setting": "privacy_setting", "items": "items",
    }),
    "goal": lambda base: _fields("goal", {
        "name": "name", "owner": "owner", "html_notes": "html_notes", "notes": "notes",
        "due_on": "due_on", "start_on": "start_on", "is_workspace_level": "is_workspace_level",
        "liked": pl.lit(False), "likes": "likes", "num_likes": pl.col("likes").list.len(),
        "team": "team", "workspace": "workspace", "followers": "followers",
        "current_status_update": "current_status_update", "status": "status",
        "privacy_setting": "privacy_setting",
    }),
    "status_update": lambda base: {
        "gid": gid_text(), "resource_type": pl.lit("status_update"), "title": pl.col("title"),
        "resource_subtype": pl.col("parent_type") + "_status_update",
        "text": pl.col("text"), "html_text": pl.col("html_text"),
        "status_type": pl.col("status_type"), "author": pl.col("created_by"),
        "created_at": pl.col("created_at"), "created_by": pl.col("created_by"),
        "hearted": pl.lit(False), "hearts": pl.col("likes"), "liked": pl.lit(False),
        "likes": pl.col("likes"), "modified_at": pl.col("modified_at"),
        **_likes_fields(pl.col("likes")), "parent": pl.col("parent"),
    },
    "message": lambda base: _fields("message", {
        "resource_subtype": "resource_subtype", "status_type": "status_type",
        "created_by": "created_by", "created_at": "created_at", "modified_at": "modified_at",
        "title": "title", "text": "text", "html_notes": "html_text",
        "num_likes": pl.col("likes").list.len(), "likes": "likes", "stories": "stories",
        "attachments": "attachments", "followers": "followers", "parents": "parents",
    }),
    "goal_relationship": lambda base: _fields("goal_relationship", {
        "resource_subtype": "resource_subtype", "supporting_resource": "supporting_resource",
        "contribution_weight": "contribution_weight", "supported_goal": "supported_goal",
    }),
    "allocation": lambda base: _fields("allocation", {
        "start_date": "start_date", "end_date": "end_date",
        "effort": pl.when(pl.col("effort_type").is_not_null())
        .then(pl.struct(pl.col("effort_type").alias("type"),
                        pl.col("effort_value").alias("value"))).otherwise(None),
        "assignee": _user("assignee_gid", "assignee_name"),
        "created_by": _user("created_by_gid", "creator_name"),
        "parent": _named("project", "project_gid", "project_name"),
        "resource_subtype": "resource_subtype",
    }),
    "time_tracking_entry": lambda base: _fields("time_tracking_entry", {
        "duration_minutes": "duration_minutes", "entered_on": "entered_on",
        "attributable_to": pl.when(pl.col("project_name").is_not_null())
        .then(_named("project", "attributable_to_gid", "project_name")).otherwise(None),
        "created_by": _user("created_by_gid", "creator_name"),
        "categories": _empty("categories"),
        "task": pl.struct(
            gid_text("task_gid").alias("gid"), pl.lit("task").alias("resource_type"),
            pl.col("task_name").alias("name"), pl.col("task_subtype").alias("resource_subtype"),
            _user("task_created_by_gid", "task_creator_name").alias("created_by"),
        ),
        "created_at": "created_at", "approval_status": "approval_status",
        "billable_status": "billable_status", "description": "description",
    }),
    # Made by `task_frames.story_columns` and `attachment_columns`, shared with tasks:
    "story": lambda base: {name: pl.col(name) for name in RESOURCES["story"].full},
    "attachment": lambda base: {name: pl.col(name) for name in RESOURCES["attachment"].full},
}  # fmt: skip
"""Every field of each type but tasks (`task_frames.task_fields`), in the resource table's
order; the story and attachment fields are `task_frames.story_columns` and
`attachment_columns`, shared with tasks."""


def _named(resource_type: str, gid: str, name: str) -> pl.Expr:
    return pl.struct(
        gid_text(gid).alias("gid"), pl.lit(resource_type).alias("resource_type"),
        pl.col(name).alias("name"),
    )  # fmt: skip


def _user(gid: str, name: str) -> pl.Expr:
    """A user's compact form from columns the query joined; null when either is null."""
    return (
        pl.when(pl.col(gid).is_not_null() & pl.col(name).is_not_null())
        .then(_named("user", gid, name))
        .otherwise(None)
    )


def shaped(
    frame: pl.DataFrame, resource_type: str, base: str, tree: FieldTree | None = None
) -> pl.DataFrame:
    """A page's columns as `resource_type`'s objects (cut to `tree`, when given)."""
    fields = fields_of(resource_type, base)
    if tree is None:
        return frame.select(expr.alias(name) for name, expr in fields.items())
    chosen = frame.select(
        expr.alias(name) for name, expr in fields.items() if name in tree or name == "gid"
    )
    return project_frame(chosen, tree)


# Pages: each reads its objects, their relations and shapes them.

Page = Callable[[int | None, int], pl.DataFrame]


def keyset(read: Page, size: int = PAGE_SIZE) -> Iterator[pl.DataFrame]:
    """The rows `read(after, limit)` gives, page after page in gid order."""
    after: int | None = None
    while True:
        rows = read(after, size)
        if rows.height:
            yield rows
        if rows.height < size:
            return
        after = int(rows["gid"][-1])


@dataclass(frozen=True)
class Scope:
    """One export's reads: its snapshot, organization, compact forms and permalink base."""

    snap: ArrowSnapshot
    organization_gid: int
    compacts: Compacts
    base: str
    page_size: int = PAGE_SIZE

    @classmethod
    def open(
        cls, snap: ArrowSnapshot, organization_gid: int, lookups: Lookups, base: str,
        page_size: int = PAGE_SIZE,
    ) -> Scope:  # fmt: skip
        """NotFound when the organization does not exist (or is deleted)."""
        if lookups.workspaces.height == 0:
            raise NotFound(f"organization: no organization with gid {organization_gid}")
        compacts = Compacts.load(snap, organization_gid, lookups)
        return cls(snap, organization_gid, compacts, base, page_size)

    def pages(self, read: Page) -> Iterator[pl.DataFrame]:
        return keyset(read, self.page_size)

    def with_workspace(self, frame: pl.DataFrame) -> pl.DataFrame:
        return refer(frame, "workspace_gid", self.compacts.workspaces, "workspace")


def workspaces(scope: Scope) -> Iterator[pl.DataFrame]:
    rows = reads.workspace_rows(scope.snap, scope.organization_gid)
    yield rows.with_columns(pl.col("email_domains").str.json_decode(pl.List(pl.String)))


def users(scope: Scope) -> Iterator[pl.DataFrame]:
    """The organization's members; `workspaces` shows the organization (what an export's
    reader may see). A photo is an object whose keys come from the rows (`photo` of users
    is one set of sizes)."""
    organization = scope.compacts.workspaces["value"]
    for rows in scope.pages(
        lambda after, n: reads.user_rows(scope.snap, scope.organization_gid, after, n)
    ):
        photo = rows["photo"].str.json_decode(infer_schema_length=None)
        yield rows.with_columns(
            photo.alias("photo"),
            pl.lit(organization.implode()).first().alias("workspaces"),
        )


def workspace_memberships(scope: Scope) -> Iterator[pl.DataFrame]:
    read = reads.workspace_membership_rows
    for rows in scope.pages(lambda after, n: read(scope.snap, scope.organization_gid, after, n)):
        rows = keep_found(rows, "user_gid", scope.compacts.users, "user")
        yield scope.with_workspace(rows)


def teams(scope: Scope, where: Sequence[Condition] = ()) -> Iterator[pl.DataFrame]:
    read = reads.teams_page
    for rows in scope.pages(
        lambda after, n: read(scope.snap, scope.organization_gid, where, after, n)
    ):
        members = reads.team_members(scope.snap, rows["gid"].to_list())
        rows = attach(rows, _links(members, scope.compacts.users, "members"), "members")
        yield scope.with_workspace(rows)


def team_memberships(scope: Scope) -> Iterator[pl.DataFrame]:
    read = reads.team_memberships_page
    for rows in scope.pages(lambda after, n: read(scope.snap, scope.organization_gid, after, n)):
        rows = keep_found(rows, "user_gid", scope.compacts.users, "user")
        yield keep_found(rows, "team_gid", scope.compacts.teams, "team")


def custom_fields(scope: Scope) -> Iterator[pl.DataFrame]:
    read = reads.custom_fields_page
    for rows in scope.pages(lambda after, n: read(scope.snap, scope.organization_gid, after, n)):
        rows = keep_found(rows, "gid", scope.compacts.fields, "compact")
        yield refer(rows, "created_by_gid", scope.compacts.users, "created_by")


def tags(scope: Scope) -> Iterator[pl.DataFrame]:
    read = reads.tags_page
    for rows in scope.pages(lambda after, n: read(scope.snap, scope.organization_gid, after, n)):
        yield scope.with_workspace(rows)


def setting_gid(project_gid: int, custom_field_gid: int) -> str:
    """A stable gid for a project's custom field setting, which the store keeps as a pair.

    Derived from the pair, so the same setting shows the same gid in every export and after
    an import; below 2**62, as gids are.
    """
    digest = blake2b(f"{project_gid}:{custom_field_gid}".encode(), digest_size=8).digest()
    return str(int.from_bytes(digest, "big") >> 2)


def _settings(rows: pl.DataFrame, frame: pl.DataFrame, compacts: Compacts) -> pl.DataFrame:
    """`owner, custom_field_settings` (in their full form: they have no object of their
    own in the export to point at), of fields that are exported."""
    rows = keep_found(rows, "custom_field_gid", compacts.fields, "custom_field")
    projects = frame.select(pl.col("gid").alias(KEY), pl.col("compact").alias(VALUE))
    rows = keep_found(rows, "owner", projects, "project")
    gids = [setting_gid(p, f) for p, f in rows.select("owner", "custom_field_gid").iter_rows()]
    rows = rows.with_columns(pl.Series("setting_gid", gids, dtype=pl.String))
    value = pl.struct(
        pl.col("setting_gid").alias("gid"),
        pl.lit("custom_field_setting").alias("resource_type"),
        "project",
        "is_important",
        pl.col("project").alias("parent"),
        "custom_field",
    )
    return gather(rows, value, "custom_field_settings")


def projects(scope: Scope, where: Sequence[Condition] = ()) -> Iterator[pl.DataFrame]:
    snap, refs = scope.snap, scope.compacts
    read = reads.projects_page
    for rows in scope.pages(lambda after, n: read(snap, scope.organization_gid, where, after, n)):
        gids = rows["gid"].to_list()
        rows = rows.with_columns(
            pl.struct(gid_text(), pl.lit("project").alias("resource_type"), "name").alias("compact")
        )
        rows = _status(rows, snap, scope.organization_gid)
        rows = attach(rows, _settings(reads.field_settings(snap, gids), rows, refs),
                      "custom_field_settings")  # fmt: skip
        rows = attach(rows, _links(reads.project_members(snap, gids), refs.users, "members"),
                      "members")  # fmt: skip
        rows = attach(rows, _links(reads.project_followers_of(snap, gids), refs.users,
                                   "followers"), "followers")  # fmt: skip
        rows = refer(rows, "completed_by_gid", refs.users, "completed_by")
        rows = refer(rows, "owner_gid", refs.users, "owner")
        rows = refer(rows, "team_gid", refs.teams, "team")
        yield scope.with_workspace(rows)


def _memberships(scope: Scope, read: Callable[..., pl.DataFrame], kind: str,
                 lookup: pl.DataFrame) -> Iterator[pl.DataFrame]:  # fmt: skip
    """Project or portfolio memberships: both live only with their parent and their user."""
    for rows in scope.pages(lambda after, n: read(scope.snap, scope.organization_gid, after, n)):
        rows = keep_found(rows, "user_gid", scope.compacts.users, "member")
        rows = keep_found(rows, f"{kind}_gid", lookup, "parent")
        yield rows


def project_memberships(scope: Scope) -> Iterator[pl.DataFrame]:
    return _memberships(scope, reads.project_memberships_page, "project", scope.compacts.projects)


def portfolio_memberships(scope: Scope) -> Iterator[pl.DataFrame]:
    return _memberships(
        scope, reads.portfolio_memberships_page, "portfolio", scope.compacts.portfolios
    )


def sections(scope: Scope, where: Sequence[Condition] = ()) -> Iterator[pl.DataFrame]:
    read = reads.sections_page
    for rows in scope.pages(
        lambda after, n: read(scope.snap, scope.organization_gid, where, after, n)
    ):
        yield keep_found(rows, "project_gid", scope.compacts.projects, "project")


def portfolios(scope: Scope, where: Sequence[Condition] = ()) -> Iterator[pl.DataFrame]:
    snap, refs = scope.snap, scope.compacts
    read = reads.portfolios_page
    for rows in scope.pages(lambda after, n: read(snap, scope.organization_gid, where, after, n)):
        gids = rows["gid"].to_list()
        rows = _status(rows, snap, scope.organization_gid)
        rows = attach(rows, _links(reads.portfolio_members(snap, gids), refs.users, "members"),
                      "members")  # fmt: skip
        items = reads.portfolio_items_of(snap, gids).with_row_index("row")
        projects_ = keep_found(items.drop_nulls("project_gid"), "project_gid", refs.projects,
                               "item")  # fmt: skip
        inner = keep_found(items.filter(pl.col("project_gid").is_null()), "item_portfolio_gid",
                           refs.portfolios, "item")  # fmt: skip
        found = pl.concat([projects_.select("row", "owner", "item"),
                           inner.select("row", "owner", "item")]).sort("row")  # fmt: skip
        rows = attach(rows, gather(found, pl.col("item"), "items"), "items")
        rows = refer(rows, "created_by_gid", refs.users, "created_by")
        rows = refer(rows, "owner_gid", refs.users, "owner")
        yield scope.with_workspace(rows)


def goals(scope: Scope, where: Sequence[Condition] = ()) -> Iterator[pl.DataFrame]:
    snap, refs = scope.snap, scope.compacts
    read = reads.goals_page
    for rows in scope.pages(lambda after, n: read(snap, scope.organization_gid, where, after, n)):
        gids = rows["gid"].to_list()
        rows = _status(rows, snap, scope.organization_gid)
        rows = attach(rows, _likes(reads.goal_likes_of(snap, gids), refs.users), "likes")
        rows = attach(rows, _links(reads.goal_followers_of(snap, gids), refs.users,
                                   "followers"), "followers")  # fmt: skip
        rows = refer(rows, "owner_gid", refs.users, "owner")
        rows = refer(rows, "team_gid", refs.teams, "team")
        yield scope.with_workspace(rows)


def _parents(links: pl.DataFrame, compacts: Compacts) -> pl.DataFrame:
    """`links` (`owner, parent_type, parent_gid`) whose parent is exported, in their
    order, with its compact form as `parent` (a goal's shows its owner too)."""
    indexed = links.with_row_index("row")
    found = []
    for kind in ("project", "portfolio", "team", "goal"):
        of_kind = indexed.filter(pl.col("parent_type") == kind)
        lookup = compacts.of(kind)
        if kind != "goal":
            lookup = lookup.with_columns(goal_like(pl.col(VALUE)).alias(VALUE))
        found.append(keep_found(of_kind, "parent_gid", lookup, "parent"))
    return pl.concat(found).sort("row").drop("row")


def status_updates(scope: Scope) -> Iterator[pl.DataFrame]:
    """Status updates: each has one parent, and is left out when that parent is not
    exported."""
    snap, refs = scope.snap, scope.compacts
    read = reads.status_updates_page
    for rows in scope.pages(lambda after, n: read(snap, scope.organization_gid, after, n)):
        gids = rows["gid"].to_list()
        first = reads.message_links(snap, gids).group_by("owner", maintain_order=True).first()
        parents = _parents(first, refs).rename({"owner": "gid"})
        rows = rows.join(parents, on="gid", how="inner", maintain_order="left")
        rows = attach(rows, _likes(reads.message_likes_of(snap, gids), refs.users), "likes")
        yield refer(rows, "created_by_gid", refs.users, "created_by")


def messages(scope: Scope, where: Sequence[Condition] = (), *, every_status_update: bool = False,
             children: bool = True) -> Iterator[pl.DataFrame]:  # fmt: skip
    """Default messages, with their stories and attachments in compact form, and the status
    updates of teams. A status update is left out when none of its parents is exported.

    A resource export shows every status update as a message (`every_status_update`), and
    reads their stories and attachments itself (`children=False` leaves those lists empty).
    """
    snap, refs = scope.snap, scope.compacts
    read = reads.messages_page
    for rows in scope.pages(lambda after, n: read(snap, scope.organization_gid, where, after, n,
                                             every_status_update=every_status_update)):  # fmt: skip
        gids = rows["gid"].to_list()
        parents = _parents(reads.message_links(snap, gids), refs)
        listed = gather(parents, pl.col("parent"), "parents")
        rows = attach(rows, listed, "parents")
        rows = rows.filter(
            (pl.col("resource_subtype") != "status_update") | (pl.col("parents").list.len() > 0)
        )
        rows = attach(rows, _likes(reads.message_likes_of(snap, gids), refs.users), "likes")
        rows = attach(rows, _links(reads.message_followers_of(snap, gids), refs.users,
                                   "followers"), "followers")  # fmt: skip
        if children:
            own = refer(reads.message_stories(snap, gids, by_creation=False), "created_by_gid",
                        refs.users, "created_by")  # fmt: skip
            story = pl.struct(gid_text(), pl.lit("story").alias("resource_type"), "created_at",
                              "created_by", "resource_subtype", "text")  # fmt: skip
            rows = attach(rows, gather(own, story, "stories"), "stories")
            files = reads.message_attachments(snap, gids, by_creation=False)
            attachment = pl.struct(gid_text(), pl.lit("attachment").alias("resource_type"),
                                   "name", "resource_subtype")  # fmt: skip
            rows = attach(rows, gather(files, attachment, "attachments"), "attachments")
        else:
            rows = rows.with_columns(_empty("stories"), _empty("attachments"))
        yield refer(rows, "created_by_gid", refs.users, "created_by")


def message_targets(scope: Scope, gids: list[int]) -> pl.DataFrame:
    """`key, value`: the compact forms of the exported messages among `gids` as the targets
    of their stories: a status update's as a status update, others as messages."""
    rows = reads.message_targets(scope.snap, scope.organization_gid, gids)
    rows = rows.unique("gid", keep="last", maintain_order=True)
    status = (pl.col("resource_subtype") == "status_update") & pl.col("parent_type").is_in(
        ["project", "portfolio", "goal"]
    )
    return rows.select(
        pl.col("gid").alias(KEY),
        pl.struct(
            gid_text(),
            pl.when(status).then(pl.lit("status_update")).otherwise(pl.lit("message"))
            .alias("resource_type"),
            pl.when(status).then(pl.col("title")).otherwise(None).alias("title"),  # see ABSENT
            pl.when(status).then(pl.col("parent_type") + "_status_update")
            .otherwise(pl.col("resource_subtype")).alias("resource_subtype"),
        ).alias(VALUE),
    )  # fmt: skip


def message_children(scope: Scope, kind: str) -> Iterator[pl.DataFrame]:
    """The stories (`kind` "story") or attachments of the organization's messages, as
    objects of their own: by message, then by gid."""
    snap, users_ = scope.snap, scope.compacts.users
    read = reads.message_gids_page
    for page in scope.pages(lambda after, n: read(snap, scope.organization_gid, after, n)):
        gids = page["gid"].to_list()
        targets = message_targets(scope, gids)
        if kind == "story":
            rows = reads.message_stories(snap, gids, by_creation=False)
            likes = reads.story_likes_of(snap, rows["gid"].to_list())
            yield story_columns(rows, likes, targets, users_).drop("owner")
        else:
            rows = reads.message_attachments(snap, gids, by_creation=False)
            yield attachment_columns(rows, targets).drop("owner")


def goal_relationships(scope: Scope) -> Iterator[pl.DataFrame]:
    """Relationships whose two ends are exported (undeleted, of the organization)."""
    refs, read = scope.compacts, reads.goal_relationships_page
    for rows in scope.pages(lambda after, n: read(scope.snap, scope.organization_gid, after, n)):
        rows = keep_found(rows, "supported_goal_gid", refs.goals, "supported_goal").with_row_index(
            "row"
        )
        found = []
        columns = ("supporting_goal_gid", "supporting_project_gid", "supporting_portfolio_gid")
        lookups = (refs.goals, refs.projects, refs.portfolios)
        for index, (column, lookup) in enumerate(zip(columns, lookups, strict=True)):
            chosen = rows.filter(  # the first column set names the supporting resource
                pl.col(column).is_not_null(), *(pl.col(c).is_null() for c in columns[:index])
            )
            chosen = keep_found(chosen, column, lookup, "supporting_resource")
            found.append(_as_goal_like(chosen, index == 0))
        yield pl.concat(found).sort("row")


def _as_goal_like(rows: pl.DataFrame, is_goal: bool) -> pl.DataFrame:
    """A project's or portfolio's compact form in the struct type of a goal's."""
    if is_goal:
        return rows
    return rows.with_columns(goal_like(pl.col("supporting_resource")).alias("supporting_resource"))


def goal_like(compact: pl.Expr) -> pl.Expr:
    """A named compact form in the struct type of a goal's (which shows its owner), its
    `owner` marked absent (`frames.ABSENT_USER`): the writer leaves the field out."""
    return pl.struct(
        compact.struct.field("gid"), compact.struct.field("resource_type"),
        compact.struct.field("name"), ABSENT_USER.alias("owner"),
    )  # fmt: skip


def allocations(scope: Scope) -> Iterator[pl.DataFrame]:
    read = reads.allocations_page
    yield from scope.pages(lambda after, n: read(scope.snap, scope.organization_gid, after, n))


def time_tracking_entries(scope: Scope) -> Iterator[pl.DataFrame]:
    read = reads.time_entries_page
    yield from scope.pages(lambda after, n: read(scope.snap, scope.organization_gid, after, n))


def lines(frames: Iterator[pl.DataFrame]) -> Iterator[tuple[bytes, int]]:
    """Shaped pages as JSON Lines pieces, fields marked absent left out."""
    for frame in frames:
        for offset in range(0, frame.height, LINES_PER_WRITE):
            piece = frame.slice(offset, LINES_PER_WRITE)
            yield without_absent(ndjson(piece)), piece.height
