"""export file digests

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 17:50:00.000000

Downloads answer with the sha256 of the stored file (`Repr-Digest`, RFC 9530) and an ETag made
from it. The digest is taken as the file is written (or as shards are joined) and recorded on
the export's row; exports finished before this revision have none and are served without it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("exports") as batch:
        batch.add_column(sa.Column("file_sha256", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("exports") as batch:
        batch.drop_column("file_sha256")
