"""A page's own stories and attachments, embedded in the tasks or messages they belong to.

A resource export has no separate story or attachment objects: each task (R3) or message
(R5) carries its live children, in their documented shapes (`StoryResponse`, and
`AttachmentResponse` without `download_url`/`view_url`), oldest first. They are read for
the whole page, one query each (stories, their likes, attachments), and only when asked.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table, select

from exportd.domain.projection import compact_tree, project
from exportd.domain.resources import RESOURCES
from exportd.exports import task_shapes
from exportd.exports.context import Export
from exportd.exports.reader import AnyRow
from exportd.exports.relations import likes
from exportd.exports.shapes import Obj
from exportd.store.schema import attachments, stories, story_likes


def embed_children(
    export: Export, owner_type: str, page: Sequence[Obj], *, with_stories: bool,
    with_attachments: bool,
) -> None:  # fmt: skip
    """Set `stories` and/or `attachments` of every object of `page` (all of `owner_type`,
    task or message), in place."""
    if not page or not (with_stories or with_attachments):
        return
    gids = [int(obj["gid"]) for obj in page]
    compact = compact_tree(RESOURCES[owner_type])
    targets = {int(obj["gid"]): project(obj, compact) for obj in page}
    if with_stories:
        rows = _children(export, stories, owner_type, gids)
        shaped = _stories(export, rows, targets)
        for obj in page:
            obj["stories"] = shaped.get(int(obj["gid"]), [])
    if with_attachments:
        rows = _children(export, attachments, owner_type, gids)
        for obj in page:
            target = targets[int(obj["gid"])]
            obj["attachments"] = [
                task_shapes.attachment(row, target) for row in rows.get(int(obj["gid"]), ())
            ]


def _children(
    export: Export, table: Table, owner_type: str, gids: list[int]
) -> dict[int, list[AnyRow]]:
    """Undeleted rows of `table` (stories or attachments) of each owner, oldest first."""
    reader, owner = export.reader, table.c[f"{owner_type}_gid"]
    query = (
        select(owner, *reader.columns(table))
        .where(table.c.deleted_at.is_(None))
        .order_by(owner, table.c.created_at, table.c.gid)
    )
    return reader.grouped(query, owner, gids)


def _stories(
    export: Export, rows: dict[int, list[AnyRow]], targets: dict[int, Obj]
) -> dict[int, list[Obj]]:
    reader, refs = export.reader, export.compacts
    story_gids = [story.gid for found in rows.values() for story in found]
    liked = likes(reader, story_likes.c.story_gid, story_gids)
    refs.want("user", (story.created_by_gid for found in rows.values() for story in found))
    refs.want("user", (user for pairs in liked.values() for _, user in pairs))
    refs.load()
    return {
        owner: [
            task_shapes.story(story, targets[owner], liked.get(story.gid, ()), refs)
            for story in found
        ]
        for owner, found in rows.items()
    }
