"""exports and their jobs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 17:06:57.475706
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import exportd.store.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "exports",
        sa.Column(
            "gid",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "kind",
            sa.Enum(
                "organization",
                "resource",
                "graph",
                name="kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("job_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "workspace_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "created_by_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "started",
                "finished",
                "error",
                name="state",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column(
            "lease_expires_at", exportd.store.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("progress_objects", sa.BigInteger(), nullable=False),
        sa.Column("error_reason", sa.Text(), nullable=True),
        sa.Column("file_key", sa.String(length=255), nullable=True),
        sa.Column("file_size", sa.BigInteger(), nullable=True),
        sa.Column("line_count", sa.BigInteger(), nullable=True),
        sa.Column("created_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", exportd.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_at", exportd.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("file_deleted_at", exportd.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_gid"],
            ["users.gid"],
            name=op.f("fk_exports_created_by_gid_users"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["workspace_gid"],
            ["workspaces.gid"],
            name=op.f("fk_exports_workspace_gid_workspaces"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("gid", name=op.f("pk_exports")),
        sa.UniqueConstraint("job_gid", name=op.f("uq_exports_job_gid")),
    )
    with op.batch_alter_table("exports", schema=None) as batch_op:
        batch_op.create_index("ix_exports_state_created_at", ["state", "created_at"], unique=False)
        batch_op.create_index(
            "ix_exports_workspace_state", ["workspace_gid", "state"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("exports", schema=None) as batch_op:
        batch_op.drop_index("ix_exports_workspace_state")
        batch_op.drop_index("ix_exports_state_created_at")

    op.drop_table("exports")
