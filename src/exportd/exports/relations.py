"""Relations every kind of object has in some form: followers, likes, current status update.

Each function reads the relation for a whole page of owners in one query and returns it
keyed by owner gid; owners without any row are simply absent.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Column, ColumnElement, select

from exportd.exports.reader import Reader
from exportd.exports.shapes import Obj
from exportd.exports.task_shapes import status_update_compact
from exportd.store.schema import message_parents, messages

Likes = dict[int, list[tuple[int, int]]]


def gids_by_owner(
    reader: Reader,
    owner: ColumnElement[int],
    other: ColumnElement[int],
    gids: Collection[int],
    *where: ColumnElement[bool],
) -> dict[int, list[int]]:
    """A plain link (followers, tags, members…): the gids linked to each owner, in order.

    `where` narrows the link's rows (undeleted memberships only, say).
    """
    query = select(owner, other).where(*where).order_by(owner, other)
    return {
        key: [row[1] for row in rows] for key, rows in reader.grouped(query, owner, gids).items()
    }


def likes(reader: Reader, parent: Column[int], gids: Collection[int]) -> Likes:
    """`(like gid, user gid)` pairs of each liked object (`parent`: a likes table's owner)."""
    table = parent.table
    query = select(parent, table.c.gid, table.c.user_gid).order_by(parent, table.c.gid)
    return {
        key: [(row.gid, row.user_gid) for row in rows]
        for key, rows in reader.grouped(query, parent, gids).items()
    }


def current_status_updates(reader: Reader, gids: Collection[int]) -> dict[int, Obj]:
    """The newest undeleted status update of each parent (project, portfolio, goal)."""
    link = message_parents
    query: Any = (
        select(link.c.parent_gid, link.c.parent_type, messages.c.gid, messages.c.title)
        .join(messages, messages.c.gid == link.c.message_gid)
        .where(
            messages.c.resource_subtype == "status_update",
            reader.in_organization(messages),
        )
        .order_by(link.c.parent_gid, messages.c.created_at.desc(), messages.c.gid.desc())
    )
    return {
        parent_gid: status_update_compact(rows[0].gid, rows[0].title, rows[0].parent_type)
        for parent_gid, rows in reader.grouped(query, link.c.parent_gid, gids).items()
    }
