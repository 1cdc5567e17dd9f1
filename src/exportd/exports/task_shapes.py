"""Rows in their documented shapes: stories, attachments, status updates and messages.

Tasks are built column by column (`exports.task_frames`); this module keeps what the
object-by-object pages of messages and their children need, and which relations each
task field is made from.

Pure functions, like `shapes`; see there for the conventions. Likes are shown twice, as
`likes` and as the deprecated `hearts`, and `liked`/`hearted` are false: an export is read
by no user in particular.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from exportd.exports.shapes import Lookup, Obj, likes, ts

RELATIONS = (
    "followers", "likes", "tags", "dependencies", "dependents", "memberships", "values",
    "num_subtasks",
)  # fmt: skip
"""Every relation a batch of tasks can read (`exports.task_frames.read_batch`)."""

RELATIONS_OF_FIELD: dict[str, tuple[str, ...]] = {
    "followers": ("followers",),
    "hearts": ("likes",),
    "likes": ("likes",),
    "num_hearts": ("likes",),
    "num_likes": ("likes",),
    "tags": ("tags",),
    "dependencies": ("dependencies",),
    "dependents": ("dependents",),
    "memberships": ("memberships",),
    "projects": ("memberships",),
    "custom_fields": ("values",),
    "num_subtasks": ("num_subtasks",),
}
"""The relations a task's top-level field is made from; other fields need none."""


def relations_for(fields: Iterable[str]) -> frozenset[str]:
    """The relations a task's page must read to show `fields`."""
    return frozenset(name for field in fields for name in RELATIONS_OF_FIELD.get(field, ()))


def status_update_subtype(parent_type: str) -> str:
    """A status update's subtype names its parent's type (`project_status_update`…)."""
    return f"{parent_type}_status_update"


def status_update_compact(gid: int, title: str, parent_type: str) -> Obj:
    return {
        "gid": str(gid),
        "resource_type": "status_update",
        "title": title,
        "resource_subtype": status_update_subtype(parent_type),
    }


STATUS_UPDATE_PARENTS = ("project", "portfolio", "goal")
"""What a `status_update` object's parent can be; a team's status update is a `message`."""


def message_compact(gid: int, subtype: str, title: str, parent_type: str | None) -> Obj:
    """A message as the target of its stories: a status update, or a message."""
    if subtype == "status_update" and parent_type in STATUS_UPDATE_PARENTS:
        return status_update_compact(gid, title, parent_type)
    return {"gid": str(gid), "resource_type": "message", "resource_subtype": subtype}


def number_display(value: float, precision: int | None, number_format: str | None) -> str:
    """A number field's `display_value`: its precision, as a percentage when so formatted.

    Python's formatting, which rounds the binary value half to even: no columnar
    expression formats numbers the same way, and there is one such value per number field.
    """
    if number_format == "percentage":
        return f"{value * 100:.{precision or 0}f}%"
    return f"{value:.{precision or 0}f}"


def story(row: Any, target: Obj, like_rows: Sequence[tuple[int, int]], refs: Lookup) -> Obj:
    shown_likes = likes(like_rows, refs)
    details = row.details or {}
    return {
        "gid": str(row.gid),
        "resource_type": "story",
        "created_at": ts(row.created_at),
        "created_by": refs.get("user", row.created_by_gid),
        "resource_subtype": row.resource_subtype,
        "text": row.text,
        "html_text": row.html_text,
        "is_pinned": bool(row.is_pinned),
        "sticker_name": row.sticker_name,
        "type": row.type,
        "is_editable": row.type == "comment",
        "is_edited": bool(row.is_edited),
        "hearted": False,
        "hearts": shown_likes,
        "num_hearts": len(shown_likes),
        "liked": False,
        "likes": shown_likes,
        "num_likes": len(shown_likes),
        "old_name": details.get("old_name"),
        "new_name": details.get("new_name"),
        "source": row.source,
        "target": target,
    }


def story_compact(row: Any, refs: Lookup) -> Obj:
    return {
        "gid": str(row.gid),
        "resource_type": "story",
        "created_at": ts(row.created_at),
        "created_by": refs.get("user", row.created_by_gid),
        "resource_subtype": row.resource_subtype,
        "text": row.text,
    }


def attachment_compact(row: Any) -> Obj:
    return {
        "gid": str(row.gid),
        "resource_type": "attachment",
        "name": row.name,
        "resource_subtype": row.resource_subtype,
    }


def attachment(row: Any, parent: Obj) -> Obj:
    """Without `download_url`/`view_url`: exportd holds attachment metadata only (R3)."""
    return {
        **attachment_compact(row),
        "created_at": ts(row.created_at),
        "permanent_url": row.permanent_url,
        "host": row.host,
        "parent": parent,
        "size": row.size,
        "connected_to_app": bool(row.connected_to_app),
    }


def status_update(
    row: Any, parent_type: str, parent: Obj, like_rows: Sequence[tuple[int, int]], refs: Lookup
) -> Obj:
    """A status update: a `messages` row of subtype status_update with its one parent."""
    shown_likes = likes(like_rows, refs)
    author = refs.get("user", row.created_by_gid)
    return {
        **status_update_compact(row.gid, row.title, parent_type),
        "text": row.text,
        "html_text": row.html_text,
        "status_type": row.status_type,
        "author": author,
        "created_at": ts(row.created_at),
        "created_by": author,
        "hearted": False,
        "hearts": shown_likes,
        "liked": False,
        "likes": shown_likes,
        "modified_at": ts(row.modified_at),
        "num_hearts": len(shown_likes),
        "num_likes": len(shown_likes),
        "parent": parent,
    }


def message(
    row: Any,
    *,
    refs: Lookup,
    like_rows: Sequence[tuple[int, int]],
    stories: list[Obj],
    attachments: list[Obj],
    followers: Sequence[int],
    parents: list[Obj],
) -> Obj:
    """A default message in seed 002's shape; its stories and attachments in compact form."""
    shown_likes = likes(like_rows, refs)
    return {
        "gid": str(row.gid),
        "resource_type": "message",
        "resource_subtype": row.resource_subtype,
        "status_type": row.status_type,
        "created_by": refs.get("user", row.created_by_gid),
        "created_at": ts(row.created_at),
        "modified_at": ts(row.modified_at),
        "title": row.title,
        "text": row.text,
        "html_notes": row.html_text,
        "num_likes": len(shown_likes),
        "likes": shown_likes,
        "stories": stories,
        "attachments": attachments,
        "followers": refs.many("user", followers),
        "parents": parents,
    }
