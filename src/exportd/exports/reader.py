"""Batched reads of one organization's rows, never a whole table and never one query per object.

Objects come in pages ordered by gid (`WHERE gid > last ORDER BY gid LIMIT n`: an index
range scan on both backends, and no OFFSET that slows down as the export goes on). The rows
a page needs from relation tables (followers, likes, memberships…) come in one query per
relation for the whole page (`WHERE owner IN (page gids)`), grouped in Python.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from itertools import islice
from typing import Any

import orjson
from sqlalchemy import (
    ARRAY,
    BigInteger,
    ColumnElement,
    Connection,
    Date,
    Row,
    Select,
    String,
    Table,
    and_,
    any_,
    bindparam,
    exists,
    func,
    or_,
    select,
    type_coerce,
)

from exportd.store.database import Database
from exportd.store.schema import goals, portfolios, projects, teams, workspace_memberships
from exportd.store.types import UTCDateTime

AnySelect = Select[*tuple[Any, ...]]
AnyRow = Row[*tuple[Any, ...]]

BATCH_SIZE = 2_000
"""Objects per page: big enough that per-query overhead vanishes, small enough for memory."""

PARENT_TABLES: dict[str, Table] = {
    "project": projects,
    "portfolio": portfolios,
    "team": teams,
    "goal": goals,
}
"""Where a message's parent lives, by `message_parents.parent_type`."""

IN_CHUNK = 5_000
"""Most gids bound in one `IN (…)` list (well below SQLite's and PostgreSQL's limits)."""


@contextmanager
def snapshot(database: Database) -> Iterator[Connection]:
    """A read connection that sees one consistent state of the store for all its queries.

    An export reads for a long time while writers go on. On PostgreSQL a REPEATABLE READ
    transaction keeps every page at the same snapshot; on SQLite the read transaction that
    `Database.read()` opens does the same under WAL. Without it an object could refer to one
    deleted between two pages, and the file would not load back.
    """
    with database.read() as connection:
        if not database.is_sqlite:
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        yield connection


class Reader:
    """Queries scoped to one organization over one connection."""

    def __init__(self, connection: Connection, organization_gid: int) -> None:
        self.connection = connection
        self.organization_gid = organization_gid
        self.dialect = connection.dialect.name

    def among(self, column: ColumnElement[int], gids: list[int]) -> ColumnElement[bool]:
        """`column IN gids` with one parameter, not thousands: an array on PostgreSQL
        (`= ANY(…)`), a JSON array read by `json_each` on SQLite. The statement's text is
        then the same for every page, so it is compiled once and not per page."""
        if self.dialect == "postgresql":
            return column == any_(bindparam(None, gids, type_=ARRAY(BigInteger)))
        listed = func.json_each(bindparam(None, orjson.dumps(gids).decode(), type_=String))
        return column.in_(select(listed.table_valued("value").c.value))

    def columns(self, table: Table) -> list[ColumnElement[Any]]:
        """Every column of `table`, timestamps and dates as the API's text, made by the store.

        SQLite keeps them in the API's own formats already, and PostgreSQL formats them in
        C: either way no Python datetime is built only to be formatted back.
        """
        return [_as_text(c, self.dialect) for c in table.c]

    def table(self, table: Table) -> AnySelect:
        """`SELECT` of every column of `table` (see `columns`)."""
        return select(*self.columns(table))

    def pages(
        self, query: AnySelect, key: ColumnElement[int], size: int = BATCH_SIZE
    ) -> Iterator[Sequence[AnyRow]]:
        """The rows of `query` in pages of `size`, ordered by `key` (a unique gid column).

        The query's first column must be `key`, so the next page starts after the last row.
        """
        last: int | None = None
        while True:
            page = query if last is None else query.where(key > last)
            rows = self.connection.execute(page.order_by(key).limit(size)).all()
            if rows:
                yield rows
            if len(rows) < size:
                return
            last = rows[-1][0]

    def grouped(
        self, query: AnySelect, owner: ColumnElement[int], gids: Collection[int]
    ) -> dict[int, list[AnyRow]]:
        """Rows of a relation whose `owner` is among `gids`, grouped by owner.

        The query's first column must be `owner`; its own ORDER BY orders each group.
        """
        groups: defaultdict[int, list[AnyRow]] = defaultdict(list)
        for chunk in chunks(gids):
            for row in self.connection.execute(query.where(self.among(owner, chunk))).all():
                groups[row[0]].append(row)
        return groups

    def rows(
        self, query: AnySelect, key: ColumnElement[int], gids: Collection[int]
    ) -> list[AnyRow]:
        """Rows of `query` whose `key` is among `gids` (any number of them)."""
        found: list[AnyRow] = []
        for chunk in chunks(gids):
            found.extend(self.connection.execute(query.where(self.among(key, chunk))).all())
        return found

    def in_organization(self, table: Table) -> ColumnElement[bool]:
        """Undeleted rows of a table that has a `workspace_gid`, in this organization."""
        return and_(table.c.workspace_gid == self.organization_gid, table.c.deleted_at.is_(None))

    def is_member(self, user_gid: ColumnElement[int]) -> ColumnElement[bool]:
        """The user has an undeleted membership of this organization (it is exported)."""
        wm = workspace_memberships
        return exists(
            select(wm.c.gid).where(
                wm.c.user_gid == user_gid,
                wm.c.workspace_gid == self.organization_gid,
                wm.c.deleted_at.is_(None),
            )
        )

    def is_live_parent(self, link: Table) -> ColumnElement[bool]:
        """The parent a `message_parents` row names is exported (undeleted, in this organization).

        The reference is polymorphic, so no join can check it: one EXISTS per parent type.
        """
        return or_(
            *(
                and_(
                    link.c.parent_type == kind,
                    exists(
                        select(table.c.gid).where(
                            table.c.gid == link.c.parent_gid, self.in_organization(table)
                        )
                    ),
                )
                for kind, table in PARENT_TABLES.items()
            )
        )


_PG_TIMESTAMP = 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'


def _as_text(column: ColumnElement[Any], dialect: str) -> ColumnElement[Any]:
    """A timestamp or date column read as the API shows it (see `Reader.columns`)."""
    if isinstance(column.type, UTCDateTime):
        if dialect == "postgresql":
            utc = func.timezone("UTC", column)
            return func.to_char(utc, _PG_TIMESTAMP, type_=String).label(column.key)
        if dialect == "sqlite":
            return type_coerce(column, String).label(column.key)
    if isinstance(column.type, Date):
        if dialect == "postgresql":
            return func.to_char(column, "YYYY-MM-DD", type_=String).label(column.key)
        if dialect == "sqlite":
            return type_coerce(column, String).label(column.key)
    return column


def chunks(gids: Collection[int], size: int = IN_CHUNK) -> Iterator[list[int]]:
    """`gids` in lists of at most `size`, for bound `IN (…)` lists."""
    iterator = iter(gids)
    while chunk := list(islice(iterator, size)):
        yield chunk
