"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 16:55:01.152543
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import exportd.store.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column(
            "gid",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("photo", sa.JSON(), nullable=True),
        sa.Column("is_service_account", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("modified_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", exportd.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("gid", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "workspaces",
        sa.Column(
            "gid",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("is_organization", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column(
            "plan",
            sa.Enum(
                "personal",
                "premium",
                "business",
                "enterprise",
                "enterprise_plus",
                name="plan",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("add_ons", sa.JSON(), nullable=False),
        sa.Column("email_domains", sa.JSON(), nullable=False),
        sa.Column("created_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("modified_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", exportd.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("gid", name=op.f("pk_workspaces")),
    )
    op.create_table(
        "access_tokens",
        sa.Column(
            "gid",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("user_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "personal",
                "oauth",
                name="kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", exportd.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", exportd.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_gid"],
            ["users.gid"],
            name=op.f("fk_access_tokens_user_gid_users"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("gid", name=op.f("pk_access_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_access_tokens_token_hash")),
    )
    with op.batch_alter_table("access_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_access_tokens_user_gid"), ["user_gid"], unique=False)

    op.create_table(
        "custom_fields",
        sa.Column(
            "gid",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "workspace_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "created_by_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column(
            "resource_subtype",
            sa.Enum(
                "text",
                "enum",
                "multi_enum",
                "number",
                "date",
                "people",
                name="resource_subtype",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("precision", sa.Integer(), nullable=True),
        sa.Column(
            "format",
            sa.Enum(
                "currency",
                "identifier",
                "percentage",
                "custom",
                "duration",
                "none",
                name="format",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("modified_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", exportd.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_gid"],
            ["users.gid"],
            name=op.f("fk_custom_fields_created_by_gid_users"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["workspace_gid"],
            ["workspaces.gid"],
            name=op.f("fk_custom_fields_workspace_gid_workspaces"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("gid", name=op.f("pk_custom_fields")),
    )
    with op.batch_alter_table("custom_fields", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_custom_fields_workspace_gid"), ["workspace_gid"], unique=False
        )

    op.create_table(
        "messages",
        sa.Column(
            "gid",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "workspace_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "resource_subtype",
            sa.Enum(
                "default",
                "status_update",
                name="resource_subtype",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status_type",
            sa.Enum(
                "on_track",
                "at_risk",
                "off_track",
                "on_hold",
                "complete",
                "achieved",
                "partial",
                "missed",
                "dropped",
                name="status_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("title", sa.String(length=1024), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("html_text", sa.Text(), nullable=False),
        sa.Column(
            "created_by_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("modified_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", exportd.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(resource_subtype = 'status_update') = (status_type IS NOT NULL)",
            name=op.f("ck_messages_status_type_iff_status_update"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_gid"],
            ["users.gid"],
            name=op.f("fk_messages_created_by_gid_users"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["workspace_gid"],
            ["workspaces.gid"],
            name=op.f("fk_messages_workspace_gid_workspaces"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("gid", name=op.f("pk_messages")),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_messages_created_by_gid"), ["created_by_gid"], unique=False
        )
        batch_op.create_index(
            "ix_messages_workspace_created_at", ["workspace_gid", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_messages_workspace_gid_gid", ["workspace_gid", "gid"], unique=False
        )
        batch_op.create_index(
            "ix_messages_workspace_modified_at", ["workspace_gid", "modified_at"], unique=False
        )

    op.create_table(
        "portfolios",
        sa.Column(
            "gid",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "workspace_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("owner_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "created_by_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column(
            "color",
            sa.Enum(
                "dark-pink",
                "dark-green",
                "dark-blue",
                "dark-red",
                "dark-teal",
                "dark-brown",
                "dark-orange",
                "dark-purple",
                "dark-warm-gray",
                "light-pink",
                "light-green",
                "light-blue",
                "light-red",
                "light-teal",
                "light-brown",
                "light-orange",
                "light-purple",
                "light-warm-gray",
                "none",
                name="color",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("archived", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column(
            "privacy_setting",
            sa.Enum(
                "public_to_domain",
                "members_only",
                name="privacy_setting",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "default_access_level",
            sa.Enum(
                "admin",
                "editor",
                "viewer",
                name="default_access_level",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("start_on", sa.Date(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("created_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("modified_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", exportd.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_gid"],
            ["users.gid"],
            name=op.f("fk_portfolios_created_by_gid_users"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["owner_gid"],
            ["users.gid"],
            name=op.f("fk_portfolios_owner_gid_users"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["workspace_gid"],
            ["workspaces.gid"],
            name=op.f("fk_portfolios_workspace_gid_workspaces"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("gid", name=op.f("pk_portfolios")),
    )
    with op.batch_alter_table("portfolios", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_portfolios_workspace_gid"), ["workspace_gid"], unique=False
        )

    op.create_table(
        "tags",
        sa.Column(
            "gid",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "workspace_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column(
            "color",
            sa.Enum(
                "dark-pink",
                "dark-green",
                "dark-blue",
                "dark-red",
                "dark-teal",
                "dark-brown",
                "dark-orange",
                "dark-purple",
                "dark-warm-gray",
                "light-pink",
                "light-green",
                "light-blue",
                "light-red",
                "light-teal",
                "light-brown",
                "light-orange",
                "light-purple",
                "light-warm-gray",
                "none",
                name="color",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("modified_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", exportd.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_gid"],
            ["workspaces.gid"],
            name=op.f("fk_tags_workspace_gid_workspaces"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("gid", name=op.f("pk_tags")),
    )
    with op.batch_alter_table("tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tags_workspace_gid"), ["workspace_gid"], unique=False)

    op.create_table(
        "tasks",
        sa.Column(
            "gid",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "workspace_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "parent_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("name", sa.String(length=1024), nullable=False),
        sa.Column(
            "resource_subtype",
            sa.Enum(
                "default_task",
                "milestone",
                "approval",
                name="resource_subtype",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "approval_status",
            sa.Enum(
                "pending",
                "approved",
                "rejected",
                "changes_requested",
                name="approval_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("html_notes", sa.Text(), nullable=False),
        sa.Column(
            "assignee_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "assigned_by_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "assignee_status",
            sa.Enum(
                "today",
                "upcoming",
                "later",
                "new",
                "inbox",
                name="assignee_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("completed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("completed_at", exportd.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "completed_by_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("start_on", sa.Date(), nullable=True),
        sa.Column("start_at", exportd.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("due_at", exportd.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "created_by_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("modified_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", exportd.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["assigned_by_gid"],
            ["users.gid"],
            name=op.f("fk_tasks_assigned_by_gid_users"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["assignee_gid"],
            ["users.gid"],
            name=op.f("fk_tasks_assignee_gid_users"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["completed_by_gid"],
            ["users.gid"],
            name=op.f("fk_tasks_completed_by_gid_users"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["created_by_gid"],
            ["users.gid"],
            name=op.f("fk_tasks_created_by_gid_users"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["parent_gid"],
            ["tasks.gid"],
            name=op.f("fk_tasks_parent_gid_tasks"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["workspace_gid"],
            ["workspaces.gid"],
            name=op.f("fk_tasks_workspace_gid_workspaces"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("gid", name=op.f("pk_tasks")),
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tasks_assigned_by_gid"), ["assigned_by_gid"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_tasks_assignee_gid"), ["assignee_gid"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_tasks_created_by_gid"), ["created_by_gid"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_tasks_parent_gid"), ["parent_gid"], unique=False)
        batch_op.create_index(
            "ix_tasks_workspace_created_at", ["workspace_gid", "created_at"], unique=False
        )
        batch_op.create_index("ix_tasks_workspace_gid_gid", ["workspace_gid", "gid"], unique=False)
        batch_op.create_index(
            "ix_tasks_workspace_modified_at", ["workspace_gid", "modified_at"], unique=False
        )

    op.create_table(
        "teams",
        sa.Column(
            "gid",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "workspace_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("html_description", sa.Text(), nullable=False),
        sa.Column(
            "visibility",
            sa.Enum(
                "secret",
                "request_to_join",
                "public",
                name="visibility",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("modified_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", exportd.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_gid"],
            ["workspaces.gid"],
            name=op.f("fk_teams_workspace_gid_workspaces"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("gid", name=op.f("pk_teams")),
    )
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_teams_workspace_gid"), ["workspace_gid"], unique=False)

    op.create_table(
        "workspace_memberships",
        sa.Column(
            "gid",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "workspace_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("user_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("is_admin", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("is_guest", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("modified_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", exportd.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_gid"],
            ["users.gid"],
            name=op.f("fk_workspace_memberships_user_gid_users"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["workspace_gid"],
            ["workspaces.gid"],
            name=op.f("fk_workspace_memberships_workspace_gid_workspaces"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("gid", name=op.f("pk_workspace_memberships")),
        sa.UniqueConstraint(
            "workspace_gid",
            "user_gid",
            name=op.f("uq_workspace_memberships_workspace_gid_user_gid"),
        ),
    )
    with op.batch_alter_table("workspace_memberships", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_workspace_memberships_user_gid"), ["user_gid"], unique=False
        )

    op.create_table(
        "attachments",
        sa.Column(
            "gid",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("task_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "message_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("name", sa.String(length=1024), nullable=False),
        sa.Column(
            "resource_subtype",
            sa.Enum(
                "asana",
                "dropbox",
                "gdrive",
                "onedrive",
                "box",
                "vimeo",
                "external",
                name="resource_subtype",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("host", sa.String(length=32), nullable=False),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("permanent_url", sa.String(length=2048), nullable=True),
        sa.Column("connected_to_app", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("modified_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", exportd.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(CASE WHEN task_gid IS NULL THEN 0 ELSE 1 END) + (CASE WHEN message_gid IS NULL THEN 0 ELSE 1 END) = 1",
            name=op.f("ck_attachments_one_parent"),
        ),
        sa.ForeignKeyConstraint(
            ["message_gid"],
            ["messages.gid"],
            name=op.f("fk_attachments_message_gid_messages"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["task_gid"],
            ["tasks.gid"],
            name=op.f("fk_attachments_task_gid_tasks"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("gid", name=op.f("pk_attachments")),
    )
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_attachments_message_gid"), ["message_gid"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_attachments_task_gid"), ["task_gid"], unique=False)

    op.create_table(
        "custom_field_enum_options",
        sa.Column(
            "gid",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "custom_field_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column(
            "color",
            sa.Enum(
                "dark-pink",
                "dark-green",
                "dark-blue",
                "dark-red",
                "dark-teal",
                "dark-brown",
                "dark-orange",
                "dark-purple",
                "dark-warm-gray",
                "light-pink",
                "light-green",
                "light-blue",
                "light-red",
                "light-teal",
                "light-brown",
                "light-orange",
                "light-purple",
                "light-warm-gray",
                "none",
                name="color",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("modified_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", exportd.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["custom_field_gid"],
            ["custom_fields.gid"],
            name=op.f("fk_custom_field_enum_options_custom_field_gid_custom_fields"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("gid", name=op.f("pk_custom_field_enum_options")),
    )
    with op.batch_alter_table("custom_field_enum_options", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_custom_field_enum_options_custom_field_gid"),
            ["custom_field_gid"],
            unique=False,
        )

    op.create_table(
        "goals",
        sa.Column(
            "gid",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "workspace_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("team_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("owner_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("html_notes", sa.Text(), nullable=False),
        sa.Column("start_on", sa.Date(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "green",
                "yellow",
                "red",
                "missed",
                "achieved",
                "partial",
                "dropped",
                name="status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("is_workspace_level", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column(
            "privacy_setting",
            sa.Enum(
                "public_to_workspace",
                "members_only",
                name="privacy_setting",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("modified_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", exportd.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_gid"],
            ["users.gid"],
            name=op.f("fk_goals_owner_gid_users"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["team_gid"],
            ["teams.gid"],
            name=op.f("fk_goals_team_gid_teams"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["workspace_gid"],
            ["workspaces.gid"],
            name=op.f("fk_goals_workspace_gid_workspaces"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("gid", name=op.f("pk_goals")),
    )
    with op.batch_alter_table("goals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_goals_team_gid"), ["team_gid"], unique=False)
        batch_op.create_index(batch_op.f("ix_goals_workspace_gid"), ["workspace_gid"], unique=False)

    op.create_table(
        "message_followers",
        sa.Column(
            "message_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("user_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_gid"],
            ["messages.gid"],
            name=op.f("fk_message_followers_message_gid_messages"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["user_gid"],
            ["users.gid"],
            name=op.f("fk_message_followers_user_gid_users"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("message_gid", "user_gid", name=op.f("pk_message_followers")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("message_followers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_message_followers_user_gid"), ["user_gid"], unique=False
        )

    op.create_table(
        "message_likes",
        sa.Column(
            "gid",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "message_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("user_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_gid"],
            ["messages.gid"],
            name=op.f("fk_message_likes_message_gid_messages"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["user_gid"],
            ["users.gid"],
            name=op.f("fk_message_likes_user_gid_users"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("gid", name=op.f("pk_message_likes")),
        sa.UniqueConstraint(
            "message_gid", "user_gid", name=op.f("uq_message_likes_message_gid_user_gid")
        ),
    )
    with op.batch_alter_table("message_likes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_message_likes_user_gid"), ["user_gid"], unique=False)

    op.create_table(
        "message_parents",
        sa.Column(
            "message_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "parent_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "parent_type",
            sa.Enum(
                "project",
                "portfolio",
                "team",
                "goal",
                name="parent_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["message_gid"],
            ["messages.gid"],
            name=op.f("fk_message_parents_message_gid_messages"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("message_gid", "parent_gid", name=op.f("pk_message_parents")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("message_parents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_message_parents_parent_gid"), ["parent_gid"], unique=False
        )

    op.create_table(
        "portfolio_memberships",
        sa.Column(
            "gid",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "portfolio_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("user_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "access_level",
            sa.Enum(
                "admin",
                "editor",
                "viewer",
                name="access_level",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("modified_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", exportd.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["portfolio_gid"],
            ["portfolios.gid"],
            name=op.f("fk_portfolio_memberships_portfolio_gid_portfolios"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["user_gid"],
            ["users.gid"],
            name=op.f("fk_portfolio_memberships_user_gid_users"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("gid", name=op.f("pk_portfolio_memberships")),
        sa.UniqueConstraint(
            "portfolio_gid",
            "user_gid",
            name=op.f("uq_portfolio_memberships_portfolio_gid_user_gid"),
        ),
    )
    with op.batch_alter_table("portfolio_memberships", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_portfolio_memberships_user_gid"), ["user_gid"], unique=False
        )

    op.create_table(
        "projects",
        sa.Column(
            "gid",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "workspace_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("team_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("owner_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("html_notes", sa.Text(), nullable=False),
        sa.Column(
            "color",
            sa.Enum(
                "dark-pink",
                "dark-green",
                "dark-blue",
                "dark-red",
                "dark-teal",
                "dark-brown",
                "dark-orange",
                "dark-purple",
                "dark-warm-gray",
                "light-pink",
                "light-green",
                "light-blue",
                "light-red",
                "light-teal",
                "light-brown",
                "light-orange",
                "light-purple",
                "light-warm-gray",
                "none",
                name="color",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("archived", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column(
            "privacy_setting",
            sa.Enum(
                "public_to_workspace",
                "private_to_team",
                "private",
                name="privacy_setting",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "default_view",
            sa.Enum(
                "list",
                "board",
                "calendar",
                "timeline",
                name="default_view",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "default_access_level",
            sa.Enum(
                "admin",
                "editor",
                "commenter",
                "viewer",
                name="default_access_level",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("start_on", sa.Date(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("completed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("completed_at", exportd.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "completed_by_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("modified_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", exportd.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["completed_by_gid"],
            ["users.gid"],
            name=op.f("fk_projects_completed_by_gid_users"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["owner_gid"],
            ["users.gid"],
            name=op.f("fk_projects_owner_gid_users"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["team_gid"],
            ["teams.gid"],
            name=op.f("fk_projects_team_gid_teams"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["workspace_gid"],
            ["workspaces.gid"],
            name=op.f("fk_projects_workspace_gid_workspaces"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("gid", name=op.f("pk_projects")),
    )
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_projects_team_gid"), ["team_gid"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_projects_workspace_gid"), ["workspace_gid"], unique=False
        )

    op.create_table(
        "stories",
        sa.Column(
            "gid",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("task_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "message_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "created_by_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "type",
            sa.Enum(
                "comment",
                "system",
                name="type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("resource_subtype", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("html_text", sa.Text(), nullable=True),
        sa.Column("is_pinned", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("is_edited", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column(
            "sticker_name",
            sa.Enum(
                "green_checkmark",
                "people_dancing",
                "dancing_unicorn",
                "heart",
                "party_popper",
                "people_waving_flags",
                "splashing_narwhal",
                "trophy",
                "yeti_riding_unicorn",
                "celebrating_people",
                "determined_climbers",
                "phoenix_spreading_love",
                name="sticker_name",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column(
            "source",
            sa.Enum(
                "web",
                "email",
                "mobile",
                "api",
                "unknown",
                name="source",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.Column("created_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("modified_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", exportd.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(CASE WHEN task_gid IS NULL THEN 0 ELSE 1 END) + (CASE WHEN message_gid IS NULL THEN 0 ELSE 1 END) = 1",
            name=op.f("ck_stories_one_parent"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_gid"],
            ["users.gid"],
            name=op.f("fk_stories_created_by_gid_users"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["message_gid"],
            ["messages.gid"],
            name=op.f("fk_stories_message_gid_messages"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["task_gid"],
            ["tasks.gid"],
            name=op.f("fk_stories_task_gid_tasks"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("gid", name=op.f("pk_stories")),
    )
    with op.batch_alter_table("stories", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stories_created_by_gid"), ["created_by_gid"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_stories_message_gid"), ["message_gid"], unique=False)
        batch_op.create_index(batch_op.f("ix_stories_task_gid"), ["task_gid"], unique=False)

    op.create_table(
        "task_dependencies",
        sa.Column("task_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "dependency_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["dependency_gid"],
            ["tasks.gid"],
            name=op.f("fk_task_dependencies_dependency_gid_tasks"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["task_gid"],
            ["tasks.gid"],
            name=op.f("fk_task_dependencies_task_gid_tasks"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("task_gid", "dependency_gid", name=op.f("pk_task_dependencies")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("task_dependencies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_task_dependencies_dependency_gid"), ["dependency_gid"], unique=False
        )

    op.create_table(
        "task_followers",
        sa.Column("task_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_gid"],
            ["tasks.gid"],
            name=op.f("fk_task_followers_task_gid_tasks"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["user_gid"],
            ["users.gid"],
            name=op.f("fk_task_followers_user_gid_users"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("task_gid", "user_gid", name=op.f("pk_task_followers")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("task_followers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_followers_user_gid"), ["user_gid"], unique=False)

    op.create_table(
        "task_likes",
        sa.Column(
            "gid",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("task_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_gid"],
            ["tasks.gid"],
            name=op.f("fk_task_likes_task_gid_tasks"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["user_gid"],
            ["users.gid"],
            name=op.f("fk_task_likes_user_gid_users"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("gid", name=op.f("pk_task_likes")),
        sa.UniqueConstraint("task_gid", "user_gid", name=op.f("uq_task_likes_task_gid_user_gid")),
    )
    with op.batch_alter_table("task_likes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_likes_user_gid"), ["user_gid"], unique=False)

    op.create_table(
        "task_tags",
        sa.Column("task_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tag_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tag_gid"],
            ["tags.gid"],
            name=op.f("fk_task_tags_tag_gid_tags"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["task_gid"],
            ["tasks.gid"],
            name=op.f("fk_task_tags_task_gid_tasks"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("task_gid", "tag_gid", name=op.f("pk_task_tags")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("task_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_tags_tag_gid"), ["tag_gid"], unique=False)

    op.create_table(
        "team_memberships",
        sa.Column(
            "gid",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("team_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("is_admin", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("is_guest", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("is_limited_access", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("modified_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", exportd.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["team_gid"],
            ["teams.gid"],
            name=op.f("fk_team_memberships_team_gid_teams"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["user_gid"],
            ["users.gid"],
            name=op.f("fk_team_memberships_user_gid_users"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("gid", name=op.f("pk_team_memberships")),
        sa.UniqueConstraint(
            "team_gid", "user_gid", name=op.f("uq_team_memberships_team_gid_user_gid")
        ),
    )
    with op.batch_alter_table("team_memberships", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_team_memberships_user_gid"), ["user_gid"], unique=False
        )

    op.create_table(
        "goal_followers",
        sa.Column("goal_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["goal_gid"],
            ["goals.gid"],
            name=op.f("fk_goal_followers_goal_gid_goals"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["user_gid"],
            ["users.gid"],
            name=op.f("fk_goal_followers_user_gid_users"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("goal_gid", "user_gid", name=op.f("pk_goal_followers")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("goal_followers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_goal_followers_user_gid"), ["user_gid"], unique=False)

    op.create_table(
        "goal_likes",
        sa.Column(
            "gid",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("goal_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["goal_gid"],
            ["goals.gid"],
            name=op.f("fk_goal_likes_goal_gid_goals"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["user_gid"],
            ["users.gid"],
            name=op.f("fk_goal_likes_user_gid_users"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("gid", name=op.f("pk_goal_likes")),
        sa.UniqueConstraint("goal_gid", "user_gid", name=op.f("uq_goal_likes_goal_gid_user_gid")),
    )
    with op.batch_alter_table("goal_likes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_goal_likes_user_gid"), ["user_gid"], unique=False)

    op.create_table(
        "portfolio_items",
        sa.Column(
            "portfolio_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column(
            "project_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "item_portfolio_gid",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.CheckConstraint(
            "(CASE WHEN project_gid IS NULL THEN 0 ELSE 1 END) + (CASE WHEN item_portfolio_gid IS NULL THEN 0 ELSE 1 END) = 1",
            name=op.f("ck_portfolio_items_one_parent"),
        ),
        sa.ForeignKeyConstraint(
            ["item_portfolio_gid"],
            ["portfolios.gid"],
            name=op.f("fk_portfolio_items_item_portfolio_gid_portfolios"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["portfolio_gid"],
            ["portfolios.gid"],
            name=op.f("fk_portfolio_items_portfolio_gid_portfolios"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["project_gid"],
            ["projects.gid"],
            name=op.f("fk_portfolio_items_project_gid_projects"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("portfolio_gid", "position", name=op.f("pk_portfolio_items")),
    )
    with op.batch_alter_table("portfolio_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_portfolio_items_item_portfolio_gid"),
            ["item_portfolio_gid"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_portfolio_items_project_gid"), ["project_gid"], unique=False
        )

    op.create_table(
        "project_custom_field_settings",
        sa.Column(
            "project_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "custom_field_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("is_important", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["custom_field_gid"],
            ["custom_fields.gid"],
            name=op.f("fk_project_custom_field_settings_custom_field_gid_custom_fields"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["project_gid"],
            ["projects.gid"],
            name=op.f("fk_project_custom_field_settings_project_gid_projects"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint(
            "project_gid", "custom_field_gid", name=op.f("pk_project_custom_field_settings")
        ),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "project_followers",
        sa.Column(
            "project_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("user_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_gid"],
            ["projects.gid"],
            name=op.f("fk_project_followers_project_gid_projects"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["user_gid"],
            ["users.gid"],
            name=op.f("fk_project_followers_user_gid_users"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("project_gid", "user_gid", name=op.f("pk_project_followers")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("project_followers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_project_followers_user_gid"), ["user_gid"], unique=False
        )

    op.create_table(
        "project_memberships",
        sa.Column(
            "gid",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "project_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("user_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "access_level",
            sa.Enum(
                "admin",
                "editor",
                "commenter",
                "viewer",
                name="access_level",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("modified_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", exportd.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_gid"],
            ["projects.gid"],
            name=op.f("fk_project_memberships_project_gid_projects"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["user_gid"],
            ["users.gid"],
            name=op.f("fk_project_memberships_user_gid_users"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("gid", name=op.f("pk_project_memberships")),
        sa.UniqueConstraint(
            "project_gid", "user_gid", name=op.f("uq_project_memberships_project_gid_user_gid")
        ),
    )
    with op.batch_alter_table("project_memberships", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_project_memberships_user_gid"), ["user_gid"], unique=False
        )

    op.create_table(
        "sections",
        sa.Column(
            "gid",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "project_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("modified_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", exportd.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_gid"],
            ["projects.gid"],
            name=op.f("fk_sections_project_gid_projects"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("gid", name=op.f("pk_sections")),
    )
    with op.batch_alter_table("sections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sections_project_gid"), ["project_gid"], unique=False)

    op.create_table(
        "story_likes",
        sa.Column(
            "gid",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "story_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("user_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["story_gid"],
            ["stories.gid"],
            name=op.f("fk_story_likes_story_gid_stories"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["user_gid"],
            ["users.gid"],
            name=op.f("fk_story_likes_user_gid_users"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("gid", name=op.f("pk_story_likes")),
        sa.UniqueConstraint(
            "story_gid", "user_gid", name=op.f("uq_story_likes_story_gid_user_gid")
        ),
    )
    with op.batch_alter_table("story_likes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_story_likes_user_gid"), ["user_gid"], unique=False)

    op.create_table(
        "task_custom_field_values",
        sa.Column("task_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "custom_field_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("text_value", sa.Text(), nullable=True),
        sa.Column("number_value", sa.Float(), nullable=True),
        sa.Column("date_value", sa.Date(), nullable=True),
        sa.Column(
            "enum_option_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("multi_enum_option_gids", sa.JSON(), nullable=True),
        sa.Column("people_gids", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["custom_field_gid"],
            ["custom_fields.gid"],
            name=op.f("fk_task_custom_field_values_custom_field_gid_custom_fields"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["enum_option_gid"],
            ["custom_field_enum_options.gid"],
            name=op.f("fk_task_custom_field_values_enum_option_gid_custom_field_enum_options"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["task_gid"],
            ["tasks.gid"],
            name=op.f("fk_task_custom_field_values_task_gid_tasks"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint(
            "task_gid", "custom_field_gid", name=op.f("pk_task_custom_field_values")
        ),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "task_memberships",
        sa.Column("task_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "project_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "section_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["project_gid"],
            ["projects.gid"],
            name=op.f("fk_task_memberships_project_gid_projects"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["section_gid"],
            ["sections.gid"],
            name=op.f("fk_task_memberships_section_gid_sections"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["task_gid"],
            ["tasks.gid"],
            name=op.f("fk_task_memberships_task_gid_tasks"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("task_gid", "project_gid", name=op.f("pk_task_memberships")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("task_memberships", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_task_memberships_project_gid"), ["project_gid"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("task_memberships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_memberships_project_gid"))

    op.drop_table("task_memberships")
    op.drop_table("task_custom_field_values")
    with op.batch_alter_table("story_likes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_story_likes_user_gid"))

    op.drop_table("story_likes")
    with op.batch_alter_table("sections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sections_project_gid"))

    op.drop_table("sections")
    with op.batch_alter_table("project_memberships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_memberships_user_gid"))

    op.drop_table("project_memberships")
    with op.batch_alter_table("project_followers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_followers_user_gid"))

    op.drop_table("project_followers")
    op.drop_table("project_custom_field_settings")
    with op.batch_alter_table("portfolio_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portfolio_items_project_gid"))
        batch_op.drop_index(batch_op.f("ix_portfolio_items_item_portfolio_gid"))

    op.drop_table("portfolio_items")
    with op.batch_alter_table("goal_likes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_goal_likes_user_gid"))

    op.drop_table("goal_likes")
    with op.batch_alter_table("goal_followers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_goal_followers_user_gid"))

    op.drop_table("goal_followers")
    with op.batch_alter_table("team_memberships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_memberships_user_gid"))

    op.drop_table("team_memberships")
    with op.batch_alter_table("task_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_tags_tag_gid"))

    op.drop_table("task_tags")
    with op.batch_alter_table("task_likes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_likes_user_gid"))

    op.drop_table("task_likes")
    with op.batch_alter_table("task_followers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_followers_user_gid"))

    op.drop_table("task_followers")
    with op.batch_alter_table("task_dependencies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_dependencies_dependency_gid"))

    op.drop_table("task_dependencies")
    with op.batch_alter_table("stories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stories_task_gid"))
        batch_op.drop_index(batch_op.f("ix_stories_message_gid"))
        batch_op.drop_index(batch_op.f("ix_stories_created_by_gid"))

    op.drop_table("stories")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_projects_workspace_gid"))
        batch_op.drop_index(batch_op.f("ix_projects_team_gid"))

    op.drop_table("projects")
    with op.batch_alter_table("portfolio_memberships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portfolio_memberships_user_gid"))

    op.drop_table("portfolio_memberships")
    with op.batch_alter_table("message_parents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_parents_parent_gid"))

    op.drop_table("message_parents")
    with op.batch_alter_table("message_likes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_likes_user_gid"))

    op.drop_table("message_likes")
    with op.batch_alter_table("message_followers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_followers_user_gid"))

    op.drop_table("message_followers")
    with op.batch_alter_table("goals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_goals_workspace_gid"))
        batch_op.drop_index(batch_op.f("ix_goals_team_gid"))

    op.drop_table("goals")
    with op.batch_alter_table("custom_field_enum_options", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_custom_field_enum_options_custom_field_gid"))

    op.drop_table("custom_field_enum_options")
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachments_task_gid"))
        batch_op.drop_index(batch_op.f("ix_attachments_message_gid"))

    op.drop_table("attachments")
    with op.batch_alter_table("workspace_memberships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workspace_memberships_user_gid"))

    op.drop_table("workspace_memberships")
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_teams_workspace_gid"))

    op.drop_table("teams")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_workspace_modified_at")
        batch_op.drop_index("ix_tasks_workspace_gid_gid")
        batch_op.drop_index("ix_tasks_workspace_created_at")
        batch_op.drop_index(batch_op.f("ix_tasks_parent_gid"))
        batch_op.drop_index(batch_op.f("ix_tasks_created_by_gid"))
        batch_op.drop_index(batch_op.f("ix_tasks_assignee_gid"))
        batch_op.drop_index(batch_op.f("ix_tasks_assigned_by_gid"))

    op.drop_table("tasks")
    with op.batch_alter_table("tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tags_workspace_gid"))

    op.drop_table("tags")
    with op.batch_alter_table("portfolios", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portfolios_workspace_gid"))

    op.drop_table("portfolios")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_workspace_modified_at")
        batch_op.drop_index("ix_messages_workspace_gid_gid")
        batch_op.drop_index("ix_messages_workspace_created_at")
        batch_op.drop_index(batch_op.f("ix_messages_created_by_gid"))

    op.drop_table("messages")
    with op.batch_alter_table("custom_fields", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_custom_fields_workspace_gid"))

    op.drop_table("custom_fields")
    with op.batch_alter_table("access_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_tokens_user_gid"))

    op.drop_table("access_tokens")
    op.drop_table("workspaces")
    op.drop_table("users")
