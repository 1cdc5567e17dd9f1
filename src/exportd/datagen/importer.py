"""`exportd import`: a JSON Lines file in the export format, loaded in one transaction.

The file is streamed (plain or gzip, told apart by its first bytes), each line checked and
turned into rows, and rows written in batches. Objects may refer to objects further down
the file, so foreign keys are checked at commit (deferred), and references are checked by
the importer itself as it goes, so an error names its line and field. Anything wrong
rolls the whole import back: either every object is in the store, or none is.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, cast

import orjson
from isal import igzip, isal_zlib
from sqlalchemy import Connection, Table, insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError

from exportd.datagen import graph_loaders, loaders, task_loaders
from exportd.datagen.fields import Fields, ImportRefused, References, refuse
from exportd.errors import NotFound
from exportd.exports.reader import chunks
from exportd.store import schema
from exportd.store.bulk import bulk_insert
from exportd.store.database import Database

FLUSH_ROWS = 5_000
"""Rows buffered before they are written (bounded memory, few round trips)."""

GZIP_MAGIC = b"\x1f\x8b"
_UNKNOWN = 0
"""The organization of a row made before the file's workspace object was read."""

_UNREADABLE = (OSError, EOFError, cast(type[Exception], isal_zlib.error))
"""What a truncated or damaged gzip stream raises."""

LOADERS: dict[str, loaders.Loader] = {
    "workspace": loaders.load_workspace,
    "user": loaders.load_user,
    "workspace_membership": loaders.load_workspace_membership,
    "team": loaders.load_team,
    "team_membership": loaders.load_team_membership,
    "custom_field": loaders.load_custom_field,
    "tag": loaders.load_tag,
    "project": loaders.load_project,
    "project_membership": loaders.load_project_membership,
    "section": loaders.load_section,
    "portfolio": loaders.load_portfolio,
    "portfolio_membership": loaders.load_portfolio_membership,
    "goal": loaders.load_goal,
    "task": task_loaders.load_task,
    "story": task_loaders.load_story,
    "attachment": task_loaders.load_attachment,
    "status_update": task_loaders.load_status_update,
    "message": task_loaders.load_message,
    "goal_relationship": graph_loaders.load_goal_relationship,
    "allocation": graph_loaders.load_allocation,
    "time_tracking_entry": graph_loaders.load_time_tracking_entry,
    "portfolio_to_portfolio": graph_loaders.load_portfolio_link,
    "project_to_portfolio": graph_loaders.load_portfolio_link,
}

STORED_IN: dict[str, Table] = {
    "workspace": schema.workspaces,
    "user": schema.users,
    "team": schema.teams,
    "project": schema.projects,
    "portfolio": schema.portfolios,
    "goal": schema.goals,
    "tag": schema.tags,
    "custom_field": schema.custom_fields,
    "enum_option": schema.custom_field_enum_options,
    "section": schema.sections,
    "task": schema.tasks,
    "message": schema.messages,
    "story": schema.stories,
    "attachment": schema.attachments,
    "goal_relationship": schema.goal_relationships,
    "allocation": schema.allocations,
    "time_tracking_entry": schema.time_tracking_entries,
}
"""Where to look for a referenced gid that the file does not define."""


OnProgress = Callable[[int, int], None]
"""`(bytes of the file read, its size)`, called as an import goes."""
PROGRESS_EVERY = 2000  # lines between progress calls


def import_jsonl(
    database: Database,
    path: Path,
    *,
    now: datetime,
    organization_gid: int | None = None,
    progress: OnProgress | None = None,
) -> Counter[str]:
    """Load the file into the store; return how many objects of each type were loaded.

    Without `organization_gid`, the file's workspace object becomes a new organization;
    with it, the objects go into that existing organization. Raises ImportRefused
    (`line N: reason`) and changes nothing when any line is wrong. `progress` hears how
    much of the file (as stored: compressed, for a gzip file) was read.
    """
    size = path.stat().st_size
    try:
        with open_input(path) as (raw, stream), database.write() as connection:
            defer_foreign_keys(connection)
            if organization_gid is not None:
                _require_organization(connection, organization_gid)
            batch = _Import(connection, now, organization_gid)
            number = 0
            try:
                for number, line in enumerate(stream, 1):
                    batch.load_line(number, line)
                    if progress is not None and number % PROGRESS_EVERY == 0:
                        progress(min(raw.tell(), size), size)
            except _UNREADABLE as error:
                refuse(number + 1, f"the file cannot be read: {error}")
            batch.finish()
            if progress is not None:
                progress(size, size)
    except IntegrityError as error:  # at commit: every other one is located and reported
        raise ImportRefused(f"the store refused the file at commit: {_reason(error)}") from error
    return batch.counts


@contextmanager
def open_input(path: Path) -> Iterator[tuple[IO[bytes], IO[bytes]]]:
    """The file as stored (whose position says how far reading got) and its lines as
    bytes, through gzip when it starts with gzip's magic bytes."""
    with path.open("rb") as raw:
        compressed = raw.read(2) == GZIP_MAGIC
        raw.seek(0)
        if not compressed:
            yield raw, raw
            return
        unzipped = cast(IO[bytes], igzip.GzipFile(fileobj=raw, mode="rb"))  # type: ignore[no-untyped-call]
        with unzipped:
            yield raw, unzipped


def defer_foreign_keys(connection: Connection) -> None:
    """Check foreign keys at commit, so objects may come before what they refer to."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    else:
        connection.exec_driver_sql("SET CONSTRAINTS ALL DEFERRED")


def _require_organization(connection: Connection, gid: int) -> None:
    found = connection.execute(
        select(schema.workspaces.c.gid).where(
            schema.workspaces.c.gid == gid, schema.workspaces.c.deleted_at.is_(None)
        )
    ).first()
    if found is None:
        raise NotFound(f"organization: no organization with gid {gid}")


@dataclass
class _Import:
    """The state of one import: buffered rows, gids seen, counts (a `loaders.Sink`)."""

    connection: Connection
    now: datetime
    target_gid: int | None
    organization_gid: int | None = None
    references: References = field(default_factory=References)
    counts: Counter[str] = field(default_factory=Counter)
    buffered: defaultdict[Table, list[tuple[int, dict[str, Any]]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    size: int = 0
    positions: Counter[int] = field(default_factory=Counter)
    waiting: set[Table] = field(default_factory=set)
    """Tables holding rows whose organization is the file's workspace, not yet read."""
    flush_at: int = field(default_factory=lambda: FLUSH_ROWS)

    def __post_init__(self) -> None:
        self.organization_gid = self.target_gid

    def load_line(self, number: int, line: bytes) -> None:
        if not line.strip():
            return
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            refuse(number, f"not valid JSON ({error})")
        if not isinstance(obj, dict):
            refuse(number, "expected a JSON object")
        fields = Fields(obj, number, self.references, organization_gid=self.target_gid)
        resource_type = fields.text("resource_type")
        loader = LOADERS.get(resource_type)
        if loader is None:
            fields.fail("resource_type", f"unknown resource type '{resource_type}'")
        loader(fields, self)
        if self.size >= self.flush_at:
            self.flush()

    # The loaders' sink.

    def add(self, table: Table, line: int, **row: Any) -> None:
        self.buffered[table].append((line, row))
        self.size += 1
        if row.get("workspace_gid") == _UNKNOWN:
            self.waiting.add(table)

    def defined(self, fields: Fields, resource_type: str, gid_field: str = "gid") -> int:
        gid = fields.gid(gid_field)
        self.references.define(gid, resource_type, fields.line)
        return gid

    def organization(self, fields: Fields) -> int:
        """The organization of objects that do not name it (custom fields, messages)."""
        return _UNKNOWN if self.organization_gid is None else self.organization_gid

    def next_position(self, project_gid: int) -> int:
        position = self.positions[project_gid]
        self.positions[project_gid] += 1
        return position

    def counted(self, resource_type: str) -> None:
        self.counts[resource_type] += 1

    # Writing.

    def finish(self) -> None:
        if self.organization_gid is None:
            raise ImportRefused(
                "the file has no workspace object; give --organization to import into an "
                "existing organization"
            )
        self.flush()
        self._check_pending()

    def flush(self) -> None:
        """Write what is buffered; first refuse gids the store has, naming the earliest line.

        Rows that wait for the file's workspace object stay buffered until it comes.
        """
        held = self.waiting if self.organization_gid is None else set()
        batches = [
            (table, rows)
            for table in schema.metadata.sorted_tables
            if table not in held and (rows := self.buffered.pop(table, None))
        ]
        taken = [found for table, rows in batches if (found := self._taken(table, rows))]
        if taken:
            line, gid = min(taken)
            refuse(line, f"gid: {gid} is already in the store")
        for table, rows in batches:
            self._write(table, rows)
        self.size = sum(len(rows) for rows in self.buffered.values())
        self.flush_at = self.size + FLUSH_ROWS

    def _taken(
        self, table: Table, rows: list[tuple[int, dict[str, Any]]]
    ) -> tuple[int, int] | None:
        """The first `(line, gid)` of these rows whose gid the store already has."""
        if "gid" not in table.c:
            return None
        lines = {row["gid"]: line for line, row in rows}
        found: list[tuple[int, int]] = []
        for chunk in chunks(list(lines)):
            query = select(table.c.gid).where(table.c.gid.in_(chunk))
            found.extend((lines[gid], gid) for gid in self.connection.scalars(query))
        return min(found, default=None)

    def _write(self, table: Table, rows: list[tuple[int, dict[str, Any]]]) -> None:
        if table in self.waiting:
            for _, row in rows:
                if row["workspace_gid"] == _UNKNOWN:
                    row["workspace_gid"] = self.organization_gid
        refused = (DBAPIError, self.connection.dialect.loaded_dbapi.Error)
        try:
            with self.connection.begin_nested():
                bulk_insert(self.connection, table, [row for _, row in rows])
        except refused:
            self._locate(table, rows)
            raise

    def _locate(self, table: Table, rows: list[tuple[int, dict[str, Any]]]) -> None:
        """Find the row the store refused, one savepoint per row, and name its line.

        A batch goes in at once (COPY on PostgreSQL), so its error cannot say which row.
        """
        for line, row in rows:
            try:
                with self.connection.begin_nested():
                    self.connection.execute(insert(table), [row])
            except DBAPIError as error:
                refuse(line, f"the store refused it ({table.name}): {_reason(error)}")

    def _check_pending(self) -> None:
        """References to gids the file never defined must be in the store."""
        by_kind: defaultdict[str, list[int]] = defaultdict(list)
        for gid, pending in self.references.pending.items():
            by_kind[pending.kind].append(gid)
        missing: list[int] = []
        for kind, gids in by_kind.items():
            table = STORED_IN.get(kind)
            found: set[int] = set()
            if table is not None:
                for chunk in chunks(gids):
                    found.update(
                        self.connection.scalars(select(table.c.gid).where(table.c.gid.in_(chunk)))
                    )
            missing.extend(gid for gid in gids if gid not in found)
        if missing:
            first = min(missing, key=lambda gid: self.references.pending[gid].line)
            pending = self.references.pending[first]
            refuse(
                pending.line,
                f"{pending.field}: no {pending.kind} with gid {first} in the file or the store",
            )


def _reason(error: DBAPIError) -> str:
    return str(error.orig).strip().splitlines()[0]
