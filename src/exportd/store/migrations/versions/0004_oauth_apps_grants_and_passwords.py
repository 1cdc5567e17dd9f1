"""oauth apps, grants and passwords

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 17:48:49.709807
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import exportd.store.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "oauth_apps",
        sa.Column(
            "gid",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("client_secret_hash", sa.String(length=64), nullable=False),
        sa.Column("redirect_uris", sa.JSON(), nullable=False),
        sa.Column("created_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", exportd.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("gid", name=op.f("pk_oauth_apps")),
    )
    op.create_table(
        "sign_in_failures",
        sa.Column(
            "gid",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("failed_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("gid", name=op.f("pk_sign_in_failures")),
    )
    with op.batch_alter_table("sign_in_failures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sign_in_failures_email"), ["email"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_sign_in_failures_failed_at"), ["failed_at"], unique=False
        )

    op.create_table(
        "oauth_grants",
        sa.Column(
            "gid",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("app_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("scope", sa.String(length=255), nullable=False),
        sa.Column("redirect_uri", sa.String(length=2048), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("code_challenge", sa.String(length=128), nullable=True),
        sa.Column(
            "code_expires_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("code_used_at", exportd.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("refresh_token_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", exportd.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", exportd.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["app_gid"],
            ["oauth_apps.gid"],
            name=op.f("fk_oauth_grants_app_gid_oauth_apps"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["user_gid"],
            ["users.gid"],
            name=op.f("fk_oauth_grants_user_gid_users"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("gid", name=op.f("pk_oauth_grants")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_oauth_grants_code_hash")),
        sa.UniqueConstraint("refresh_token_hash", name=op.f("uq_oauth_grants_refresh_token_hash")),
    )
    with op.batch_alter_table("oauth_grants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oauth_grants_app_gid"), ["app_gid"], unique=False)
        batch_op.create_index(batch_op.f("ix_oauth_grants_user_gid"), ["user_gid"], unique=False)

    op.create_table(
        "oauth_grant_tokens",
        sa.Column(
            "access_token_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "grant_gid", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["access_token_gid"],
            ["access_tokens.gid"],
            name=op.f("fk_oauth_grant_tokens_access_token_gid_access_tokens"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["grant_gid"],
            ["oauth_grants.gid"],
            name=op.f("fk_oauth_grant_tokens_grant_gid_oauth_grants"),
            initially="IMMEDIATE",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("access_token_gid", name=op.f("pk_oauth_grant_tokens")),
    )
    with op.batch_alter_table("oauth_grant_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_oauth_grant_tokens_grant_gid"), ["grant_gid"], unique=False
        )

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("password_hash", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("password_hash")

    with op.batch_alter_table("oauth_grant_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oauth_grant_tokens_grant_gid"))

    op.drop_table("oauth_grant_tokens")
    with op.batch_alter_table("oauth_grants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oauth_grants_user_gid"))
        batch_op.drop_index(batch_op.f("ix_oauth_grants_app_gid"))

    op.drop_table("oauth_grants")
    with op.batch_alter_table("sign_in_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_failures_failed_at"))
        batch_op.drop_index(batch_op.f("ix_sign_in_failures_email"))

    op.drop_table("sign_in_failures")
    op.drop_table("oauth_apps")
