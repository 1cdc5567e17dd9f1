"""one organization export in progress per organization

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 08:00:00.000000

Like R9 for resource exports: a partial unique index, so the rule holds under concurrent
requests and across API processes. A store that already holds several unfinished exports
of one organization keeps the oldest running; the others end `error` with a reason.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

IN_PROGRESS = "kind = 'organization' AND state IN ('pending', 'started')"
SUPERSEDED = (
    "Stopped on upgrade: an organization has one export in progress at a time, and an "
    "older export of this organization was in progress."
)


def upgrade() -> None:
    op.get_bind().execute(
        sa.text(
            f"UPDATE exports SET state = 'error', error_reason = :reason, "
            f"lease_owner = NULL, lease_expires_at = NULL "
            f"WHERE {IN_PROGRESS} AND EXISTS (SELECT 1 FROM exports AS older "
            f"WHERE older.kind = 'organization' AND older.state IN ('pending', 'started') "
            f"AND older.workspace_gid = exports.workspace_gid AND older.gid < exports.gid)"
        ),
        {"reason": SUPERSEDED},
    )
    with op.batch_alter_table("exports", schema=None) as batch_op:
        batch_op.create_index(
            "uq_exports_one_organization_export_in_progress",
            ["workspace_gid"],
            unique=True,
            sqlite_where=sa.text(IN_PROGRESS),
            postgresql_where=sa.text(IN_PROGRESS),
        )


def downgrade() -> None:
    with op.batch_alter_table("exports", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_exports_one_organization_export_in_progress",
            sqlite_where=sa.text(IN_PROGRESS),
            postgresql_where=sa.text(IN_PROGRESS),
        )
