"""server-side sessions of the OAuth pages

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 08:05:00.000000

Sessions used to live only in the signed cookie, so a copy of it outlived signing out.
Cookies from before this revision carry no session id: their visitors sign in again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import exportd.store.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "oauth_sessions",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("user_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", exportd.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_gid"],
            ["users.gid"],
            name=op.f("fk_oauth_sessions_user_gid_users"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_oauth_sessions")),
    )
    with op.batch_alter_table("oauth_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_oauth_sessions_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_oauth_sessions_user_gid"), ["user_gid"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("oauth_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oauth_sessions_user_gid"))
        batch_op.drop_index(batch_op.f("ix_oauth_sessions_expires_at"))
    op.drop_table("oauth_sessions")
