"""Page builders for stories and attachments: what hangs off tasks and messages.

They are read a page of their tasks (then messages) at a time, through the index on their
task or message, so an export reads only its own organization's stories, however many
other organizations share the store. Within each type they come by task, then by message,
each one's oldest first.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import ColumnElement, Table, select

from exportd.exports import task_shapes
from exportd.exports.context import Export, Pages
from exportd.exports.reader import AnyRow
from exportd.exports.relations import likes
from exportd.exports.shapes import Obj
from exportd.store.schema import attachments, messages, stories, story_likes, tasks

Where = ColumnElement[bool]


def _by_parent(
    export: Export, table: Table, *where: Where, messages_only: bool = False
) -> Iterator[list[AnyRow]]:
    """Undeleted rows of `table` whose task, then message, is in the organization (only
    those of messages with `messages_only`: the columnar engine writes the others)."""
    reader = export.reader
    owners = ((table.c.task_gid, tasks), (table.c.message_gid, messages))
    for owner, parents in owners[1:] if messages_only else owners:
        query = (
            reader.table(table)
            .where(table.c.deleted_at.is_(None), *where)
            .order_by(owner, table.c.gid)
        )
        scan = select(parents.c.gid).where(reader.in_organization(parents))
        for page in export.pages(scan, parents.c.gid):
            rows = reader.rows(query, owner, [row.gid for row in page])
            for start in range(0, len(rows), export.batch_size):  # a task has many stories
                yield rows[start : start + export.batch_size]


def _want_targets(export: Export, page: list[AnyRow]) -> None:
    export.compacts.want("task", [row.task_gid for row in page])
    export.compacts.want("message", [row.message_gid for row in page])


def _target(export: Export, row: Any) -> Obj | None:
    """The task or message a row belongs to; None when that is not exported."""
    if row.task_gid is not None:
        return export.compacts.get("task", row.task_gid)
    return export.compacts.get("message", row.message_gid)


def story_pages(export: Export, *where: Where, messages_only: bool = False) -> Pages:
    reader, refs = export.reader, export.compacts
    for page in _by_parent(export, stories, *where, messages_only=messages_only):
        liked = likes(reader, story_likes.c.story_gid, [row.gid for row in page])
        _want_targets(export, page)
        refs.want("user", [row.created_by_gid for row in page])
        refs.want("user", (user for pairs in liked.values() for _, user in pairs))
        refs.load()
        yield [
            task_shapes.story(row, target, liked.get(row.gid, ()), refs)
            for row in page
            if (target := _target(export, row)) is not None
        ]


def attachment_pages(export: Export, *where: Where, messages_only: bool = False) -> Pages:
    for page in _by_parent(export, attachments, *where, messages_only=messages_only):
        _want_targets(export, page)
        export.compacts.load()
        yield [
            task_shapes.attachment(row, parent)
            for row in page
            if (parent := _target(export, row)) is not None
        ]
