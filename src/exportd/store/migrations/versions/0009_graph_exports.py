"""graph exports: goal relationships, allocations, time tracking

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 12:59:09.543933

Graph exports (G1) reach what lies beneath a goal through its relationships, and write the
allocations of projects and the time tracked on tasks. An export row records its parent, and
a partial unique index keeps one graph export of a parent in progress per requester.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import exportd.store.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "allocations",
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
            "project_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "assignee_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "created_by_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "resource_subtype",
            sa.Enum(
                "project_allocation",
                name="resource_subtype",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column(
            "effort_type",
            sa.Enum(
                "hours",
                "percent",
                name="effort_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("effort_value", sa.Float(), nullable=True),
        sa.Column("created_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("modified_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", exportd.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignee_gid"],
            ["users.gid"],
            name=op.f("fk_allocations_assignee_gid_users"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["created_by_gid"],
            ["users.gid"],
            name=op.f("fk_allocations_created_by_gid_users"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["project_gid"],
            ["projects.gid"],
            name=op.f("fk_allocations_project_gid_projects"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["workspace_gid"],
            ["workspaces.gid"],
            name=op.f("fk_allocations_workspace_gid_workspaces"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("gid", name=op.f("pk_allocations")),
    )
    with op.batch_alter_table("allocations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_allocations_assignee_gid"), ["assignee_gid"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_allocations_project_gid"), ["project_gid"], unique=False
        )

    op.create_table(
        "goal_relationships",
        sa.Column(
            "gid",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "supported_goal_gid",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "resource_subtype",
            sa.Enum(
                "subgoal",
                "supporting_work",
                name="resource_subtype",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "supporting_goal_gid",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column(
            "supporting_project_gid",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column(
            "supporting_portfolio_gid",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("contribution_weight", sa.Float(), nullable=False),
        sa.Column("created_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("modified_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", exportd.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(CASE WHEN supporting_goal_gid IS NULL THEN 0 ELSE 1 END) + (CASE WHEN supporting_project_gid IS NULL THEN 0 ELSE 1 END) + (CASE WHEN supporting_portfolio_gid IS NULL THEN 0 ELSE 1 END) = 1",
            name=op.f("ck_goal_relationships_one_parent"),
        ),
        sa.ForeignKeyConstraint(
            ["supported_goal_gid"],
            ["goals.gid"],
            name=op.f("fk_goal_relationships_supported_goal_gid_goals"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["supporting_goal_gid"],
            ["goals.gid"],
            name=op.f("fk_goal_relationships_supporting_goal_gid_goals"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["supporting_portfolio_gid"],
            ["portfolios.gid"],
            name=op.f("fk_goal_relationships_supporting_portfolio_gid_portfolios"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["supporting_project_gid"],
            ["projects.gid"],
            name=op.f("fk_goal_relationships_supporting_project_gid_projects"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("gid", name=op.f("pk_goal_relationships")),
    )
    with op.batch_alter_table("goal_relationships", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_goal_relationships_supported_goal_gid"),
            ["supported_goal_gid"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_goal_relationships_supporting_goal_gid"),
            ["supporting_goal_gid"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_goal_relationships_supporting_portfolio_gid"),
            ["supporting_portfolio_gid"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_goal_relationships_supporting_project_gid"),
            ["supporting_project_gid"],
            unique=False,
        )

    op.create_table(
        "time_tracking_entries",
        sa.Column(
            "gid",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "workspace_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("task_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "attributable_to_gid",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column(
            "created_by_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("entered_on", sa.Date(), nullable=False),
        sa.Column(
            "approval_status",
            sa.Enum(
                "DRAFT",
                "SUBMITTED",
                "APPROVED",
                "REJECTED",
                name="approval_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "billable_status",
            sa.Enum(
                "billable",
                "nonBillable",
                "notApplicable",
                name="billable_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("modified_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", exportd.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "duration_minutes > 0", name=op.f("ck_time_tracking_entries_positive_duration")
        ),
        sa.ForeignKeyConstraint(
            ["attributable_to_gid"],
            ["projects.gid"],
            name=op.f("fk_time_tracking_entries_attributable_to_gid_projects"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["created_by_gid"],
            ["users.gid"],
            name=op.f("fk_time_tracking_entries_created_by_gid_users"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["task_gid"],
            ["tasks.gid"],
            name=op.f("fk_time_tracking_entries_task_gid_tasks"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["workspace_gid"],
            ["workspaces.gid"],
            name=op.f("fk_time_tracking_entries_workspace_gid_workspaces"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("gid", name=op.f("pk_time_tracking_entries")),
    )
    with op.batch_alter_table("time_tracking_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_time_tracking_entries_task_gid"), ["task_gid"], unique=False
        )

    with op.batch_alter_table("exports", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "parent_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )
        batch_op.create_index(
            "ix_exports_parent_gid_created_by_gid", ["parent_gid", "created_by_gid"], unique=False
        )
        batch_op.create_index(
            "uq_exports_one_graph_export_in_progress",
            ["parent_gid", "created_by_gid"],
            unique=True,
            sqlite_where=sa.text("kind = 'graph' AND state IN ('pending', 'started')"),
            postgresql_where=sa.text("kind = 'graph' AND state IN ('pending', 'started')"),
        )


def downgrade() -> None:
    with op.batch_alter_table("exports", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_exports_one_graph_export_in_progress",
            sqlite_where=sa.text("kind = 'graph' AND state IN ('pending', 'started')"),
            postgresql_where=sa.text("kind = 'graph' AND state IN ('pending', 'started')"),
        )
        batch_op.drop_index("ix_exports_parent_gid_created_by_gid")
        batch_op.drop_column("parent_gid")

    with op.batch_alter_table("time_tracking_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_time_tracking_entries_task_gid"))

    op.drop_table("time_tracking_entries")
    with op.batch_alter_table("goal_relationships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_goal_relationships_supporting_project_gid"))
        batch_op.drop_index(batch_op.f("ix_goal_relationships_supporting_portfolio_gid"))
        batch_op.drop_index(batch_op.f("ix_goal_relationships_supporting_goal_gid"))
        batch_op.drop_index(batch_op.f("ix_goal_relationships_supported_goal_gid"))

    op.drop_table("goal_relationships")
    with op.batch_alter_table("allocations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_allocations_project_gid"))
        batch_op.drop_index(batch_op.f("ix_allocations_assignee_gid"))

    op.drop_table("allocations")
