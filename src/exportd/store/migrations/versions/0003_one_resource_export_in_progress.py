"""one resource export in progress per workspace

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 17:43:30.128212
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("exports", schema=None) as batch_op:
        batch_op.create_index(
            "uq_exports_one_resource_export_in_progress",
            ["workspace_gid"],
            unique=True,
            sqlite_where=sa.text("kind = 'resource' AND state IN ('pending', 'started')"),
            postgresql_where=sa.text("kind = 'resource' AND state IN ('pending', 'started')"),
        )


def downgrade() -> None:
    with op.batch_alter_table("exports", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_exports_one_resource_export_in_progress",
            sqlite_where=sa.text("kind = 'resource' AND state IN ('pending', 'started')"),
            postgresql_where=sa.text("kind = 'resource' AND state IN ('pending', 'started')"),
        )
