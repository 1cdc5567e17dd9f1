"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect, Integer, String
from sqlalchemy.types import TypeDecorator, TypeEngine

from exportd.clock import isoformat

Gid = BigInteger().with_variant(Integer(), "sqlite")
"""A gid column: BIGINT on PostgreSQL; INTEGER on SQLite, where a primary key of that exact
type is the table's rowid, which makes lookups and ordered scans by gid the fastest."""


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC timestamp with millisecond precision.

    PostgreSQL stores `timestamptz`. SQLite has no timestamp type, so it stores the API's own
    fixed-width text (`2024-05-01T12:00:00.000Z`): it sorts and compares correctly as text,
    and the engine can emit it without reformatting.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(24))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: exportd stores aware UTC times only")
        if dialect.name == "sqlite":
            return isoformat(value)
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            return datetime.fromisoformat(value)
        assert isinstance(value, datetime)
        return value.astimezone(UTC)
