"""The compact forms of referenced objects, fetched for a whole page with one query per kind.

A page of tasks refers to users, projects, sections, tags, custom fields and other tasks.
The page's builder first names every gid it needs (`want`), then `load()` fetches the
missing ones, one query per kind, and the shapes read them from memory (`get`, `many`).
Lookups apply the export's rule: only undeleted objects of the organization are found, so a
reference to anything else shows as null, or drops out of its list. The cache keeps what
later pages will likely need again (users, projects) up to a bound, so memory stays flat.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from sqlalchemy import and_, exists, or_, select

from exportd.exports import shapes
from exportd.exports.reader import Reader
from exportd.exports.shapes import Obj
from exportd.exports.task_shapes import message_compact
from exportd.store.schema import (
    custom_field_enum_options,
    custom_fields,
    goals,
    message_parents,
    messages,
    portfolios,
    projects,
    sections,
    tags,
    tasks,
    teams,
    users,
    workspaces,
)

CAPACITY = 20_000
"""Most compact forms kept per kind between pages."""

NESTED_USER = "_user"
"""Where a loader leaves the gid of a user its compact form shows (task's created_by…)."""

Found = Iterator[tuple[int, Obj]]


class Compacts:
    """The compact forms one export has looked up, by kind and gid (see the module doc)."""

    def __init__(self, reader: Reader, capacity: int = CAPACITY) -> None:
        self.reader = reader
        self.capacity = capacity
        self._cache: defaultdict[str, dict[int, Obj | None]] = defaultdict(dict)
        self._wanted: defaultdict[str, set[int]] = defaultdict(set)

    def want(self, kind: str, gids: Iterable[int | None]) -> None:
        """Note gids whose compact forms the current page needs."""
        wanted = self._wanted[kind]
        wanted.update(gid for gid in gids if gid is not None)

    def load(self) -> None:
        """Fetch what was wanted and is not cached yet; nested users last, as others name them."""
        for kind in sorted(self._wanted, key=lambda k: k == "user"):
            self._load(kind)
        self._load("user")
        self._wanted.clear()

    def _load(self, kind: str) -> None:
        wanted, cache = self._wanted.pop(kind, set()), self._cache[kind]
        missing = [gid for gid in wanted if gid not in cache]
        if not missing:
            return
        if len(cache) + len(missing) > self.capacity:
            kept = {gid: cache[gid] for gid in wanted if gid in cache}
            cache.clear()
            cache.update(kept)
        found = dict(LOADERS[kind](self, missing))
        nested = []
        for gid in missing:
            obj = cache[gid] = found.get(gid)
            if obj is not None and NESTED_USER in obj:
                nested.append(obj)
        if nested:
            self.want("user", [obj[NESTED_USER][1] for obj in nested])
            self._load("user")
            for obj in nested:
                field, user_gid = obj.pop(NESTED_USER)
                obj[field] = self.get("user", user_gid)

    def get(self, kind: str, gid: int | None) -> Obj | None:
        if gid is None:
            return None
        return self._cache[kind].get(gid)

    def many(self, kind: str, gids: Iterable[int]) -> list[Obj]:
        cache = self._cache[kind]
        return [obj for obj in map(cache.get, gids) if obj is not None]

    def remember(self, kind: str, gid: int, obj: Obj | None) -> None:
        """Store a compact form read by other means (the organization itself)."""
        self._cache[kind][gid] = obj


def _named(kind: str, table: Any) -> Callable[[Compacts, list[int]], Found]:
    def load(compacts: Compacts, gids: list[int]) -> Found:
        reader = compacts.reader
        query = select(table.c.gid, table.c.name).where(reader.in_organization(table))
        for row in reader.rows(query, table.c.gid, gids):
            yield row.gid, shapes.named(kind, row.gid, row.name)

    return load


def _users(compacts: Compacts, gids: list[int]) -> Found:
    reader = compacts.reader
    query = select(users.c.gid, users.c.name).where(
        users.c.deleted_at.is_(None), reader.is_member(users.c.gid)
    )
    for row in reader.rows(query, users.c.gid, gids):
        yield row.gid, shapes.named("user", row.gid, row.name)


def _workspaces(compacts: Compacts, gids: list[int]) -> Found:
    reader = compacts.reader
    query = select(workspaces.c.gid, workspaces.c.name).where(
        workspaces.c.gid == reader.organization_gid, workspaces.c.deleted_at.is_(None)
    )
    for row in reader.rows(query, workspaces.c.gid, gids):
        yield row.gid, shapes.named("workspace", row.gid, row.name)


def _goals(compacts: Compacts, gids: list[int]) -> Found:
    reader = compacts.reader
    query = select(goals.c.gid, goals.c.name, goals.c.owner_gid).where(
        reader.in_organization(goals)
    )
    for row in reader.rows(query, goals.c.gid, gids):
        obj = {**shapes.named("goal", row.gid, row.name), "owner": None}
        if row.owner_gid is not None:
            obj[NESTED_USER] = ("owner", row.owner_gid)
        yield row.gid, obj


def _tasks(compacts: Compacts, gids: list[int]) -> Found:
    reader = compacts.reader
    query = select(
        tasks.c.gid, tasks.c.name, tasks.c.resource_subtype, tasks.c.created_by_gid
    ).where(reader.in_organization(tasks))
    for row in reader.rows(query, tasks.c.gid, gids):
        obj = {
            "gid": str(row.gid),
            "resource_type": "task",
            "name": row.name,
            "resource_subtype": row.resource_subtype,
            "created_by": None,
        }
        if row.created_by_gid is not None:
            obj[NESTED_USER] = ("created_by", row.created_by_gid)
        yield row.gid, obj


def _sections(compacts: Compacts, gids: list[int]) -> Found:
    """Sections of the organization's projects. The project is checked by EXISTS, not a
    join: with a join SQLite walks every project of the organization for each lookup
    (three quarters of a million-task export's time), with EXISTS it starts from the gids."""
    reader = compacts.reader
    in_project = select(projects.c.gid).where(
        projects.c.gid == sections.c.project_gid, reader.in_organization(projects)
    )
    query = select(sections.c.gid, sections.c.name).where(
        sections.c.deleted_at.is_(None), exists(in_project)
    )
    for row in reader.rows(query, sections.c.gid, gids):
        yield row.gid, shapes.named("section", row.gid, row.name)


def _custom_fields(compacts: Compacts, gids: list[int]) -> Found:
    reader = compacts.reader
    fields = reader.rows(
        select(custom_fields).where(reader.in_organization(custom_fields)),
        custom_fields.c.gid,
        gids,
    )
    options = enum_options(reader, [row.gid for row in fields])
    for row in fields:
        yield row.gid, shapes.custom_field_compact(row, options.get(row.gid, []))


def enum_options(reader: Reader, field_gids: list[int]) -> dict[int, list[Obj]]:
    """The undeleted enum options of custom fields, in position order."""
    option = custom_field_enum_options
    query = (
        select(option.c.custom_field_gid, option.c.gid, option.c.name, option.c.enabled,
               option.c.color)
        .where(option.c.deleted_at.is_(None))
        .order_by(option.c.custom_field_gid, option.c.position, option.c.gid)
    )  # fmt: skip
    groups = reader.grouped(query, option.c.custom_field_gid, field_gids)
    return {gid: [shapes.enum_option(row) for row in rows] for gid, rows in groups.items()}


def _messages(compacts: Compacts, gids: list[int]) -> Found:
    """Messages and status updates; a status update counts only with its parent exported."""
    reader = compacts.reader
    query = (
        select(messages.c.gid, messages.c.resource_subtype, messages.c.title,
               message_parents.c.parent_type)
        .outerjoin(message_parents, message_parents.c.message_gid == messages.c.gid)
        .where(
            reader.in_organization(messages),
            or_(
                messages.c.resource_subtype == "default",
                and_(message_parents.c.message_gid.is_not(None),
                     reader.is_live_parent(message_parents)),
            ),
        )
    )  # fmt: skip
    for row in reader.rows(query, messages.c.gid, gids):
        parent_type = row.parent_type if row.resource_subtype == "status_update" else None
        yield row.gid, message_compact(row.gid, row.resource_subtype, row.title, parent_type)


LOADERS: dict[str, Callable[[Compacts, list[int]], Found]] = {
    "user": _users,
    "workspace": _workspaces,
    "team": _named("team", teams),
    "project": _named("project", projects),
    "portfolio": _named("portfolio", portfolios),
    "tag": _named("tag", tags),
    "goal": _goals,
    "task": _tasks,
    "section": _sections,
    "custom_field": _custom_fields,
    "message": _messages,
}
