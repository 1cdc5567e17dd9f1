"""Loaders for the work: tasks (with their custom field values), stories, attachments,
status updates and messages. See `loaders` for the conventions.

Stories and attachments come either as objects of their own, or embedded: a resource export
puts them inside their task (R3), and those are always loaded. Inside a message, an
embedded story or attachment in full form is loaded too; in compact form it only refers
to one given elsewhere in the file (an organization export lists them on their own).
"""

from __future__ import annotations

from typing import Any

from exportd.datagen.fields import Fields
from exportd.datagen.loaders import PARENTS, Sink, _links, load_likes
from exportd.domain import vocabulary as v
from exportd.domain.resources import RESOURCES
from exportd.store import schema as s

Target = tuple[int, str]
"""The gid and resource type of what a story or attachment belongs to."""


def load_task(f: Fields, sink: Sink) -> None:
    gid = sink.defined(f, "task")
    sink.add(
        s.tasks, f.line, gid=gid, workspace_gid=f.ref("workspace", ["workspace"], required=True),
        parent_gid=f.ref("parent", ["task"]), name=f.text("name"),
        resource_subtype=f.enum("resource_subtype", v.TASK_SUBTYPES),
        approval_status=f.optional_enum("approval_status", v.APPROVAL_STATUSES),
        notes=f.text("notes", ""), html_notes=f.text("html_notes", ""),
        assignee_gid=f.ref("assignee", ["user"]), assigned_by_gid=f.ref("assigned_by", ["user"]),
        assignee_status=f.optional_enum("assignee_status", v.ASSIGNEE_STATUSES),
        completed=f.flag("completed"), completed_at=f.optional_moment("completed_at"),
        completed_by_gid=f.ref("completed_by", ["user"]), start_on=f.day("start_on"),
        start_at=f.optional_moment("start_at"), due_on=f.day("due_on"),
        due_at=f.optional_moment("due_at"), created_by_gid=f.ref("created_by", ["user"]),
        created_at=(created := f.moment("created_at", sink.now)),
        modified_at=f.moment("modified_at", created), deleted_at=None,
    )  # fmt: skip
    owner = {"task_gid": gid}
    projects: set[int] = set()
    for index, value in enumerate(f.items("memberships")):
        membership = f.nested(value, f"memberships[{index}]")
        project = membership.ref("project", ["project"], required=True)
        assert project is not None
        if project not in projects:
            projects.add(project)
            sink.add(s.task_memberships, f.line, **owner, project_gid=project,
                     section_gid=membership.ref("section", ["section"]))  # fmt: skip
    _links(sink, s.task_followers, f.line, owner, "user_gid", f.refs("followers", ["user"]))
    _links(sink, s.task_tags, f.line, owner, "tag_gid", f.refs("tags", ["tag"]))
    dependencies = f.refs("dependencies", ["task"])
    _links(sink, s.task_dependencies, f.line, owner, "dependency_gid", dependencies)
    load_likes(f, sink, s.task_likes, owner)
    fields: set[int] = set()
    for index, value in enumerate(f.items("custom_fields")):
        field_gid, _ = f.target(value, f"custom_fields[{index}]", ["custom_field"])
        if field_gid not in fields:
            fields.add(field_gid)
            _load_value(f.nested(value, f"custom_fields[{index}]"), sink, gid, field_gid)
    for index, value in enumerate(f.items("stories")):
        load_story(f.nested(value, f"stories[{index}]"), sink, (gid, "task"))
    for index, value in enumerate(f.items("attachments")):
        load_attachment(f.nested(value, f"attachments[{index}]"), sink, (gid, "task"))
    sink.counted("task")


def _load_value(f: Fields, sink: Sink, task_gid: int, field_gid: int) -> None:
    """A task's value of a custom field, read from whichever value field is set."""
    date_value = f.mapping("date_value")
    multi = f.refs("multi_enum_values", ["enum_option"])
    people = f.refs("people_value", ["user"])
    sink.add(
        s.task_custom_field_values, f.line, task_gid=task_gid, custom_field_gid=field_gid,
        text_value=f.optional_text("text_value"), number_value=f.number("number_value"),
        date_value=None if date_value is None else f.nested(date_value, "date_value").day("date"),
        enum_option_gid=f.ref("enum_value", ["enum_option"]),
        multi_enum_option_gids=multi or None, people_gids=people or None,
    )  # fmt: skip


def _target(f: Fields, name: str) -> Target:
    value = f.obj.get(name)
    if value is None:
        f.fail(name, "Missing input")
    return f.target(value, name, PARENTS)


def _owner(target: Target) -> dict[str, int | None]:
    gid, resource_type = target
    is_task = resource_type == "task"
    return {"task_gid": gid if is_task else None, "message_gid": None if is_task else gid}


def load_story(f: Fields, sink: Sink, target: Target | None = None) -> None:
    gid = sink.defined(f, "story")
    names = {name: f.optional_text(name) for name in ("old_name", "new_name")}
    sink.add(
        s.stories, f.line, gid=gid, **_owner(target or _target(f, "target")),
        created_by_gid=f.ref("created_by", ["user"]), type=f.enum("type", v.STORY_TYPES),
        resource_subtype=f.text("resource_subtype"), text=f.text("text", ""),
        html_text=f.optional_text("html_text"), is_pinned=f.flag("is_pinned"),
        is_edited=f.flag("is_edited"),
        sticker_name=f.optional_enum("sticker_name", v.STICKER_NAMES),
        source=f.enum("source", v.STORY_SOURCES),
        details={k: n for k, n in names.items() if n is not None} or None,
        created_at=(created := f.moment("created_at", sink.now)), modified_at=created,
        deleted_at=None,
    )  # fmt: skip
    load_likes(f, sink, s.story_likes, {"story_gid": gid})
    sink.counted("story")


def load_attachment(f: Fields, sink: Sink, target: Target | None = None) -> None:
    sink.add(
        s.attachments, f.line, gid=sink.defined(f, "attachment"),
        **_owner(target or _target(f, "parent")), name=f.text("name"),
        resource_subtype=f.enum("resource_subtype", v.ATTACHMENT_SUBTYPES), host=f.text("host"),
        size=f.integer("size"), permanent_url=f.optional_text("permanent_url"),
        connected_to_app=f.flag("connected_to_app"),
        created_at=(created := f.moment("created_at", sink.now)), modified_at=created,
        deleted_at=None,
    )  # fmt: skip
    sink.counted("attachment")


def _message_row(f: Fields, sink: Sink, gid: int, subtype: str, status_type: str | None,
                 html_field: str) -> None:  # fmt: skip
    sink.add(
        s.messages, f.line, gid=gid, workspace_gid=sink.organization(f), resource_subtype=subtype,
        status_type=status_type, title=f.text("title", ""), text=f.text("text", ""),
        html_text=f.text(html_field, ""),
        created_by_gid=f.ref("created_by", ["user"]) or f.ref("author", ["user"]),
        created_at=(created := f.moment("created_at", sink.now)),
        modified_at=f.moment("modified_at", created), deleted_at=None,
    )  # fmt: skip
    load_likes(f, sink, s.message_likes, {"message_gid": gid})


def load_status_update(f: Fields, sink: Sink) -> None:
    gid = sink.defined(f, "status_update")
    status_type = f.enum("status_type", v.STATUS_TYPES)
    _message_row(f, sink, gid, "status_update", status_type, "html_text")
    parent = f.obj.get("parent")
    if parent is None:
        f.fail("parent", "Missing input (a status update has exactly one parent)")
    parent_gid, parent_type = f.target(parent, "parent", v.MESSAGE_PARENT_TYPES)
    sink.add(s.message_parents, f.line, message_gid=gid, parent_gid=parent_gid,
             parent_type=parent_type)  # fmt: skip
    sink.counted("status_update")


def load_message(f: Fields, sink: Sink) -> None:
    gid = sink.defined(f, "message")
    subtype = f.enum("resource_subtype", v.MESSAGE_SUBTYPES, "default")
    status_type = f.optional_enum("status_type", v.STATUS_TYPES)
    if (subtype == "status_update") != (status_type is not None):
        f.fail("status_type", "a status update has a status_type, and only a status update")
    _message_row(f, sink, gid, subtype, status_type, "html_notes")
    parents: dict[int, str] = {}
    for index, value in enumerate(f.items("parents")):
        parent_gid, parent_type = f.target(value, f"parents[{index}]", v.MESSAGE_PARENT_TYPES)
        parents[parent_gid] = parent_type
    if subtype == "status_update" and len(parents) != 1:
        f.fail("parents", "a status update has exactly one parent")
    for parent_gid, parent_type in parents.items():
        sink.add(s.message_parents, f.line, message_gid=gid, parent_gid=parent_gid,
                 parent_type=parent_type)  # fmt: skip
    _links(sink, s.message_followers, f.line, {"message_gid": gid}, "user_gid",
           f.refs("followers", ["user"]))  # fmt: skip
    target = (gid, "message")
    for index, value in enumerate(f.items("stories")):
        if _in_full(value, "story"):
            load_story(f.nested(value, f"stories[{index}]"), sink, target)
        else:
            f.target(value, f"stories[{index}]", ["story"])
    for index, value in enumerate(f.items("attachments")):
        if _in_full(value, "attachment"):
            load_attachment(f.nested(value, f"attachments[{index}]"), sink, target)
        else:
            f.target(value, f"attachments[{index}]", ["attachment"])
    sink.counted("message")


def _in_full(value: Any, resource_type: str) -> bool:
    """An embedded object that shows more than its compact form is an object to load."""
    return isinstance(value, dict) and not set(value) <= set(RESOURCES[resource_type].compact)
