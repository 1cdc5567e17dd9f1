"""Page builders for status updates and messages (tasks are built column by column:
`exports.task_frames`).

Same conventions as `structure`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Table, and_, exists, or_, select, true

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
)

Where = ColumnElement[bool]


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
