"""Every query the columnar export engine runs, named, each returning a polars DataFrame.

The engine reads Arrow, not Python rows: an ADBC driver (SQLite's, or PostgreSQL's, which
reads with COPY) hands each result over as Arrow columns, which polars wraps without a
copy. The queries are SQLAlchemy Core statements over `store.schema`, compiled for the
backend with their values inlined (gids and times only, rendered by SQLAlchemy), so they
are written once for both backends.

All of one export's queries run in one read transaction (`ArrowSnapshot`): under WAL on
SQLite, at REPEATABLE READ (optionally on an exported snapshot) on PostgreSQL. Writers are
never blocked.

ADBC's SQLite driver guesses each column's type from the rows of its first batch, so a
column that is NULL there and text later fails; every query is read in one batch and cast
to the types its columns are declared with (`_polars_type`). On SQLite the driver runs in
a child process (`store.arrow_reader` says why); on PostgreSQL in this one.
"""

from __future__ import annotations

import re
import struct
import subprocess
import sys
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

import polars as pl
import pyarrow as pa
from sqlalchemy import (
    JSON,
    Boolean,
    ColumnElement,
    Connection,
    Date,
    Float,
    Integer,
    Select,
    String,
    Table,
    and_,
    exists,
    func,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.types import TypeEngine

from exportd.errors import ExportdError
from exportd.store import arrow_reader
from exportd.store.database import Database
from exportd.store.graph_reads import time_entries_named
from exportd.store.schema import (
    allocations,
    attachments,
    custom_field_enum_options,
    custom_fields,
    goal_followers,
    goal_likes,
    goal_relationships,
    goals,
    message_followers,
    message_likes,
    message_parents,
    messages,
    portfolio_items,
    portfolio_memberships,
    portfolios,
    project_custom_field_settings,
    project_followers,
    project_memberships,
    projects,
    sections,
    stories,
    story_likes,
    tags,
    task_custom_field_values,
    task_dependencies,
    task_followers,
    task_likes,
    task_memberships,
    task_tags,
    tasks,
    team_memberships,
    teams,
    time_tracking_entries,
    users,
    workspace_memberships,
    workspaces,
)
from exportd.store.types import UTCDateTime

AnySelect = Select[*tuple[Any, ...]]
Condition = ColumnElement[bool]

_SNAPSHOT_ID = re.compile(r"[0-9A-Fa-f-]+")
_PG_TIMESTAMP = 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'


class ArrowSnapshot:
    """One read transaction, for all of one export's queries: `fetch` runs SQL text in it
    and returns an Arrow table."""

    def __init__(self, fetch: Callable[[str], pa.Table], dialect: Dialect) -> None:
        self.fetch = fetch
        self.dialect = dialect

    @property
    def is_sqlite(self) -> bool:
        return self.dialect.name == "sqlite"

    def frame(self, statement: AnySelect) -> pl.DataFrame:
        """The rows of `statement`, each column cast to the type it is declared with."""
        sql = str(statement.compile(dialect=self.dialect, compile_kwargs={"literal_binds": True}))
        read = pl.from_arrow(_plain(self.fetch(sql)))
        assert isinstance(read, pl.DataFrame)
        types = {str(c.key): _polars_type(c.type) for c in statement.selected_columns}
        return read.select(
            pl.col(name).cast(kind) if read.schema[name] != kind else pl.col(name)
            for name, kind in types.items()
        )

    def text(self, column: ColumnElement[Any]) -> ColumnElement[Any]:
        """A timestamp or date column read as the API shows it, formatted by the database
        (SQLite holds it in that format already)."""
        kind = column.type
        if isinstance(kind, UTCDateTime):
            if self.is_sqlite:
                return type_coerce(column, String).label(column.key)
            utc = func.timezone("UTC", column)
            return func.to_char(utc, _PG_TIMESTAMP, type_=String).label(column.key)
        if isinstance(kind, Date):
            if self.is_sqlite:
                return type_coerce(column, String).label(column.key)
            return func.to_char(column, "YYYY-MM-DD", type_=String).label(column.key)
        if isinstance(kind, JSON):
            return type_coerce(column, String).label(column.key)
        return column

    def columns(self, table: Table, *names: str) -> list[ColumnElement[Any]]:
        """Columns of `table` (all when none are named), times and dates as text."""
        chosen = [table.c[name] for name in names] if names else list(table.c)
        return [self.text(column) for column in chosen]

    def among(self, column: ColumnElement[int], gids: Collection[int]) -> Condition:
        """`column IN gids`, the gids inlined (they are integers, made by us)."""
        return column.in_(sorted(int(gid) for gid in gids))


def _plain(table: pa.Table) -> pa.Table:
    """`table` with extension columns (PostgreSQL's json) as their plain storage."""
    for index, kind in enumerate(table.schema.types):
        if isinstance(kind, pa.BaseExtensionType):
            column = table.column(index)
            storage = pa.chunked_array(
                [chunk.storage for chunk in column.chunks], kind.storage_type
            )
            table = table.set_column(index, table.schema.field(index).name, storage)
    return table


def _polars_type(kind: TypeEngine[Any]) -> pl.DataType:
    """The polars type of a column as read: times, dates and JSON arrive as text."""
    if isinstance(kind, Boolean):
        return pl.Boolean()
    if isinstance(kind, Integer):
        return pl.Int64()
    if isinstance(kind, Float):
        return pl.Float64()
    return pl.String()


@contextmanager
def arrow_snapshot(database: Database, pg_snapshot: str | None = None) -> Iterator[ArrowSnapshot]:
    """An `ArrowSnapshot` of `database`, its snapshot taken before this returns; on
    PostgreSQL optionally the exported snapshot `pg_snapshot` (`pg_export_snapshot()`), so
    several transactions read one state. (On SQLite, several processes read one state when
    their snapshots are taken while the write lock is held: see `paired_snapshot`.)"""
    if database.is_sqlite:
        with _SqliteReader(database) as reader:
            reader.begin()
            yield ArrowSnapshot(reader.fetch, database.engine.dialect)
        return
    import adbc_driver_postgresql.dbapi as pg_driver

    plain = make_url(database.url).set(drivername="postgresql")
    connection = pg_driver.connect(plain.render_as_string(hide_password=False))
    try:
        cursor = connection.cursor()
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        if pg_snapshot is not None:
            if not _SNAPSHOT_ID.fullmatch(pg_snapshot):  # SET takes no parameters
                raise ValueError(f"not a snapshot id: {pg_snapshot!r}")
            cursor.execute(f"SET TRANSACTION SNAPSHOT '{pg_snapshot}'")
        cursor.execute("SELECT 1 AS started")  # the snapshot is taken at the first read
        cursor.fetchall()
        cursor.close()

        def fetch(sql: str) -> pa.Table:
            cursor = connection.cursor()
            try:
                cursor.execute(sql)
                return cursor.fetch_arrow_table()
            finally:
                cursor.close()

        yield ArrowSnapshot(fetch, database.engine.dialect)
    finally:
        connection.rollback()
        connection.close()


@contextmanager
def paired_snapshot(database: Database) -> Iterator[tuple[Connection, ArrowSnapshot]]:
    """A SQLAlchemy read connection and an `ArrowSnapshot` that see the same state of the
    store, for an export that reads through both. On PostgreSQL the Arrow reads import the
    connection's exported snapshot. On SQLite both read transactions open while the write
    lock is held, for the milliseconds that takes: writers wait, they do not fail."""
    with database.read() as connection:
        if database.is_sqlite:
            with _SqliteReader(database) as reader:
                with database.write():  # no commit between the two snapshots
                    reader.begin()
                    connection.exec_driver_sql("SELECT count(*) FROM sqlite_master").all()
                yield connection, ArrowSnapshot(reader.fetch, database.engine.dialect)
            return
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        exported = str(connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one())
        with arrow_snapshot(database, exported) as snap:
            yield connection, snap


class _SqliteReader:
    """A child process reading the store through ADBC (`store.arrow_reader` says why the
    driver may not open it in this process); a context manager that ends it."""

    def __init__(self, database: Database) -> None:
        path = make_url(database.url).database
        if not path or path == ":memory:":
            raise ValueError("the columnar engine cannot read an in-memory SQLite store")
        self.path = path
        self.child = subprocess.Popen(
            [sys.executable, "-P", arrow_reader.__file__, path],  # -P: not its folder first
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert self.child.stdin is not None
        assert self.child.stdout is not None
        self.requests, self.replies = self.child.stdin, self.child.stdout

    def __enter__(self) -> _SqliteReader:
        try:
            self._expect(arrow_reader.STARTED, "did not start")
        except BaseException:
            self.__exit__()
            raise
        return self

    def begin(self) -> None:
        """Open the child's read transaction now."""
        self.requests.write(arrow_reader.BEGIN)
        self.requests.flush()
        self._expect(arrow_reader.READY, "did not open its read transaction")

    def fetch(self, sql: str) -> pa.Table:
        data = sql.encode()
        self.requests.write(struct.pack(">I", len(data)) + data)
        self.requests.flush()
        status = self.replies.read(1)
        if status == arrow_reader.OK:
            return pa.ipc.open_stream(self.replies).read_all()
        if status == arrow_reader.FAILED:
            (length,) = struct.unpack(">I", self.replies.read(4))
            raise ExportdError(f"reading {self.path}: {self.replies.read(length).decode()}")
        raise ExportdError(f"the Arrow reader of {self.path} ended (exit {self.child.poll()})")

    def _expect(self, word: bytes, failure: str) -> None:
        if self.replies.read(1) != word:
            raise ExportdError(f"the Arrow reader of {self.path} {failure}")

    def __exit__(self, *_exc: object) -> None:
        with suppress(OSError):
            self.requests.close()
        try:
            self.child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.child.kill()
            self.child.wait()
        self.replies.close()


# The organization and the compact forms its objects refer to: read once per export.


def in_organization(table: Table, organization_gid: int) -> Condition:
    return and_(table.c.workspace_gid == organization_gid, table.c.deleted_at.is_(None))


def organization(snap: ArrowSnapshot, organization_gid: int) -> pl.DataFrame:
    """The undeleted organization (no row when there is none)."""
    w = workspaces
    return snap.frame(
        select(w.c.gid, w.c.name).where(w.c.gid == organization_gid, w.c.deleted_at.is_(None))
    )


def members(snap: ArrowSnapshot, organization_gid: int) -> pl.DataFrame:
    """`gid, name` of the organization's exported users: undeleted, with a membership."""
    wm = workspace_memberships
    is_member = exists(
        select(wm.c.gid).where(
            wm.c.user_gid == users.c.gid,
            wm.c.workspace_gid == organization_gid,
            wm.c.deleted_at.is_(None),
        )
    )
    query = select(users.c.gid, users.c.name).where(users.c.deleted_at.is_(None), is_member)
    return snap.frame(query.order_by(users.c.gid))


def named(snap: ArrowSnapshot, table: Table, organization_gid: int) -> pl.DataFrame:
    """`gid, name` of a table's undeleted rows in the organization (projects, tags…)."""
    query = select(table.c.gid, table.c.name).where(in_organization(table, organization_gid))
    return snap.frame(query.order_by(table.c.gid))


def project_names(snap: ArrowSnapshot, organization_gid: int) -> pl.DataFrame:
    return named(snap, projects, organization_gid)


def tag_names(snap: ArrowSnapshot, organization_gid: int) -> pl.DataFrame:
    return named(snap, tags, organization_gid)


def section_names(snap: ArrowSnapshot, organization_gid: int) -> pl.DataFrame:
    """Undeleted sections of the organization's undeleted projects."""
    in_project = select(projects.c.gid).where(
        projects.c.gid == sections.c.project_gid, in_organization(projects, organization_gid)
    )
    query = select(sections.c.gid, sections.c.name).where(
        sections.c.deleted_at.is_(None), exists(in_project)
    )
    return snap.frame(query.order_by(sections.c.gid))


def field_definitions(snap: ArrowSnapshot, organization_gid: int) -> pl.DataFrame:
    cf = custom_fields
    query = select(
        cf.c.gid, cf.c.name, cf.c.resource_subtype, cf.c.enabled, cf.c.precision, cf.c.format
    ).where(in_organization(cf, organization_gid))
    return snap.frame(query.order_by(cf.c.gid))


def enum_options(snap: ArrowSnapshot, organization_gid: int) -> pl.DataFrame:
    """Undeleted options of the organization's custom fields, in position order."""
    o, cf = custom_field_enum_options, custom_fields
    query = (
        select(o.c.custom_field_gid, o.c.gid, o.c.name, o.c.enabled, o.c.color)
        .join(cf, cf.c.gid == o.c.custom_field_gid)
        .where(o.c.deleted_at.is_(None), in_organization(cf, organization_gid))
        .order_by(o.c.custom_field_gid, o.c.position, o.c.gid)
    )
    return snap.frame(query)


# Tasks, and their relations by task gid range.

TASK_COLUMNS = tuple(c.key for c in tasks.c if c.key not in ("deleted_at",))


def task_rows(
    snap: ArrowSnapshot,
    organization_gid: int,
    where: Sequence[Condition],
    after: int | None,
    limit: int,
) -> pl.DataFrame:
    """The next `limit` tasks in gid order after `after` that match `where`."""
    query = select(*snap.columns(tasks, *TASK_COLUMNS)).where(
        in_organization(tasks, organization_gid), *where
    )
    if after is not None:
        query = query.where(tasks.c.gid > after)
    return snap.frame(query.order_by(tasks.c.gid).limit(limit))


def task_compact_rows(
    snap: ArrowSnapshot, organization_gid: int, after: int | None, limit: int
) -> pl.DataFrame:
    """`gid, name, resource_subtype, created_by_gid` of the next `limit` exported tasks
    after `after`, in gid order: the targets of a page of stories or attachments."""
    t = tasks.c
    query = select(t.gid, t.name, t.resource_subtype, t.created_by_gid).where(
        in_organization(tasks, organization_gid)
    )
    if after is not None:
        query = query.where(t.gid > after)
    return snap.frame(query.order_by(t.gid).limit(limit))


def task_compacts(
    snap: ArrowSnapshot, organization_gid: int, gids: Collection[int]
) -> pl.DataFrame:
    """`gid, name, resource_subtype, created_by_gid` of the exported tasks among `gids`."""
    t = tasks.c
    query = select(t.gid, t.name, t.resource_subtype, t.created_by_gid).where(
        in_organization(tasks, organization_gid), snap.among(t.gid, gids)
    )
    return snap.frame(query)


def _in_range(column: ColumnElement[int], first: int, last: int) -> Condition:
    return and_(column >= first, column <= last)


def links(snap: ArrowSnapshot, relation: str, first: int, last: int) -> pl.DataFrame:
    """`owner, other` rows of a plain task relation for the tasks `first..last`, in order."""
    owner, other = LINKS[relation]
    query = select(owner.label("owner"), other.label("other")).where(_in_range(owner, first, last))
    return snap.frame(query.order_by(owner, other))


LINKS: dict[str, tuple[ColumnElement[int], ColumnElement[int]]] = {
    "followers": (task_followers.c.task_gid, task_followers.c.user_gid),
    "tags": (task_tags.c.task_gid, task_tags.c.tag_gid),
    "dependencies": (task_dependencies.c.task_gid, task_dependencies.c.dependency_gid),
    "dependents": (task_dependencies.c.dependency_gid, task_dependencies.c.task_gid),
}
"""The owner and linked columns of each plain task relation."""


def task_likes_in(snap: ArrowSnapshot, first: int, last: int) -> pl.DataFrame:
    """`owner, gid, user_gid` of the likes of the tasks `first..last`."""
    likes = task_likes.c
    query = select(likes.task_gid.label("owner"), likes.gid, likes.user_gid).where(
        _in_range(likes.task_gid, first, last)
    )
    return snap.frame(query.order_by(likes.task_gid, likes.gid))


def memberships_in(snap: ArrowSnapshot, first: int, last: int) -> pl.DataFrame:
    tm = task_memberships.c
    query = select(tm.task_gid.label("owner"), tm.project_gid, tm.section_gid).where(
        _in_range(tm.task_gid, first, last)
    )
    return snap.frame(query.order_by(tm.task_gid, tm.project_gid))


def values_in(snap: ArrowSnapshot, first: int, last: int) -> pl.DataFrame:
    """Custom field values of the tasks `first..last`, by task then field."""
    cfv = task_custom_field_values
    query = select(
        cfv.c.task_gid.label("owner"), *snap.columns(cfv, *[c.key for c in cfv.c][1:])
    ).where(_in_range(cfv.c.task_gid, first, last))
    return snap.frame(query.order_by(cfv.c.task_gid, cfv.c.custom_field_gid))


def subtask_counts_in(snap: ArrowSnapshot, first: int, last: int) -> pl.DataFrame:
    """`owner, count` of undeleted subtasks of the tasks `first..last` that have some."""
    t = tasks.c
    query = (
        select(t.parent_gid.label("owner"), func.count().label("count"))
        .where(t.deleted_at.is_(None), _in_range(t.parent_gid, first, last))
        .group_by(t.parent_gid)
    )
    return snap.frame(query)


def children_in(
    snap: ArrowSnapshot, table: Table, first: int, last: int, *, by_creation: bool = True
) -> pl.DataFrame:
    """Undeleted stories or attachments of the tasks `first..last`, by task, then each
    task's oldest first (`by_creation`) or in gid order."""
    owner = table.c.task_gid
    skipped = ("task_gid", "message_gid", "deleted_at", "modified_at")
    names = [c.key for c in table.c if c.key not in skipped]
    order = (table.c.created_at, table.c.gid) if by_creation else (table.c.gid,)
    query = (
        select(owner.label("owner"), *snap.columns(table, *names))
        .where(table.c.deleted_at.is_(None), _in_range(owner, first, last))
        .order_by(owner, *order)
    )
    return snap.frame(query)


def stories_in(
    snap: ArrowSnapshot, first: int, last: int, *, by_creation: bool = True
) -> pl.DataFrame:
    return children_in(snap, stories, first, last, by_creation=by_creation)


def attachments_in(
    snap: ArrowSnapshot, first: int, last: int, *, by_creation: bool = True
) -> pl.DataFrame:
    return children_in(snap, attachments, first, last, by_creation=by_creation)


def story_likes_in(snap: ArrowSnapshot, first: int, last: int) -> pl.DataFrame:
    """`story_gid, gid, user_gid` of the likes of the stories of the tasks `first..last`."""
    likes, s = story_likes.c, stories.c
    query = (
        select(likes.story_gid, likes.gid, likes.user_gid)
        .join(stories, s.gid == likes.story_gid)
        .where(_in_range(s.task_gid, first, last))
        .order_by(likes.story_gid, likes.gid)
    )
    return snap.frame(query)


# The organization's other objects (everything but tasks and their children), a page of
# objects at a time in gid order (`WHERE gid > after ORDER BY gid LIMIT n`), and the rows
# each page's relations need, by the page's gids.


def page(
    snap: ArrowSnapshot, query: AnySelect, key: ColumnElement[int], after: int | None, limit: int
) -> pl.DataFrame:
    """The next `limit` rows of `query` in `key` order after `after`."""
    if after is not None:
        query = query.where(key > after)
    return snap.frame(query.order_by(key).limit(limit))


def _member(user_gid: ColumnElement[int], organization_gid: int) -> Condition:
    wm = workspace_memberships
    return exists(
        select(wm.c.gid).where(
            wm.c.user_gid == user_gid,
            wm.c.workspace_gid == organization_gid,
            wm.c.deleted_at.is_(None),
        )
    )


def workspace_rows(snap: ArrowSnapshot, organization_gid: int) -> pl.DataFrame:
    w = workspaces
    query = select(*snap.columns(w, "gid", "name", "email_domains", "is_organization"))
    return snap.frame(query.where(w.c.gid == organization_gid, w.c.deleted_at.is_(None)))


def user_rows(
    snap: ArrowSnapshot, organization_gid: int, after: int | None, limit: int
) -> pl.DataFrame:
    """The organization's members (an undeleted membership of it)."""
    u = users
    query = select(*snap.columns(u, "gid", "name", "email", "photo")).where(
        u.c.deleted_at.is_(None), _member(u.c.gid, organization_gid)
    )
    return page(snap, query, u.c.gid, after, limit)


def workspace_membership_rows(
    snap: ArrowSnapshot, organization_gid: int, after: int | None, limit: int
) -> pl.DataFrame:
    wm = workspace_memberships
    query = select(*snap.columns(wm)).where(
        wm.c.workspace_gid == organization_gid, wm.c.deleted_at.is_(None)
    )
    return page(snap, query, wm.c.gid, after, limit)


def team_names(snap: ArrowSnapshot, organization_gid: int) -> pl.DataFrame:
    return named(snap, teams, organization_gid)


def portfolio_names(snap: ArrowSnapshot, organization_gid: int) -> pl.DataFrame:
    return named(snap, portfolios, organization_gid)


def goal_names(snap: ArrowSnapshot, organization_gid: int) -> pl.DataFrame:
    """`gid, name, owner_gid` of the organization's undeleted goals."""
    g = goals
    query = select(g.c.gid, g.c.name, g.c.owner_gid).where(in_organization(g, organization_gid))
    return snap.frame(query.order_by(g.c.gid))


def rows_in_organization(
    snap: ArrowSnapshot,
    table: Table,
    organization_gid: int,
    where: Sequence[Condition],
    after: int | None,
    limit: int,
) -> pl.DataFrame:
    """Undeleted rows of a table with a `workspace_gid` (teams, projects, tags…)."""
    query = select(*snap.columns(table)).where(in_organization(table, organization_gid), *where)
    return page(snap, query, table.c.gid, after, limit)


def teams_page(
    snap: ArrowSnapshot, organization_gid: int, where: Sequence[Condition], after: int | None,
    limit: int,
) -> pl.DataFrame:  # fmt: skip
    return rows_in_organization(snap, teams, organization_gid, where, after, limit)


def custom_fields_page(
    snap: ArrowSnapshot, organization_gid: int, after: int | None, limit: int
) -> pl.DataFrame:
    return rows_in_organization(snap, custom_fields, organization_gid, (), after, limit)


def tags_page(
    snap: ArrowSnapshot, organization_gid: int, after: int | None, limit: int
) -> pl.DataFrame:
    return rows_in_organization(snap, tags, organization_gid, (), after, limit)


def projects_page(
    snap: ArrowSnapshot, organization_gid: int, where: Sequence[Condition], after: int | None,
    limit: int,
) -> pl.DataFrame:  # fmt: skip
    return rows_in_organization(snap, projects, organization_gid, where, after, limit)


def portfolios_page(
    snap: ArrowSnapshot, organization_gid: int, where: Sequence[Condition], after: int | None,
    limit: int,
) -> pl.DataFrame:  # fmt: skip
    return rows_in_organization(snap, portfolios, organization_gid, where, after, limit)


def goals_page(
    snap: ArrowSnapshot, organization_gid: int, where: Sequence[Condition], after: int | None,
    limit: int,
) -> pl.DataFrame:  # fmt: skip
    return rows_in_organization(snap, goals, organization_gid, where, after, limit)


def memberships_page(
    snap: ArrowSnapshot, table: Table, parents: Table, organization_gid: int,
    after: int | None, limit: int,
) -> pl.DataFrame:  # fmt: skip
    """Undeleted team, project or portfolio memberships of the organization's undeleted
    parents (`parents`)."""
    kind = parents.name.removesuffix("s")
    query = (
        select(*snap.columns(table))
        .join(parents, parents.c.gid == table.c[f"{kind}_gid"])
        .where(table.c.deleted_at.is_(None), in_organization(parents, organization_gid))
    )
    return page(snap, query, table.c.gid, after, limit)


def team_memberships_page(
    snap: ArrowSnapshot, organization_gid: int, after: int | None, limit: int
) -> pl.DataFrame:
    return memberships_page(snap, team_memberships, teams, organization_gid, after, limit)


def project_memberships_page(
    snap: ArrowSnapshot, organization_gid: int, after: int | None, limit: int
) -> pl.DataFrame:
    return memberships_page(snap, project_memberships, projects, organization_gid, after, limit)


def portfolio_memberships_page(
    snap: ArrowSnapshot, organization_gid: int, after: int | None, limit: int
) -> pl.DataFrame:
    return memberships_page(snap, portfolio_memberships, portfolios, organization_gid, after, limit)


def sections_page(
    snap: ArrowSnapshot, organization_gid: int, where: Sequence[Condition], after: int | None,
    limit: int,
) -> pl.DataFrame:  # fmt: skip
    """Undeleted sections of the organization's undeleted projects."""
    s = sections
    query = (
        select(*snap.columns(s))
        .join(projects, projects.c.gid == s.c.project_gid)
        .where(s.c.deleted_at.is_(None), in_organization(projects, organization_gid), *where)
    )
    return page(snap, query, s.c.gid, after, limit)


def linked(
    snap: ArrowSnapshot, owner: ColumnElement[int], other: ColumnElement[int],
    gids: Collection[int], *where: Condition,
) -> pl.DataFrame:  # fmt: skip
    """`owner, other` rows of a plain link (members, followers) of the owners `gids`, by
    owner then linked gid."""
    query = select(owner.label("owner"), other.label("other")).where(
        snap.among(owner, gids), *where
    )
    return snap.frame(query.order_by(owner, other))


def team_members(snap: ArrowSnapshot, gids: Collection[int]) -> pl.DataFrame:
    tm = team_memberships.c
    return linked(snap, tm.team_gid, tm.user_gid, gids, tm.deleted_at.is_(None))


def project_members(snap: ArrowSnapshot, gids: Collection[int]) -> pl.DataFrame:
    pm = project_memberships.c
    return linked(snap, pm.project_gid, pm.user_gid, gids, pm.deleted_at.is_(None))


def project_followers_of(snap: ArrowSnapshot, gids: Collection[int]) -> pl.DataFrame:
    pf = project_followers.c
    return linked(snap, pf.project_gid, pf.user_gid, gids)


def portfolio_members(snap: ArrowSnapshot, gids: Collection[int]) -> pl.DataFrame:
    pm = portfolio_memberships.c
    return linked(snap, pm.portfolio_gid, pm.user_gid, gids, pm.deleted_at.is_(None))


def goal_followers_of(snap: ArrowSnapshot, gids: Collection[int]) -> pl.DataFrame:
    gf = goal_followers.c
    return linked(snap, gf.goal_gid, gf.user_gid, gids)


def message_followers_of(snap: ArrowSnapshot, gids: Collection[int]) -> pl.DataFrame:
    mf = message_followers.c
    return linked(snap, mf.message_gid, mf.user_gid, gids)


def likes_of(
    snap: ArrowSnapshot, parent: ColumnElement[int], gids: Collection[int]
) -> pl.DataFrame:
    """`owner, gid, user_gid` of the likes of `gids` (`parent`: a likes table's owner)."""
    table = parent.table
    query = select(parent.label("owner"), table.c.gid, table.c.user_gid).where(
        snap.among(parent, gids)
    )
    return snap.frame(query.order_by(parent, table.c.gid))


def goal_likes_of(snap: ArrowSnapshot, gids: Collection[int]) -> pl.DataFrame:
    return likes_of(snap, goal_likes.c.goal_gid, gids)


def message_likes_of(snap: ArrowSnapshot, gids: Collection[int]) -> pl.DataFrame:
    return likes_of(snap, message_likes.c.message_gid, gids)


def story_likes_of(snap: ArrowSnapshot, gids: Collection[int]) -> pl.DataFrame:
    """`story_gid, gid, user_gid` of the likes of the stories `gids`."""
    likes = story_likes.c
    query = select(likes.story_gid, likes.gid, likes.user_gid).where(
        snap.among(likes.story_gid, gids)
    )
    return snap.frame(query.order_by(likes.story_gid, likes.gid))


def current_status_updates(
    snap: ArrowSnapshot, organization_gid: int, gids: Collection[int]
) -> pl.DataFrame:
    """`owner, parent_type, gid, title` of the status updates of the parents `gids`
    (projects, portfolios, goals), each parent's newest first."""
    link, m = message_parents.c, messages.c
    query = (
        select(link.parent_gid.label("owner"), link.parent_type, m.gid, m.title)
        .join(messages, m.gid == link.message_gid)
        .where(
            m.resource_subtype == "status_update",
            in_organization(messages, organization_gid),
            snap.among(link.parent_gid, gids),
        )
        .order_by(link.parent_gid, m.created_at.desc(), m.gid.desc())
    )
    return snap.frame(query)


def field_settings(snap: ArrowSnapshot, gids: Collection[int]) -> pl.DataFrame:
    """`owner, custom_field_gid, is_important` of the projects `gids`."""
    s = project_custom_field_settings.c
    query = select(s.project_gid.label("owner"), s.custom_field_gid, s.is_important).where(
        snap.among(s.project_gid, gids)
    )
    return snap.frame(query.order_by(s.project_gid, s.custom_field_gid))


def portfolio_items_of(snap: ArrowSnapshot, gids: Collection[int]) -> pl.DataFrame:
    """`owner, project_gid, item_portfolio_gid` of the portfolios `gids`, by position."""
    i = portfolio_items.c
    query = select(i.portfolio_gid.label("owner"), i.project_gid, i.item_portfolio_gid).where(
        snap.among(i.portfolio_gid, gids)
    )
    return snap.frame(query.order_by(i.portfolio_gid, i.position))


# Messages and status updates, and their stories and attachments.

PARENT_TABLES: dict[str, Table] = {
    "project": projects,
    "portfolio": portfolios,
    "team": teams,
    "goal": goals,
}
"""Where a message's parent lives, by `message_parents.parent_type`."""


def _to_team() -> Condition:
    """The message was sent to a team (StatusUpdateResponse has no place for that parent)."""
    mp = message_parents
    return exists(
        select(mp.c.message_gid).where(
            mp.c.message_gid == messages.c.gid, mp.c.parent_type == "team"
        )
    )


def _live_parent(link: Table, organization_gid: int) -> Condition:
    """The parent a `message_parents` row names is exported (undeleted, in the
    organization): the reference is polymorphic, so one EXISTS per parent type."""
    return or_(
        *(
            and_(
                link.c.parent_type == kind,
                exists(
                    select(table.c.gid).where(
                        table.c.gid == link.c.parent_gid, in_organization(table, organization_gid)
                    )
                ),
            )
            for kind, table in PARENT_TABLES.items()
        )
    )


MESSAGE_COLUMNS = tuple(c.key for c in messages.c if c.key != "deleted_at")


def status_updates_page(
    snap: ArrowSnapshot, organization_gid: int, after: int | None, limit: int
) -> pl.DataFrame:
    """Status updates of projects, portfolios and goals (not of teams)."""
    m = messages
    query = select(*snap.columns(m, *MESSAGE_COLUMNS)).where(
        in_organization(m, organization_gid), m.c.resource_subtype == "status_update",
        ~_to_team(),
    )  # fmt: skip
    return page(snap, query, m.c.gid, after, limit)


def messages_page(
    snap: ArrowSnapshot,
    organization_gid: int,
    where: Sequence[Condition],
    after: int | None,
    limit: int,
    *,
    every_status_update: bool,
) -> pl.DataFrame:
    """Default messages and the status updates of teams (or every status update)."""
    m = messages
    kinds = (
        true()
        if every_status_update
        else or_(
            m.c.resource_subtype == "default",
            and_(m.c.resource_subtype == "status_update", _to_team()),
        )
    )
    query = select(*snap.columns(m, *MESSAGE_COLUMNS)).where(
        in_organization(m, organization_gid), kinds, *where
    )
    return page(snap, query, m.c.gid, after, limit)


def message_gids_page(
    snap: ArrowSnapshot, organization_gid: int, after: int | None, limit: int
) -> pl.DataFrame:
    """`gid` of the organization's undeleted messages of every kind."""
    m = messages
    query = select(m.c.gid).where(in_organization(m, organization_gid))
    return page(snap, query, m.c.gid, after, limit)


def message_links(snap: ArrowSnapshot, gids: Collection[int]) -> pl.DataFrame:
    """`owner, parent_type, parent_gid` of the messages `gids`, by message then parent."""
    mp = message_parents.c
    query = select(mp.message_gid.label("owner"), mp.parent_type, mp.parent_gid).where(
        snap.among(mp.message_gid, gids)
    )
    return snap.frame(query.order_by(mp.message_gid, mp.parent_gid))


def message_children(
    snap: ArrowSnapshot, table: Table, gids: Collection[int], *, by_creation: bool
) -> pl.DataFrame:
    """Undeleted stories or attachments of the messages `gids`, by message, then each
    message's oldest first (`by_creation`) or in gid order."""
    owner = table.c.message_gid
    skipped = ("task_gid", "message_gid", "deleted_at", "modified_at")
    names = [c.key for c in table.c if c.key not in skipped]
    order = (table.c.created_at, table.c.gid) if by_creation else (table.c.gid,)
    query = (
        select(owner.label("owner"), *snap.columns(table, *names))
        .where(table.c.deleted_at.is_(None), snap.among(owner, gids))
        .order_by(owner, *order)
    )
    return snap.frame(query)


def message_stories(
    snap: ArrowSnapshot, gids: Collection[int], *, by_creation: bool
) -> pl.DataFrame:
    return message_children(snap, stories, gids, by_creation=by_creation)


def message_attachments(
    snap: ArrowSnapshot, gids: Collection[int], *, by_creation: bool
) -> pl.DataFrame:
    return message_children(snap, attachments, gids, by_creation=by_creation)


def message_targets(
    snap: ArrowSnapshot, organization_gid: int, gids: Collection[int]
) -> pl.DataFrame:
    """`gid, resource_subtype, title, parent_type` of the exported messages among `gids`:
    a status update counts only with its parent exported."""
    m, mp = messages.c, message_parents
    query = (
        select(m.gid, m.resource_subtype, m.title, mp.c.parent_type)
        .outerjoin(mp, mp.c.message_gid == m.gid)
        .where(
            in_organization(messages, organization_gid),
            snap.among(m.gid, gids),
            or_(
                m.resource_subtype == "default",
                and_(mp.c.message_gid.is_not(None), _live_parent(mp, organization_gid)),
            ),
        )
    )
    return snap.frame(query)


# Goal relationships, allocations and time tracking entries of the whole organization.


def goal_relationships_page(
    snap: ArrowSnapshot, organization_gid: int, after: int | None, limit: int
) -> pl.DataFrame:
    """The undeleted relationships of the organization's undeleted goals."""
    gr = goal_relationships
    query = (
        select(*snap.columns(gr))
        .join(goals, goals.c.gid == gr.c.supported_goal_gid)
        .where(gr.c.deleted_at.is_(None), in_organization(goals, organization_gid))
    )
    return page(snap, query, gr.c.gid, after, limit)


def allocations_page(
    snap: ArrowSnapshot, organization_gid: int, after: int | None, limit: int
) -> pl.DataFrame:
    """The organization's undeleted allocations of undeleted projects, with the names
    their references show (a deleted user's name is null: the reference is left out)."""
    a = allocations
    assignee, creator = users.alias("assignee"), users.alias("creator")
    query = (
        select(
            *snap.columns(a),
            projects.c.name.label("project_name"),
            assignee.c.name.label("assignee_name"),
            creator.c.name.label("creator_name"),
        )
        .join(projects, projects.c.gid == a.c.project_gid)
        .outerjoin(
            assignee, and_(assignee.c.gid == a.c.assignee_gid, assignee.c.deleted_at.is_(None))
        )
        .outerjoin(
            creator, and_(creator.c.gid == a.c.created_by_gid, creator.c.deleted_at.is_(None))
        )
        .where(
            a.c.workspace_gid == organization_gid,
            a.c.deleted_at.is_(None),
            projects.c.deleted_at.is_(None),
        )
    )
    return page(snap, query, a.c.gid, after, limit)


def time_entries_page(
    snap: ArrowSnapshot, organization_gid: int, after: int | None, limit: int
) -> pl.DataFrame:
    """The undeleted time tracking entries of the organization's undeleted tasks, with
    their task's compact columns and the names their references show."""
    e = time_tracking_entries
    query = time_entries_named(*snap.columns(e)).where(in_organization(tasks, organization_gid))
    return page(snap, query, e.c.gid, after, limit)
