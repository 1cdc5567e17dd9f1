"""The C-only floor: task lines built by SQLite's own JSON functions, compressed by ISA-L.

The `sqlite3` command-line shell runs one query whose rows are finished JSON lines
(`json_object`, `json_group_array` over the same tables and indexes the engine reads) and
pipes them into ISA-L gzip at exportd's level in a second process. No Python object is
built per task: this is what the same work costs when only C touches the data.

`narrow` builds exactly the lines exportd writes for `fields=["name","assignee.name",
"completed"]`, so the benchmark compares the two outputs byte for byte. `default` builds a
task with every default field and the same relations (followers, likes, tags,
dependencies both ways, memberships, custom field values, subtask counts, stories with
their likes, attachments) and the same reference rules (a user is shown only as a member
of the organization); it is not byte-identical to exportd's line, because custom fields
are shown without their enum options and display values (formatting numbers and joining
option names the way the API does is not SQL's work). `digest` reduces both outputs to
what they must agree on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import orjson


def _user(gid: str, org: int) -> str:
    """A user's compact form, or NULL unless an undeleted member of the organization."""
    return (
        "(SELECT json_object('gid', CAST(u.gid AS TEXT), 'resource_type', 'user', "
        "'name', u.name) FROM users u JOIN workspace_memberships wm ON wm.user_gid = u.gid "
        f"AND wm.workspace_gid = {org} AND wm.deleted_at IS NULL "
        f"WHERE u.gid = {gid} AND u.deleted_at IS NULL)"
    )


def _named(table: str, kind: str, gid: str, org: int) -> str:
    return (
        f"(SELECT json_object('gid', CAST(x.gid AS TEXT), 'resource_type', '{kind}', "
        f"'name', x.name) FROM {table} x WHERE x.gid = {gid} AND x.workspace_gid = {org} "
        "AND x.deleted_at IS NULL)"
    )


def _bool(column: str) -> str:
    return f"json(CASE WHEN {column} THEN 'true' ELSE 'false' END)"


def _array(select: str) -> str:
    """A JSON array of the JSON texts `select` returns (NULLs dropped), `[]` when none."""
    return f"(SELECT json_group_array(json(v)) FROM ({select}) WHERE v IS NOT NULL)"


def _task_compact(gid: str, org: int) -> str:
    return (
        "(SELECT json_object('gid', CAST(p.gid AS TEXT), 'resource_type', 'task', "
        f"'name', p.name, 'resource_subtype', p.resource_subtype, 'created_by', "
        f"json({_user('p.created_by_gid', org)})) FROM tasks p WHERE p.gid = {gid} "
        f"AND p.workspace_gid = {org} AND p.deleted_at IS NULL)"
    )


def narrow_query(org: int) -> str:
    """The lines of `fields=["name","assignee.name","completed"]`, in gid order."""
    assignee = (
        "(SELECT json_object('gid', CAST(u.gid AS TEXT), 'name', u.name) FROM users u "
        "JOIN workspace_memberships wm ON wm.user_gid = u.gid "
        f"AND wm.workspace_gid = {org} AND wm.deleted_at IS NULL "
        "WHERE u.gid = t.assignee_gid AND u.deleted_at IS NULL)"
    )
    return (
        "SELECT json_object('gid', CAST(t.gid AS TEXT), 'resource_type', 'task', "
        f"'name', t.name, 'assignee', json({assignee}), 'completed', {_bool('t.completed')}) "
        f"FROM tasks t WHERE t.workspace_gid = {org} AND t.deleted_at IS NULL ORDER BY t.gid;"
    )


def default_query(org: int) -> str:
    """Tasks with every default field and relation (see the module doc), in gid order."""
    likes = (
        "SELECT json_object('gid', CAST(l.gid AS TEXT), 'user', json(u)) AS v FROM "
        f"(SELECT l.gid, {_user('l.user_gid', org)} AS u FROM {{table}} l "
        "WHERE l.{owner} = {gid} ORDER BY l.gid) l WHERE u IS NOT NULL"
    )
    task_likes = likes.format(table="task_likes", owner="task_gid", gid="t.gid")
    story_likes = likes.format(table="story_likes", owner="story_gid", gid="s.gid")
    story = (
        "SELECT json_group_array(json_object('gid', CAST(gid AS TEXT), 'resource_type', "
        "'story', 'created_at', created_at, 'created_by', json(creator), "
        "'resource_subtype', resource_subtype, 'text', text, 'html_text', html_text, "
        f"'is_pinned', {_bool('is_pinned')}, 'sticker_name', sticker_name, 'type', type, "
        "'is_editable', " + _bool("type = 'comment'") + ", "
        f"'is_edited', {_bool('is_edited')}, 'hearted', json('false'), "
        "'hearts', json(likes), 'liked', json('false'), 'likes', json(likes), "
        "'old_name', json_extract(details, '$.old_name'), "
        "'new_name', json_extract(details, '$.new_name'), "
        "'source', source, 'target', json(t.target))) "
        f"FROM (SELECT s.*, {_user('s.created_by_gid', org)} AS creator, "
        f"{_array(story_likes)} AS likes FROM stories s "
        "WHERE s.task_gid = t.gid AND s.deleted_at IS NULL ORDER BY s.created_at, s.gid)"
    )
    attachment = (
        "SELECT json_group_array(json_object('gid', CAST(gid AS TEXT), 'resource_type', "
        "'attachment', 'name', name, 'resource_subtype', resource_subtype, "
        "'created_at', created_at, 'permanent_url', permanent_url, 'host', host, "
        "'parent', json(t.target), 'size', size, "
        f"'connected_to_app', {_bool('connected_to_app')})) "
        "FROM (SELECT * FROM attachments a WHERE a.task_gid = t.gid "
        "AND a.deleted_at IS NULL ORDER BY a.created_at, a.gid)"
    )
    project = _named("projects", "project", "m.project_gid", org)
    membership = (
        f"SELECT json_object('project', json({project}), "
        "'section', json((SELECT json_object('gid', CAST(x.gid AS TEXT), 'resource_type', "
        "'section', 'name', x.name) FROM sections x WHERE x.gid = m.section_gid "
        "AND x.deleted_at IS NULL))) AS v "
        "FROM task_memberships m WHERE m.task_gid = t.gid ORDER BY m.project_gid"
    )
    projects = (
        f"SELECT {project} AS v "
        "FROM task_memberships m WHERE m.task_gid = t.gid ORDER BY m.project_gid"
    )
    custom_field = (
        "SELECT json_object('gid', CAST(f.gid AS TEXT), 'resource_type', 'custom_field', "
        "'name', f.name, 'type', f.resource_subtype, 'enabled', json(CASE WHEN f.enabled "
        "THEN 'true' ELSE 'false' END), 'number_value', v.number_value, "
        "'text_value', v.text_value, 'date_value', v.date_value, "
        "'enum_option', CAST(v.enum_option_gid AS TEXT), "
        "'multi_enum_values', json(v.multi_enum_option_gids), "
        "'people_value', json(v.people_gids)) AS v "
        "FROM task_custom_field_values v JOIN custom_fields f ON f.gid = v.custom_field_gid "
        f"AND f.workspace_gid = {org} AND f.deleted_at IS NULL "
        "WHERE v.task_gid = t.gid ORDER BY v.custom_field_gid"
    )
    followers = (
        f"SELECT {_user('x.user_gid', org)} AS v FROM task_followers x "
        "WHERE x.task_gid = t.gid ORDER BY x.user_gid"
    )
    tags = (
        f"SELECT {_named('tags', 'tag', 'x.tag_gid', org)} AS v FROM task_tags x "
        "WHERE x.task_gid = t.gid ORDER BY x.tag_gid"
    )
    dependencies = (
        f"SELECT {_task_compact('x.dependency_gid', org)} AS v FROM task_dependencies x "
        "WHERE x.task_gid = t.gid ORDER BY x.dependency_gid"
    )
    dependents = (
        f"SELECT {_task_compact('x.task_gid', org)} AS v FROM task_dependencies x "
        "WHERE x.dependency_gid = t.gid ORDER BY x.task_gid"
    )
    subtasks = "(SELECT count(*) FROM tasks c WHERE c.parent_gid = t.gid AND c.deleted_at IS NULL)"
    return (
        "SELECT json_object('gid', CAST(t.gid AS TEXT), 'resource_type', 'task', "
        "'name', t.name, 'resource_subtype', t.resource_subtype, "
        f"'created_by', json({_user('t.created_by_gid', org)}), "
        "'approval_status', t.approval_status, 'assignee_status', t.assignee_status, "
        f"'assigned_by', json({_user('t.assigned_by_gid', org)}), "
        f"'completed', {_bool('t.completed')}, 'completed_at', t.completed_at, "
        f"'completed_by', json({_user('t.completed_by_gid', org)}), "
        f"'created_at', t.created_at, 'dependencies', json({_array(dependencies)}), "
        f"'dependents', json({_array(dependents)}), 'due_at', t.due_at, 'due_on', t.due_on, "
        "'html_notes', t.html_notes, 'hearted', json('false'), "
        "'hearts', json(t.likes), 'liked', json('false'), 'likes', json(t.likes), "
        f"'memberships', json({_array(membership)}), "
        "'modified_at', t.modified_at, 'notes', t.notes, "
        "'num_hearts', json_array_length(t.likes), 'num_likes', json_array_length(t.likes), "
        f"'num_subtasks', {subtasks}, "
        "'start_at', t.start_at, 'start_on', t.start_on, "
        f"'assignee', json({_user('t.assignee_gid', org)}), 'assignee_section', NULL, "
        f"'custom_fields', json({_array(custom_field)}), "
        f"'followers', json({_array(followers)}), "
        f"'parent', json({_task_compact('t.parent_gid', org)}), "
        f"'projects', json({_array(projects)}), 'tags', json({_array(tags)}), "
        "'workspace', json((SELECT json_object('gid', CAST(w.gid AS TEXT), 'resource_type', "
        "'workspace', 'name', w.name) FROM workspaces w WHERE w.gid = t.workspace_gid)), "
        "'permalink_url', 'https://app.asana.com/1/' || t.workspace_gid || '/task/' || t.gid, "
        f"'attachments', json(({attachment})), 'stories', json(({story}))) "
        f"FROM (SELECT t.*, {_task_compact('t.gid', org)} AS target, "
        f"{_array(task_likes)} AS likes FROM tasks t "
        f"WHERE t.workspace_gid = {org} AND t.deleted_at IS NULL) t ORDER BY t.gid;"
    )


QUERIES = {"default": default_query, "narrow": narrow_query}
"""The floor's query for each resource-export run that has one."""


def digest(lines: Iterable[bytes]) -> str:
    """What a task line of either output must agree on: gid, name, assignee, completion,
    and how many stories, attachments, followers, likes, tags, memberships and subtasks."""
    hashed = hashlib.sha256()
    for line in lines:
        obj = orjson.loads(line)
        assignee = obj.get("assignee")
        summary = [obj["gid"], obj.get("name"), assignee and assignee["gid"],
                   obj.get("completed")]  # fmt: skip
        for name in ("stories", "attachments", "followers", "likes", "tags", "memberships"):
            summary.append(len(obj.get(name) or ()))
        summary.append(obj.get("num_subtasks"))
        hashed.update(orjson.dumps(summary) + b"\n")
    return hashed.hexdigest()
