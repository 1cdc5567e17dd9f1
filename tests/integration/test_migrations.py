"""Migrations build exactly the declared schema, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, inspect, select
from sqlalchemy.exc import IntegrityError

from exportd.runtime import Runtime
from exportd.store import migrate
from exportd.store.schema import metadata, stories, workspaces


def test_upgrade_builds_the_declared_schema(runtime: Runtime) -> None:
    with runtime.database.read() as connection:
        options = {"compare_type": True, "include_name": migrate.include_name}
        context = MigrationContext.configure(connection, opts=options)
        assert compare_metadata(context, metadata) == []
        assert set(inspect(connection).get_table_names()) >= set(metadata.tables)


def test_upgrade_is_idempotent_and_readiness_sees_it(runtime: Runtime) -> None:
    assert migrate.is_current(runtime.database)
    runtime.migrate()
    assert migrate.current_revision(runtime.database) == migrate.head_revision()


def test_enum_columns_refuse_values_outside_the_spec(runtime: Runtime) -> None:
    now = runtime.clock()
    with pytest.raises(IntegrityError), runtime.database.write() as connection:
        connection.execute(
            insert(workspaces).values(
                gid=1, name="w", plan="platinum", created_at=now, modified_at=now
            )
        )


def test_a_failed_write_commits_nothing(runtime: Runtime) -> None:
    now = runtime.clock()
    with pytest.raises(RuntimeError), runtime.database.write() as connection:
        connection.execute(
            insert(workspaces).values(
                gid=1, name="w", plan="enterprise", created_at=now, modified_at=now
            )
        )
        raise RuntimeError("boom")
    with runtime.database.read() as connection:
        assert connection.execute(select(workspaces.c.gid)).all() == []


def test_a_story_needs_exactly_one_parent(runtime: Runtime) -> None:
    now = runtime.clock()
    with pytest.raises(IntegrityError), runtime.database.write() as connection:
        connection.execute(
            insert(workspaces).values(
                gid=1, name="w", plan="enterprise", created_at=now, modified_at=now
            )
        )
        connection.execute(
            insert(stories).values(
                gid=2, type="comment", resource_subtype="comment_added", source="web",
                created_at=now, modified_at=now,
            )
        )  # fmt: skip
