"""Rows in their documented shapes: the work itself (tasks, stories, attachments, messages).

Pure functions, like `shapes`; see there for the conventions. Likes are shown twice, as
`likes` and as the deprecated `hearts`, and `liked`/`hearted` are false: an export is read
by no user in particular.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from exportd.exports.shapes import Lookup, Obj, day, likes, permalink, ts

NUMBER_FORMAT = "number_format"
"""Lookup kind holding a number field's `{"precision", "format"}` (not in its compact form)."""


@dataclass(frozen=True)
class TaskLinks:
    """What a task's relation tables hold for one task, as read for its page."""

    followers: Sequence[int] = ()
    likes: Sequence[tuple[int, int]] = ()
    tags: Sequence[int] = ()
    dependencies: Sequence[int] = ()
    dependents: Sequence[int] = ()
    memberships: Sequence[tuple[int, int | None]] = ()
    values: Sequence[Any] = ()
    num_subtasks: int = 0


RELATIONS = tuple(TaskLinks.__dataclass_fields__)
"""Every relation a task's page can read, as named in `TaskLinks`."""

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


def custom_field_value(field: Obj, value: Any, refs: Lookup) -> Obj:
    """A task's value of a custom field: the field's compact form with the value filled in.

    `people_value` follows the compact fields (the spec's CustomFieldResponse has it): a
    people field's value shows nowhere else, and its `display_value` alone cannot be read
    back.
    """
    kind, shown = field["type"], dict(field)
    people: list[Obj] = []
    display: str | None = None
    if kind == "text":
        shown["text_value"] = display = value.text_value
    elif kind == "number" and value.number_value is not None:
        shown["number_value"] = value.number_value
        display = _number(value.number_value, refs.get(NUMBER_FORMAT, int(field["gid"])))
    elif kind == "date" and value.date_value is not None:
        display = day(value.date_value)
        shown["date_value"] = {"date": display, "date_time": None}
    elif kind == "enum":
        options = {option["gid"]: option for option in field["enum_options"]}
        chosen = options.get(str(value.enum_option_gid))
        shown["enum_value"] = chosen
        display = None if chosen is None else chosen["name"]
    elif kind == "multi_enum":
        options = {option["gid"]: option for option in field["enum_options"]}
        chosen_list = [
            options[str(gid)] for gid in value.multi_enum_option_gids or () if str(gid) in options
        ]
        shown["multi_enum_values"] = chosen_list
        display = ", ".join(option["name"] for option in chosen_list) or None
    elif kind == "people":
        people = refs.many("user", [int(gid) for gid in value.people_gids or ()])
        display = ", ".join(person["name"] for person in people) or None
    shown["display_value"] = display
    shown["people_value"] = people
    return shown


def _number(value: float, number_format: Obj | None) -> str:
    shown = number_format or {}
    return number_display(value, shown.get("precision"), shown.get("format"))


def number_display(value: float, precision: int | None, number_format: str | None) -> str:
    """A number field's `display_value`: its precision, as a percentage when so formatted.

    Python's formatting, which rounds the binary value half to even: no columnar
    expression formats numbers the same way, and there is one such value per number field.
    """
    if number_format == "percentage":
        return f"{value * 100:.{precision or 0}f}%"
    return f"{value:.{precision or 0}f}"


def task(row: Any, links: TaskLinks, refs: Lookup, base: str) -> Obj:
    shown_likes = likes(links.likes, refs)
    memberships, projects = [], []
    for project_gid, section_gid in links.memberships:
        project = refs.get("project", project_gid)
        if project is not None:
            memberships.append({"project": project, "section": refs.get("section", section_gid)})
            projects.append(project)
    values = []
    for value in links.values:
        field = refs.get("custom_field", value.custom_field_gid)
        if field is not None:
            values.append(custom_field_value(field, value, refs))
    return {
        "gid": str(row.gid),
        "resource_type": "task",
        "name": row.name,
        "resource_subtype": row.resource_subtype,
        "created_by": refs.get("user", row.created_by_gid),
        "approval_status": row.approval_status,
        "assignee_status": row.assignee_status,
        "assigned_by": refs.get("user", row.assigned_by_gid),
        "completed": bool(row.completed),
        "completed_at": ts(row.completed_at),
        "completed_by": refs.get("user", row.completed_by_gid),
        "created_at": ts(row.created_at),
        "dependencies": refs.many("task", links.dependencies),
        "dependents": refs.many("task", links.dependents),
        "due_at": ts(row.due_at),
        "due_on": day(row.due_on),
        "html_notes": row.html_notes,
        "hearted": False,
        "hearts": shown_likes,
        "liked": False,
        "likes": shown_likes,
        "memberships": memberships,
        "modified_at": ts(row.modified_at),
        "notes": row.notes,
        "num_hearts": len(shown_likes),
        "num_likes": len(shown_likes),
        "num_subtasks": links.num_subtasks,
        "start_at": ts(row.start_at),
        "start_on": day(row.start_on),
        "assignee": refs.get("user", row.assignee_gid),
        "assignee_section": None,
        "custom_fields": values,
        "followers": refs.many("user", links.followers),
        "parent": refs.get("task", row.parent_gid),
        "projects": projects,
        "tags": refs.many("tag", links.tags),
        "workspace": refs.get("workspace", row.workspace_gid),
        "permalink_url": permalink(base, row.workspace_gid, "task", row.gid),
    }


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
