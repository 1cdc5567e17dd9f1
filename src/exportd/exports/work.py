"""Page builders for the work: tasks, status updates and messages.

Same conventions as `structure`. A task's page needs up to eight relations (followers,
likes, tags, dependencies both ways, memberships, custom field values, subtask counts): one
query per relation and page, whatever the page's size, and none for a relation whose
fields a resource export does not show.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, exists, func, or_, select, true

from exportd.exports import task_shapes
from exportd.exports.context import Export, Pages
from exportd.exports.reader import AnyRow, Reader
from exportd.exports.relations import gids_by_owner, likes
from exportd.store.schema import (
    attachments,
    message_followers,
    message_likes,
    message_parents,
    messages,
    stories,
    task_custom_field_values,
    task_dependencies,
    task_followers,
    task_likes,
    task_memberships,
    task_tags,
    tasks,
)

Where = ColumnElement[bool]


def task_pages(
    export: Export, *where: Where, relations: Collection[str] = task_shapes.RELATIONS
) -> Pages:
    """Tasks with the relations named in `relations` (all by default); the others show as
    empty, so a narrow resource export runs only the queries its fields need."""
    reader, refs = export.reader, export.compacts
    readers = [(name, read) for name, read in RELATION_READERS.items() if name in relations]
    query = export.reader.table(tasks).where(reader.in_organization(tasks), *where)
    for page in export.pages(query, tasks.c.gid):
        gids = [row.gid for row in page]
        links = _task_links(reader, gids, readers)
        for row in page:
            refs.want("user", [row.created_by_gid, row.assigned_by_gid, row.completed_by_gid,
                               row.assignee_gid])  # fmt: skip
            refs.want("task", [row.parent_gid])
        for link in links.values():
            refs.want("user", link.followers)
            refs.want("user", (user for _, user in link.likes))
            refs.want("tag", link.tags)
            refs.want("task", link.dependencies)
            refs.want("task", link.dependents)
            refs.want("project", (project for project, _ in link.memberships))
            refs.want("section", (section for _, section in link.memberships))
            refs.want("custom_field", (value.custom_field_gid for value in link.values))
            for value in link.values:
                refs.want("user", (int(gid) for gid in value.people_gids or ()))
        refs.load()
        empty = task_shapes.TaskLinks()
        yield [
            task_shapes.task(row, links.get(row.gid, empty), refs, export.permalink_base)
            for row in page
        ]


Relation = Callable[[Reader, list[int]], Mapping[int, Any]]


def _task_links(
    reader: Reader, gids: list[int], readers: list[tuple[str, Relation]]
) -> dict[int, task_shapes.TaskLinks]:
    """The asked relations of a page of tasks, one query each."""
    found = {name: read(reader, gids) for name, read in readers}
    owners: set[int] = set().union(*found.values())
    return {
        gid: task_shapes.TaskLinks(
            **{name: by_task[gid] for name, by_task in found.items() if gid in by_task}
        )
        for gid in owners
    }


def _followers(reader: Reader, gids: list[int]) -> dict[int, list[int]]:
    return gids_by_owner(reader, task_followers.c.task_gid, task_followers.c.user_gid, gids)


def _tags(reader: Reader, gids: list[int]) -> dict[int, list[int]]:
    return gids_by_owner(reader, task_tags.c.task_gid, task_tags.c.tag_gid, gids)


def _dependencies(reader: Reader, gids: list[int]) -> dict[int, list[int]]:
    link = task_dependencies.c
    return gids_by_owner(reader, link.task_gid, link.dependency_gid, gids)


def _dependents(reader: Reader, gids: list[int]) -> dict[int, list[int]]:
    link = task_dependencies.c
    return gids_by_owner(reader, link.dependency_gid, link.task_gid, gids)


def _likes(reader: Reader, gids: list[int]) -> dict[int, list[tuple[int, int]]]:
    return likes(reader, task_likes.c.task_gid, gids)


def _memberships(reader: Reader, gids: list[int]) -> dict[int, list[tuple[int, int | None]]]:
    tm = task_memberships
    query = select(tm.c.task_gid, tm.c.project_gid, tm.c.section_gid).order_by(
        tm.c.task_gid, tm.c.project_gid
    )
    return {
        gid: [(m.project_gid, m.section_gid) for m in rows]
        for gid, rows in reader.grouped(query, tm.c.task_gid, gids).items()
    }


def _values(reader: Reader, gids: list[int]) -> dict[int, list[AnyRow]]:
    cfv = task_custom_field_values
    query = reader.table(cfv).order_by(cfv.c.task_gid, cfv.c.custom_field_gid)
    return reader.grouped(query, cfv.c.task_gid, gids)


def _subtask_counts(reader: Reader, gids: list[int]) -> dict[int, int]:
    query = (
        select(tasks.c.parent_gid, func.count())
        .where(tasks.c.deleted_at.is_(None))
        .group_by(tasks.c.parent_gid)
    )
    return {
        gid: rows[0][1] for gid, rows in reader.grouped(query, tasks.c.parent_gid, gids).items()
    }


RELATION_READERS: dict[str, Relation] = {
    "followers": _followers,
    "likes": _likes,
    "tags": _tags,
    "dependencies": _dependencies,
    "dependents": _dependents,
    "memberships": _memberships,
    "values": _values,
    "num_subtasks": _subtask_counts,
}
"""How each relation of `task_shapes.TaskLinks` is read for a page, keyed by task gid."""


def _to_team() -> ColumnElement[bool]:
    """The message was sent to a team (StatusUpdateResponse has no place for that parent)."""
    mp = message_parents
    return exists(
        select(mp.c.message_gid).where(
            mp.c.message_gid == messages.c.gid, mp.c.parent_type == "team"
        )
    )


def _status_updates() -> ColumnElement[bool]:
    """Status updates of projects, portfolios and goals: `status_update` objects."""
    return and_(messages.c.resource_subtype == "status_update", ~_to_team())


def _messages() -> ColumnElement[bool]:
    """Default messages, and status updates of teams: `message` objects (seed 002's shape)."""
    return or_(
        messages.c.resource_subtype == "default",
        and_(messages.c.resource_subtype == "status_update", _to_team()),
    )


def status_update_pages(export: Export, *where: Where) -> Pages:
    """Status updates: each has one parent, and is left out when that parent is not exported."""
    reader, refs = export.reader, export.compacts
    query = export.reader.table(messages).where(
        reader.in_organization(messages), _status_updates(), *where
    )
    for page in export.pages(query, messages.c.gid):
        gids = [row.gid for row in page]
        links = {gid: rows[0] for gid, rows in _parent_links(reader, gids).items()}
        liked = likes(reader, message_likes.c.message_gid, gids)
        for link in links.values():
            refs.want(link.parent_type, [link.parent_gid])
        refs.want("user", [row.created_by_gid for row in page])
        refs.want("user", (user for pairs in liked.values() for _, user in pairs))
        refs.load()
        shown = []
        for row in page:
            found = links.get(row.gid)
            if found is None:
                continue
            parent = refs.get(found.parent_type, found.parent_gid)
            if parent is not None:
                shown.append(
                    task_shapes.status_update(
                        row, found.parent_type, parent, liked.get(row.gid, ()), refs
                    )
                )
        yield shown


def _parent_links(reader: Reader, gids: list[int]) -> dict[int, list[AnyRow]]:
    """The `(parent_type, parent_gid)` links of a page of messages."""
    mp = message_parents
    query = select(mp.c.message_gid, mp.c.parent_type, mp.c.parent_gid).order_by(
        mp.c.message_gid, mp.c.parent_gid
    )
    return reader.grouped(query, mp.c.message_gid, gids)


def message_pages(
    export: Export, *where: Where, every_status_update: bool = False, children: bool = True
) -> Pages:
    """Default messages, with their stories and attachments in compact form, and the status
    updates of teams. A status update is left out when its one parent is not exported.

    A resource export shows every status update as a message (`every_status_update`), and
    reads their stories and attachments itself (`children=False` leaves those lists empty).
    """
    reader, refs = export.reader, export.compacts
    kinds = true() if every_status_update else _messages()
    query = export.reader.table(messages).where(reader.in_organization(messages), kinds, *where)
    for page in export.pages(query, messages.c.gid):
        gids = [row.gid for row in page]
        liked = likes(reader, message_likes.c.message_gid, gids)
        followers = gids_by_owner(
            reader, message_followers.c.message_gid, message_followers.c.user_gid, gids
        )
        parents = _parent_links(reader, gids)
        own_stories = _children(reader, stories, gids) if children else {}
        own_attachments = _children(reader, attachments, gids) if children else {}
        refs.want("user", [row.created_by_gid for row in page])
        refs.want("user", (user for pairs in liked.values() for _, user in pairs))
        refs.want("user", (user for found in followers.values() for user in found))
        refs.want("user", (story.created_by_gid for rows in own_stories.values() for story in rows))
        for links in parents.values():
            for link in links:
                refs.want(link.parent_type, [link.parent_gid])
        refs.load()
        shown = []
        for row in page:
            to = [
                parent
                for link in parents.get(row.gid, ())
                if (parent := refs.get(link.parent_type, link.parent_gid)) is not None
            ]
            if row.resource_subtype == "status_update" and not to:
                continue
            shown.append(
                task_shapes.message(
                    row,
                    refs=refs,
                    like_rows=liked.get(row.gid, ()),
                    stories=[
                        task_shapes.story_compact(s, refs) for s in own_stories.get(row.gid, ())
                    ],
                    attachments=[
                        task_shapes.attachment_compact(a) for a in own_attachments.get(row.gid, ())
                    ],
                    followers=followers.get(row.gid, ()),
                    parents=to,
                )
            )
        yield shown


def _children(reader: Reader, table: Table, gids: list[int]) -> dict[int, list[Any]]:
    """Undeleted stories or attachments of a page of messages, oldest first."""
    query = (
        select(table.c.message_gid, *reader.columns(table))
        .where(table.c.deleted_at.is_(None))
        .order_by(table.c.message_gid, table.c.gid)
    )
    return reader.grouped(query, table.c.message_gid, gids)
