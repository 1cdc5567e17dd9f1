"""Schema migrations with Alembic, configured in code (no alembic.ini to ship or find)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.environment import NameFilterParentNames, NameFilterType
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from exportd.store.database import Database

SCRIPT_LOCATION = "exportd.store:migrations"
_PG_LOCK_KEY = 0x6578706F7274  # "export": one migrator at a time across processes


def include_name(name: str | None, type_: NameFilterType, _parents: NameFilterParentNames) -> bool:
    """Whether a database object is exportd's to compare with `schema.metadata`: not
    procrastinate's tables (migration 0005 creates them from procrastinate's own SQL)."""
    return not (type_ == "table" and (name or "").startswith("procrastinate_"))


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["connection"] = connection
    return config


def upgrade(database: Database, revision: str = "head") -> None:
    """Bring the schema to `revision`; safe to run from several processes at once."""
    with database.write() as connection:
        if not database.is_sqlite:  # SQLite's BEGIN IMMEDIATE already serializes us
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        command.upgrade(_config(connection), revision)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(database: Database) -> str | None:
    with database.read() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def is_current(database: Database) -> bool:
    """True when the database is at the newest migration (readiness)."""
    return current_revision(database) == head_revision()
