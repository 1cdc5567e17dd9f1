"""procrastinate's job queue

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 18:23:25.679520

On PostgreSQL, the tables, types and functions of procrastinate (the queue `exportd worker`
processes run on, `EXPORTD_QUEUE=procrastinate`), applied whatever the queue setting so
that switching to it needs no other migration. SQLite has no use for them.

The SQL is procrastinate's own `schema.sql`, as shipped by the version pyproject.toml pins:
procrastinate leaves applying its schema and its later migration scripts to the
application's migration tool. Upgrading procrastinate therefore takes a new revision that
runs the migration scripts it ships for the versions in between.
"""

from collections.abc import Sequence

from alembic import op
from procrastinate.schema import SchemaManager

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Everything procrastinate's schema creates is named procrastinate_*, in the current schema.
DROP_PROCRASTINATE = r"""
DO $$
DECLARE item record;
BEGIN
    FOR item IN SELECT tablename FROM pg_tables
                WHERE schemaname = current_schema() AND tablename LIKE 'procrastinate\_%'
    LOOP
        EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', item.tablename);
    END LOOP;
    FOR item IN SELECT p.oid::regprocedure AS signature
                FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate\_%'
    LOOP
        EXECUTE format('DROP FUNCTION IF EXISTS %s CASCADE', item.signature);
    END LOOP;
    FOR item IN SELECT t.typname
                FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                WHERE n.nspname = current_schema() AND t.typname LIKE 'procrastinate\_%'
    LOOP
        EXECUTE format('DROP TYPE IF EXISTS %I CASCADE', item.typname);
    END LOOP;
END
$$;
"""


def _run_script(sql: str) -> None:
    """Run a multi-statement script as it is (no parameter markers: `%` stays `%`)."""
    driver_connection = op.get_bind().connection.driver_connection
    assert driver_connection is not None  # a live connection, inside the migration
    driver_connection.execute(sql)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _run_script(SchemaManager.get_schema())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _run_script(DROP_PROCRASTINATE)
