"""Bulk inserts: many rows of one table in one round trip, for seeding and imports.

PostgreSQL takes the rows through `COPY … FROM STDIN` (psycopg 3), several times faster than
INSERT. SQLite takes them through the driver's `executemany`, which skips the per-row
parameter handling of `insert()` (about a fifth of the time on seeding-sized batches).

Values first go through each column's own SQLAlchemy bind processor, so they are stored
exactly as `insert()` would store them: UTCDateTime as `2024-05-01T12:00:00.000Z` text on
SQLite and `timestamptz` on PostgreSQL (naive datetimes refused), dates as `YYYY-MM-DD`,
JSON as JSON text. One deliberate difference: None is always SQL NULL, whereas `insert()`
stores a None given to a JSON column as the JSON text `null`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from psycopg import sql
from sqlalchemy import Column, Connection, Dialect, Table, insert

Row = Mapping[str, Any]


def bulk_insert(connection: Connection, table: Table, rows: Sequence[Row]) -> int:
    """Insert `rows` into `table` inside the connection's transaction; return how many.

    Every row names the same columns (as with `executemany`). A column no row names takes
    its Python-side default (`default=`), else its server default or NULL.
    """
    if not rows:
        return 0
    plan = _Plan.of(connection.dialect, table, rows[0].keys())
    dialect = connection.dialect.name
    if dialect == "postgresql":
        _copy(connection, table, plan, rows)
    elif dialect == "sqlite":
        placeholders = ", ".join("?" for _ in plan.names)
        statement = f'INSERT INTO "{table.name}" ({plan.column_list}) VALUES ({placeholders})'
        cursor = _driver_connection(connection).cursor()
        try:
            cursor.executemany(statement, map(plan.convert, rows))
        finally:
            cursor.close()
    else:  # a backend exportd does not run on: correct, if slower
        connection.execute(insert(table), list(rows))
    return len(rows)


Processor = Callable[[Any], Any]


@dataclass(frozen=True)
class _Plan:
    """How rows of one shape become driver values: column order, defaults, processors."""

    names: tuple[str, ...]
    given: tuple[str, ...]
    defaults: tuple[Callable[[], Any], ...]
    processors: tuple[tuple[int, Processor], ...]

    @classmethod
    def of(cls, dialect: Dialect, table: Table, keys: Iterable[str]) -> _Plan:
        given = tuple(keys)
        unknown = set(given) - set(table.columns.keys())
        if unknown:
            raise ValueError(f"{table.name} has no column(s) {sorted(unknown)}")
        defaulted = [c for c in table.columns if c.name not in given and c.default is not None]
        columns = [table.columns[name] for name in given] + defaulted
        processors = []
        for index, column in enumerate(columns):
            processor = column.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                processors.append((index, processor))
        return cls(
            names=tuple(c.name for c in columns),
            given=given,
            defaults=tuple(_python_default(c) for c in defaulted),
            processors=tuple(processors),
        )

    @property
    def column_list(self) -> str:
        return ", ".join(f'"{name}"' for name in self.names)

    def convert(self, row: Row) -> list[Any]:
        values = [row[name] for name in self.given]
        values.extend(default() for default in self.defaults)
        for index, processor in self.processors:
            value = values[index]
            if value is not None:
                values[index] = processor(value)
        return values


def _python_default(column: Column[Any]) -> Callable[[], Any]:
    default: Any = column.default
    if default.is_scalar:
        value = default.arg
        return lambda: value
    if default.is_callable:  # SQLAlchemy wraps it to take an execution context; none here
        function = default.arg
        return lambda: function(None)
    raise ValueError(f"{column}: bulk inserts support scalar and callable defaults only")


def _driver_connection(connection: Connection) -> Any:
    return cast(Any, connection.connection).driver_connection


def _copy(connection: Connection, table: Table, plan: _Plan, rows: Sequence[Row]) -> None:
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, plan.names))
    )
    with _driver_connection(connection).cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(plan.convert(row))
