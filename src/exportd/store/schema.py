"""The schema of an organization's work data, as SQLAlchemy Core tables.

Field names and enums follow the reference spec (`asana_oas.yaml`). Every object has a
`gid`, `created_at`, `modified_at` and `deleted_at` (soft deletion: exports leave deleted
objects out). Relations with several members (followers, likes, tags, memberships) live in
tables of their own, so the export engine can fetch them for a whole batch in one query.
Indexes are the ones exports, filters and visibility checks need.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.sql.schema import SchemaItem

from exportd.domain import vocabulary as v
from exportd.store.types import Gid, UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_N_label)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


# Column builders: each says once what every table of its kind has.


def _gid() -> Column[int]:
    return Column("gid", Gid, primary_key=True, autoincrement=False)


def _ref(name: str, table: str, *, nullable: bool = True, index: bool = False) -> Column[int]:
    """A reference to another object by gid, enforced by a foreign key."""
    return Column(name, Gid, _fk(f"{table}.gid"), nullable=nullable, index=index)


def _fk(target: str) -> ForeignKey:
    """Checked at once, but deferrable: an import may load objects before what they reference
    (`SET CONSTRAINTS ALL DEFERRED` / `PRAGMA defer_foreign_keys`) and is checked at commit."""
    return ForeignKey(target, deferrable=True, initially="IMMEDIATE")


def _enum(name: str, values: tuple[str, ...], *, nullable: bool = False) -> Column[str]:
    """A string column limited to `values` by a CHECK constraint (portable, easy to migrate)."""
    kind = Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)
    return Column(name, kind, nullable=nullable)


def _flag(name: str) -> Column[bool]:
    return Column(name, Boolean, nullable=False, server_default=false())


def _lifecycle() -> list[SchemaItem]:
    return [
        Column("created_at", UTCDateTime, nullable=False),
        Column("modified_at", UTCDateTime, nullable=False),
        Column("deleted_at", UTCDateTime, nullable=True),
    ]


def _link(name: str, left: str, right: str, *, right_column: str = "user_gid") -> Table:
    """A plain many-to-many relation (followers, tags, dependencies)."""
    return Table(
        name,
        metadata,
        Column(f"{left}_gid", Gid, _fk(f"{left}s.gid"), primary_key=True),
        Column(right_column, Gid, _fk(f"{right}.gid"), primary_key=True, index=True),
        sqlite_with_rowid=False,
    )


def _likes(name: str, parent: str, parent_table: str) -> Table:
    """Likes (hearts) of an object: each like has its own gid in the API (`Like`)."""
    return Table(
        name,
        metadata,
        _gid(),
        _ref(f"{parent}_gid", parent_table, nullable=False),
        _ref("user_gid", "users", nullable=False, index=True),
        Column("created_at", UTCDateTime, nullable=False),
        UniqueConstraint(f"{parent}_gid", "user_gid"),
    )


def _exactly_one(*columns: str) -> CheckConstraint:
    """A row that belongs to exactly one of several parents."""
    nonnull = " + ".join(f"(CASE WHEN {c} IS NULL THEN 0 ELSE 1 END)" for c in columns)
    return CheckConstraint(f"{nonnull} = 1", name="one_parent")


# Organizations and people.

workspaces = Table(
    "workspaces",
    metadata,
    _gid(),
    Column("name", String(255), nullable=False),
    _flag("is_organization"),
    _enum("plan", v.PLAN_TIERS),
    Column("add_ons", JSON, nullable=False, default=list),
    Column("email_domains", JSON, nullable=False, default=list),
    *_lifecycle(),
)

users = Table(
    "users",
    metadata,
    _gid(),
    Column("name", String(255), nullable=False),
    Column("email", String(320), nullable=False, unique=True),
    Column("photo", JSON(none_as_null=True), nullable=True),
    _flag("is_service_account"),
    *_lifecycle(),
    # argon2 hash of the password people sign in with (OAuth); None: cannot sign in.
    Column("password_hash", String(255), nullable=True),
)

workspace_memberships = Table(
    "workspace_memberships",
    metadata,
    _gid(),
    _ref("workspace_gid", "workspaces", nullable=False),
    _ref("user_gid", "users", nullable=False, index=True),
    _flag("is_admin"),
    _flag("is_guest"),
    Column("is_active", Boolean, nullable=False, default=True),
    *_lifecycle(),
    UniqueConstraint("workspace_gid", "user_gid"),
)

access_tokens = Table(
    "access_tokens",
    metadata,
    _gid(),
    _ref("user_gid", "users", nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("name", String(255), nullable=False),
    _enum("kind", ("personal", "oauth")),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
)

# Teams, projects, portfolios, goals, tags, custom fields.

teams = Table(
    "teams",
    metadata,
    _gid(),
    _ref("workspace_gid", "workspaces", nullable=False, index=True),
    Column("name", String(255), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("html_description", Text, nullable=False, default=""),
    _enum("visibility", v.TEAM_VISIBILITIES),
    *_lifecycle(),
)

team_memberships = Table(
    "team_memberships",
    metadata,
    _gid(),
    _ref("team_gid", "teams", nullable=False),
    _ref("user_gid", "users", nullable=False, index=True),
    _flag("is_admin"),
    _flag("is_guest"),
    _flag("is_limited_access"),
    *_lifecycle(),
    UniqueConstraint("team_gid", "user_gid"),
)

projects = Table(
    "projects",
    metadata,
    _gid(),
    _ref("workspace_gid", "workspaces", nullable=False, index=True),
    _ref("team_gid", "teams", index=True),
    _ref("owner_gid", "users"),
    Column("name", String(255), nullable=False),
    Column("notes", Text, nullable=False, default=""),
    Column("html_notes", Text, nullable=False, default=""),
    _enum("color", v.COLORS, nullable=True),
    _flag("archived"),
    _enum("privacy_setting", v.PROJECT_PRIVACY_SETTINGS),
    _enum("default_view", v.PROJECT_DEFAULT_VIEWS),
    _enum("default_access_level", v.PROJECT_ACCESS_LEVELS),
    Column("start_on", Date, nullable=True),
    Column("due_on", Date, nullable=True),
    _flag("completed"),
    Column("completed_at", UTCDateTime, nullable=True),
    _ref("completed_by_gid", "users"),
    *_lifecycle(),
)

project_memberships = Table(
    "project_memberships",
    metadata,
    _gid(),
    _ref("project_gid", "projects", nullable=False),
    _ref("user_gid", "users", nullable=False, index=True),
    _enum("access_level", v.PROJECT_ACCESS_LEVELS),
    *_lifecycle(),
    UniqueConstraint("project_gid", "user_gid"),
)

project_followers = _link("project_followers", "project", "users")

sections = Table(
    "sections",
    metadata,
    _gid(),
    _ref("project_gid", "projects", nullable=False, index=True),
    Column("name", String(255), nullable=False),
    Column("position", Integer, nullable=False),
    *_lifecycle(),
)

portfolios = Table(
    "portfolios",
    metadata,
    _gid(),
    _ref("workspace_gid", "workspaces", nullable=False, index=True),
    _ref("owner_gid", "users"),
    _ref("created_by_gid", "users"),
    Column("name", String(255), nullable=False),
    _enum("color", v.COLORS, nullable=True),
    _flag("archived"),
    _enum("privacy_setting", v.PORTFOLIO_PRIVACY_SETTINGS),
    _enum("default_access_level", v.PORTFOLIO_ACCESS_LEVELS),
    Column("start_on", Date, nullable=True),
    Column("due_on", Date, nullable=True),
    *_lifecycle(),
)

portfolio_items = Table(
    "portfolio_items",
    metadata,
    Column("portfolio_gid", Gid, _fk("portfolios.gid"), primary_key=True),
    Column("position", Integer, primary_key=True, autoincrement=False),
    _ref("project_gid", "projects", index=True),
    _ref("item_portfolio_gid", "portfolios", index=True),
    _exactly_one("project_gid", "item_portfolio_gid"),
)

portfolio_memberships = Table(
    "portfolio_memberships",
    metadata,
    _gid(),
    _ref("portfolio_gid", "portfolios", nullable=False),
    _ref("user_gid", "users", nullable=False, index=True),
    _enum("access_level", v.PORTFOLIO_ACCESS_LEVELS),
    *_lifecycle(),
    UniqueConstraint("portfolio_gid", "user_gid"),
)

goals = Table(
    "goals",
    metadata,
    _gid(),
    _ref("workspace_gid", "workspaces", nullable=False, index=True),
    _ref("team_gid", "teams", index=True),
    _ref("owner_gid", "users"),
    Column("name", String(255), nullable=False),
    Column("notes", Text, nullable=False, default=""),
    Column("html_notes", Text, nullable=False, default=""),
    Column("start_on", Date, nullable=True),
    Column("due_on", Date, nullable=True),
    _enum("status", v.GOAL_STATUSES, nullable=True),
    _flag("is_workspace_level"),
    _enum("privacy_setting", v.GOAL_PRIVACY_SETTINGS),
    *_lifecycle(),
)

goal_relationships = Table(
    # What supports a goal: another goal (a subgoal), a project or a portfolio.
    "goal_relationships",
    metadata,
    _gid(),
    _ref("supported_goal_gid", "goals", nullable=False, index=True),
    _enum("resource_subtype", v.GOAL_RELATIONSHIP_SUBTYPES),
    _ref("supporting_goal_gid", "goals", index=True),
    _ref("supporting_project_gid", "projects", index=True),
    _ref("supporting_portfolio_gid", "portfolios", index=True),
    Column("contribution_weight", Float, nullable=False, default=1.0),
    *_lifecycle(),
    _exactly_one("supporting_goal_gid", "supporting_project_gid", "supporting_portfolio_gid"),
)

goal_followers = _link("goal_followers", "goal", "users")
goal_likes = _likes("goal_likes", "goal", "goals")

tags = Table(
    "tags",
    metadata,
    _gid(),
    _ref("workspace_gid", "workspaces", nullable=False, index=True),
    Column("name", String(255), nullable=False),
    _enum("color", v.COLORS, nullable=True),
    Column("notes", Text, nullable=False, default=""),
    *_lifecycle(),
)

custom_fields = Table(
    "custom_fields",
    metadata,
    _gid(),
    _ref("workspace_gid", "workspaces", nullable=False, index=True),
    _ref("created_by_gid", "users"),
    Column("name", String(255), nullable=False),
    _enum("resource_subtype", v.CUSTOM_FIELD_TYPES),
    Column("description", Text, nullable=False, default=""),
    Column("precision", Integer, nullable=True),
    _enum("format", v.CUSTOM_FIELD_FORMATS),
    Column("enabled", Boolean, nullable=False, default=True),
    *_lifecycle(),
)

custom_field_enum_options = Table(
    "custom_field_enum_options",
    metadata,
    _gid(),
    _ref("custom_field_gid", "custom_fields", nullable=False, index=True),
    Column("name", String(255), nullable=False),
    _enum("color", v.COLORS, nullable=True),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("position", Integer, nullable=False),
    *_lifecycle(),
)

project_custom_field_settings = Table(
    "project_custom_field_settings",
    metadata,
    Column("project_gid", Gid, _fk("projects.gid"), primary_key=True),
    Column("custom_field_gid", Gid, _fk("custom_fields.gid"), primary_key=True),
    _flag("is_important"),
    sqlite_with_rowid=False,
)

# Tasks and what hangs off them.

tasks = Table(
    "tasks",
    metadata,
    _gid(),
    _ref("workspace_gid", "workspaces", nullable=False),
    _ref("parent_gid", "tasks", index=True),
    Column("name", String(1024), nullable=False),
    _enum("resource_subtype", v.TASK_SUBTYPES),
    _enum("approval_status", v.APPROVAL_STATUSES, nullable=True),
    Column("notes", Text, nullable=False, default=""),
    Column("html_notes", Text, nullable=False, default=""),
    _ref("assignee_gid", "users", index=True),
    _ref("assigned_by_gid", "users", index=True),
    _enum("assignee_status", v.ASSIGNEE_STATUSES, nullable=True),
    _flag("completed"),
    Column("completed_at", UTCDateTime, nullable=True),
    _ref("completed_by_gid", "users"),
    Column("start_on", Date, nullable=True),
    Column("start_at", UTCDateTime, nullable=True),
    Column("due_on", Date, nullable=True),
    Column("due_at", UTCDateTime, nullable=True),
    _ref("created_by_gid", "users", index=True),
    *_lifecycle(),
    Index("ix_tasks_workspace_created_at", "workspace_gid", "created_at"),
    Index("ix_tasks_workspace_modified_at", "workspace_gid", "modified_at"),
    Index("ix_tasks_workspace_gid_gid", "workspace_gid", "gid"),
)

task_memberships = Table(
    "task_memberships",
    metadata,
    Column("task_gid", Gid, _fk("tasks.gid"), primary_key=True),
    Column("project_gid", Gid, _fk("projects.gid"), primary_key=True, index=True),
    _ref("section_gid", "sections"),
    sqlite_with_rowid=False,
)

task_followers = _link("task_followers", "task", "users")
task_tags = _link("task_tags", "task", "tags", right_column="tag_gid")
task_dependencies = _link("task_dependencies", "task", "tasks", right_column="dependency_gid")
task_likes = _likes("task_likes", "task", "tasks")

task_custom_field_values = Table(
    "task_custom_field_values",
    metadata,
    Column("task_gid", Gid, _fk("tasks.gid"), primary_key=True),
    Column("custom_field_gid", Gid, _fk("custom_fields.gid"), primary_key=True),
    Column("text_value", Text, nullable=True),
    Column("number_value", Float, nullable=True),
    Column("date_value", Date, nullable=True),
    _ref("enum_option_gid", "custom_field_enum_options"),
    Column("multi_enum_option_gids", JSON(none_as_null=True), nullable=True),
    Column("people_gids", JSON(none_as_null=True), nullable=True),
    sqlite_with_rowid=False,
)

# Resource management: people allocated to projects, time tracked on tasks.

allocations = Table(
    "allocations",
    metadata,
    _gid(),
    _ref("workspace_gid", "workspaces", nullable=False),
    _ref("project_gid", "projects", nullable=False, index=True),  # the allocation's parent
    _ref("assignee_gid", "users", index=True),
    _ref("created_by_gid", "users"),
    _enum("resource_subtype", v.ALLOCATION_SUBTYPES),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),
    _enum("effort_type", v.EFFORT_TYPES, nullable=True),  # no effort: both NULL
    Column("effort_value", Float, nullable=True),
    *_lifecycle(),
)

time_tracking_entries = Table(
    "time_tracking_entries",
    metadata,
    _gid(),
    _ref("workspace_gid", "workspaces", nullable=False),
    _ref("task_gid", "tasks", nullable=False, index=True),
    _ref("attributable_to_gid", "projects"),
    _ref("created_by_gid", "users"),
    Column("duration_minutes", Integer, nullable=False),
    Column("entered_on", Date, nullable=False),
    _enum("approval_status", v.TIME_APPROVAL_STATUSES),
    _enum("billable_status", v.BILLABLE_STATUSES),
    Column("description", Text, nullable=False, default=""),
    *_lifecycle(),
    CheckConstraint("duration_minutes > 0", name="positive_duration"),
)

# Messages and status updates (one table: seed 002 exports them as one resource type).

messages = Table(
    "messages",
    metadata,
    _gid(),
    _ref("workspace_gid", "workspaces", nullable=False),
    _enum("resource_subtype", v.MESSAGE_SUBTYPES),
    _enum("status_type", v.STATUS_TYPES, nullable=True),
    Column("title", String(1024), nullable=False, default=""),
    Column("text", Text, nullable=False, default=""),
    Column("html_text", Text, nullable=False, default=""),
    _ref("created_by_gid", "users", index=True),
    *_lifecycle(),
    CheckConstraint(
        "(resource_subtype = 'status_update') = (status_type IS NOT NULL)",
        name="status_type_iff_status_update",
    ),
    Index("ix_messages_workspace_gid_gid", "workspace_gid", "gid"),
    Index("ix_messages_workspace_created_at", "workspace_gid", "created_at"),
    Index("ix_messages_workspace_modified_at", "workspace_gid", "modified_at"),
)

message_parents = Table(
    # The parent may be a project, portfolio, team or goal: a polymorphic reference that no
    # single foreign key can check, so writers (store.writes) verify it instead.
    "message_parents",
    metadata,
    Column("message_gid", Gid, _fk("messages.gid"), primary_key=True),
    Column("parent_gid", Gid, primary_key=True, index=True),
    _enum("parent_type", v.MESSAGE_PARENT_TYPES),
    sqlite_with_rowid=False,
)

message_followers = _link("message_followers", "message", "users")
message_likes = _likes("message_likes", "message", "messages")

# Stories and attachments belong to a task or a message.

stories = Table(
    "stories",
    metadata,
    _gid(),
    _ref("task_gid", "tasks", index=True),
    _ref("message_gid", "messages", index=True),
    _ref("created_by_gid", "users", index=True),
    _enum("type", v.STORY_TYPES),
    Column("resource_subtype", String(64), nullable=False),
    Column("text", Text, nullable=False, default=""),
    Column("html_text", Text, nullable=True),
    _flag("is_pinned"),
    _flag("is_edited"),
    _enum("sticker_name", v.STICKER_NAMES, nullable=True),
    _enum("source", v.STORY_SOURCES),
    # Subtype-specific values of system stories (old_name, new_name, …), kept as given.
    Column("details", JSON(none_as_null=True), nullable=True),
    *_lifecycle(),
    _exactly_one("task_gid", "message_gid"),
)

story_likes = _likes("story_likes", "story", "stories")

attachments = Table(
    "attachments",
    metadata,
    _gid(),
    _ref("task_gid", "tasks", index=True),
    _ref("message_gid", "messages", index=True),
    Column("name", String(1024), nullable=False),
    _enum("resource_subtype", v.ATTACHMENT_SUBTYPES),
    Column("host", String(32), nullable=False),
    Column("size", Integer, nullable=True),
    Column("permanent_url", String(2048), nullable=True),
    _flag("connected_to_app"),
    *_lifecycle(),
    _exactly_one("task_gid", "message_gid"),
)

# Exports and their jobs. The row is the source of truth for the API; workers claim a row
# with a lease they renew by heartbeat, so a job whose worker died is found and retried.

_RESOURCE_EXPORT_IN_PROGRESS = text("kind = 'resource' AND state IN ('pending', 'started')")
_ORGANIZATION_EXPORT_IN_PROGRESS = text("kind = 'organization' AND state IN ('pending', 'started')")
_GRAPH_EXPORT_IN_PROGRESS = text("kind = 'graph' AND state IN ('pending', 'started')")

exports = Table(
    "exports",
    metadata,
    _gid(),
    _enum("kind", v.EXPORT_KINDS),
    Column("job_gid", Gid, nullable=True, unique=True),  # resource and graph exports
    _ref("workspace_gid", "workspaces", nullable=False),
    _ref("created_by_gid", "users", nullable=False),
    Column("parent_gid", Gid, nullable=True),  # graph exports: the goal, team, … exported
    Column("parameters", JSON, nullable=False, default=dict),
    _enum("state", v.EXPORT_STATES),
    Column("attempts", Integer, nullable=False, default=0),
    Column("max_attempts", Integer, nullable=False, default=3),
    Column("lease_owner", String(64), nullable=True),
    # started: when the lease ends; pending after a failure: when the retry may start
    Column("lease_expires_at", UTCDateTime, nullable=True),
    Column("progress_objects", BigInteger, nullable=False, default=0),
    Column("error_reason", Text, nullable=True),
    Column("file_key", String(255), nullable=True),
    Column("file_size", BigInteger, nullable=True),
    Column("line_count", BigInteger, nullable=True),
    Column("file_sha256", String(64), nullable=True),  # hex, of the stored (gzip) bytes
    Column("created_at", UTCDateTime, nullable=False),
    Column("started_at", UTCDateTime, nullable=True),
    Column("completed_at", UTCDateTime, nullable=True),
    Column("file_deleted_at", UTCDateTime, nullable=True),
    Index("ix_exports_state_created_at", "state", "created_at"),
    Index("ix_exports_workspace_state", "workspace_gid", "state"),
    # R9: one resource export in progress per workspace, held by the database itself so it
    # stands under concurrent requests and across API processes.
    Index(
        "uq_exports_one_resource_export_in_progress",
        "workspace_gid",
        unique=True,
        sqlite_where=_RESOURCE_EXPORT_IN_PROGRESS,
        postgresql_where=_RESOURCE_EXPORT_IN_PROGRESS,
    ),
    # And one organization export in progress per organization, the same way.
    Index(
        "uq_exports_one_organization_export_in_progress",
        "workspace_gid",
        unique=True,
        sqlite_where=_ORGANIZATION_EXPORT_IN_PROGRESS,
        postgresql_where=_ORGANIZATION_EXPORT_IN_PROGRESS,
    ),
    # And one graph export in progress per parent and requester (G1; each requester's file
    # holds what they can see), so a repeat request finds the one in progress.
    Index(
        "uq_exports_one_graph_export_in_progress",
        "parent_gid",
        "created_by_gid",
        unique=True,
        sqlite_where=_GRAPH_EXPORT_IN_PROGRESS,
        postgresql_where=_GRAPH_EXPORT_IN_PROGRESS,
    ),
    # A finished graph export of the same parent, for the cache (G1).
    Index("ix_exports_parent_gid_created_by_gid", "parent_gid", "created_by_gid"),
)

# OAuth 2.0 (C4): registered apps, the grants users give them, and failed sign-ins. Codes,
# refresh tokens and client secrets are stored only as SHA-256 hashes, like access tokens.

oauth_apps = Table(
    "oauth_apps",
    metadata,
    _gid(),  # the app's client_id
    Column("name", String(255), nullable=False),
    Column("client_secret_hash", String(64), nullable=False),
    Column("redirect_uris", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("deleted_at", UTCDateTime, nullable=True),
)

oauth_grants = Table(
    # One "Allow": its authorization code, then the refresh token the code was exchanged for.
    "oauth_grants",
    metadata,
    _gid(),
    _ref("app_gid", "oauth_apps", nullable=False, index=True),
    _ref("user_gid", "users", nullable=False, index=True),
    Column("scope", String(255), nullable=False),
    Column("redirect_uri", String(2048), nullable=False),
    Column("code_hash", String(64), nullable=False, unique=True),
    Column("code_challenge", String(128), nullable=True),  # PKCE, S256
    Column("code_expires_at", UTCDateTime, nullable=False),
    Column("code_used_at", UTCDateTime, nullable=True),
    Column("refresh_token_hash", String(64), nullable=True, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
)

oauth_grant_tokens = Table(
    # Which access tokens a grant issued, so revoking the grant revokes them all.
    "oauth_grant_tokens",
    metadata,
    Column("access_token_gid", Gid, _fk("access_tokens.gid"), primary_key=True),
    _ref("grant_gid", "oauth_grants", nullable=False, index=True),
)

sign_in_throttles = Table(
    # Failed sign-ins counted per email and per client IP over a window, to refuse guessing
    # (429). One row per key, incremented in one statement before a password is checked.
    "sign_in_throttles",
    metadata,
    Column("key", String(400), primary_key=True),  # "email:<email>" or "ip:<address>"
    Column("failures", Integer, nullable=False),
    Column("window_started_at", UTCDateTime, nullable=False, index=True),
)

oauth_sessions = Table(
    # Sign-ins on the OAuth pages. The cookie carries a random id, stored only as its
    # SHA-256, so signing out, a new password or a removed account ends a session for good.
    "oauth_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    _ref("user_gid", "users", nullable=False, index=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False, index=True),
    Column("ended_at", UTCDateTime, nullable=True),
)
