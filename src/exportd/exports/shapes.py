"""Rows in their documented shapes: the organization's structure (people, teams, projects…).

Pure functions, no I/O: each takes an object's row, the relation rows of that object (as
read for its whole page) and a `Lookup` of the compact forms of what it refers to, and
returns the object with exactly the `full` fields of its type in `domain/resources.py`, in
that order. References show the referenced object's compact form; a reference to an object
that is not exported (deleted, or outside the organization) shows as null or is left out of
its list. Derived fields (public, permalink_url, members…) are computed here, once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from hashlib import blake2b
from typing import Any, Protocol

from exportd.clock import isoformat

Obj = dict[str, Any]

DEFAULT_PERMALINK_BASE = "https://app.asana.com"


class Lookup(Protocol):
    """Compact forms of referenced objects by kind (a table's type) and gid; None if unseen."""

    def get(self, kind: str, gid: int | None) -> Obj | None: ...

    def many(self, kind: str, gids: Iterable[int]) -> list[Obj]: ...


def ts(moment: datetime | str | None) -> str | None:
    """A timestamp as the API shows it; text read from SQLite is in that format already."""
    if moment is None or isinstance(moment, str):
        return moment
    return isoformat(moment)


def day(value: date | str | None) -> str | None:
    """A date as `YYYY-MM-DD` (the text SQLite holds already)."""
    if value is None or isinstance(value, str):
        return value
    return value.isoformat()


def named(resource_type: str, gid: int, name: str) -> Obj:
    """The compact form of most types: gid, resource_type, name."""
    return {"gid": str(gid), "resource_type": resource_type, "name": name}


def permalink(base: str, workspace_gid: int, resource_type: str, gid: int) -> str:
    return f"{base}/1/{workspace_gid}/{resource_type}/{gid}"


def likes(rows: Iterable[tuple[int, int]], refs: Lookup) -> list[Obj]:
    """`(like gid, user gid)` pairs as `Like` objects; likes of users not exported drop out."""
    found = []
    for like_gid, user_gid in rows:
        user = refs.get("user", user_gid)
        if user is not None:
            found.append({"gid": str(like_gid), "user": user})
    return found


def workspace(row: Any) -> Obj:
    return {
        "gid": str(row.gid),
        "resource_type": "workspace",
        "name": row.name,
        "email_domains": list(row.email_domains or []),
        "is_organization": bool(row.is_organization),
    }


def user(row: Any, workspaces: list[Obj]) -> Obj:
    """A user; `workspaces` are the ones the reader may see (an export: its organization)."""
    return {
        "gid": str(row.gid),
        "resource_type": "user",
        "name": row.name,
        "email": row.email,
        "photo": row.photo,
        "workspaces": workspaces,
    }


def workspace_membership(row: Any, member: Obj, organization: Obj) -> Obj:
    return {
        "gid": str(row.gid),
        "resource_type": "workspace_membership",
        "user": member,
        "workspace": organization,
        "is_active": bool(row.is_active),
        "is_admin": bool(row.is_admin),
        "is_guest": bool(row.is_guest),
        "created_at": ts(row.created_at),
    }


def team(row: Any, members: list[Obj], organization: Obj, base: str) -> Obj:
    return {
        "gid": str(row.gid),
        "resource_type": "team",
        "name": row.name,
        "description": row.description,
        "html_description": row.html_description,
        "organization": organization,
        "permalink_url": permalink(base, row.workspace_gid, "team", row.gid),
        "visibility": row.visibility,
        "members": members,
    }


def team_membership(row: Any, member: Obj, parent: Obj) -> Obj:
    return {
        "gid": str(row.gid),
        "resource_type": "team_membership",
        "user": member,
        "team": parent,
        "is_guest": bool(row.is_guest),
        "is_limited_access": bool(row.is_limited_access),
        "is_admin": bool(row.is_admin),
    }


def setting_gid(project_gid: int, custom_field_gid: int) -> str:
    """A stable gid for a project's custom field setting, which the store keeps as a pair.

    Derived from the pair, so the same setting shows the same gid in every export and after
    an import; below 2**62, as gids are.
    """
    digest = blake2b(f"{project_gid}:{custom_field_gid}".encode(), digest_size=8).digest()
    return str(int.from_bytes(digest, "big") >> 2)


def custom_field_setting(project: Obj, field: Obj, is_important: bool) -> Obj:
    """A setting in its full form: it has no object of its own in the export to point at."""
    return {
        "gid": setting_gid(int(project["gid"]), int(field["gid"])),
        "resource_type": "custom_field_setting",
        "project": project,
        "is_important": is_important,
        "parent": project,
        "custom_field": field,
    }


def project(
    row: Any,
    *,
    refs: Lookup,
    status: Obj | None,
    settings: Sequence[tuple[int, bool]],
    members: Sequence[int],
    followers: Sequence[int],
    base: str,
) -> Obj:
    """`settings` are `(custom field gid, is_important)`; `status` the newest status update."""
    compact = named("project", row.gid, row.name)
    cf_settings = []
    for field_gid, is_important in settings:
        field = refs.get("custom_field", field_gid)
        if field is not None:
            cf_settings.append(custom_field_setting(compact, field, bool(is_important)))
    return {
        "gid": str(row.gid),
        "resource_type": "project",
        "name": row.name,
        "archived": bool(row.archived),
        "color": row.color,
        "created_at": ts(row.created_at),
        "current_status_update": status,
        "custom_field_settings": cf_settings,
        "default_view": row.default_view,
        "due_on": day(row.due_on),
        "html_notes": row.html_notes,
        "members": refs.many("user", members),
        "modified_at": ts(row.modified_at),
        "notes": row.notes,
        "public": row.privacy_setting == "public_to_workspace",
        "privacy_setting": row.privacy_setting,
        "start_on": day(row.start_on),
        "default_access_level": row.default_access_level,
        "completed": bool(row.completed),
        "completed_at": ts(row.completed_at),
        "completed_by": refs.get("user", row.completed_by_gid),
        "followers": refs.many("user", followers),
        "owner": refs.get("user", row.owner_gid),
        "team": refs.get("team", row.team_gid),
        "permalink_url": permalink(base, row.workspace_gid, "project", row.gid),
        "workspace": refs.get("workspace", row.workspace_gid),
    }


def membership(resource_type: str, row: Any, parent: Obj, member: Obj) -> Obj:
    """A project or portfolio membership: both have the same shape."""
    return {
        "gid": str(row.gid),
        "resource_type": resource_type,
        "parent": parent,
        "member": member,
        "access_level": row.access_level,
    }


def section(row: Any, parent: Obj) -> Obj:
    return {
        "gid": str(row.gid),
        "resource_type": "section",
        "name": row.name,
        "created_at": ts(row.created_at),
        "project": parent,
        "projects": [parent],
    }


def portfolio(
    row: Any,
    *,
    refs: Lookup,
    status: Obj | None,
    members: Sequence[int],
    items: Sequence[tuple[int | None, int | None]],
    base: str,
) -> Obj:
    """`items` are `(project gid, portfolio gid)` pairs in position order, one of them set."""
    shown_items = []
    for project_gid, portfolio_gid in items:
        item = (
            refs.get("project", project_gid)
            if project_gid is not None
            else refs.get("portfolio", portfolio_gid)
        )
        if item is not None:
            shown_items.append(item)
    return {
        "gid": str(row.gid),
        "resource_type": "portfolio",
        "name": row.name,
        "archived": bool(row.archived),
        "color": row.color,
        "start_on": day(row.start_on),
        "due_on": day(row.due_on),
        "default_access_level": row.default_access_level,
        "created_at": ts(row.created_at),
        "created_by": refs.get("user", row.created_by_gid),
        "current_status_update": status,
        "members": refs.many("user", members),
        "owner": refs.get("user", row.owner_gid),
        "workspace": refs.get("workspace", row.workspace_gid),
        "permalink_url": permalink(base, row.workspace_gid, "portfolio", row.gid),
        "public": row.privacy_setting == "public_to_domain",
        "privacy_setting": row.privacy_setting,
        "items": shown_items,
    }


def goal(
    row: Any,
    *,
    refs: Lookup,
    status: Obj | None,
    like_rows: Sequence[tuple[int, int]],
    followers: Sequence[int],
) -> Obj:
    shown_likes = likes(like_rows, refs)
    return {
        "gid": str(row.gid),
        "resource_type": "goal",
        "name": row.name,
        "owner": refs.get("user", row.owner_gid),
        "html_notes": row.html_notes,
        "notes": row.notes,
        "due_on": day(row.due_on),
        "start_on": day(row.start_on),
        "is_workspace_level": bool(row.is_workspace_level),
        "liked": False,
        "likes": shown_likes,
        "num_likes": len(shown_likes),
        "team": refs.get("team", row.team_gid),
        "workspace": refs.get("workspace", row.workspace_gid),
        "followers": refs.many("user", followers),
        "current_status_update": status,
        "status": row.status,
        "privacy_setting": row.privacy_setting,
    }


def tag(row: Any, refs: Lookup, base: str) -> Obj:
    """Tags have no followers in the store: the list is always empty."""
    return {
        "gid": str(row.gid),
        "resource_type": "tag",
        "name": row.name,
        "color": row.color,
        "notes": row.notes,
        "created_at": ts(row.created_at),
        "followers": [],
        "workspace": refs.get("workspace", row.workspace_gid),
        "permalink_url": permalink(base, row.workspace_gid, "tag", row.gid),
    }


def enum_option(row: Any) -> Obj:
    return {
        "gid": str(row.gid),
        "resource_type": "enum_option",
        "name": row.name,
        "enabled": bool(row.enabled),
        "color": row.color,
    }


def custom_field_compact(row: Any, options: list[Obj]) -> Obj:
    """A custom field's compact form: its definition, with every value field empty.

    List fields are always lists (empty when they do not apply), scalars are null.
    """
    return {
        "gid": str(row.gid),
        "resource_type": "custom_field",
        "name": row.name,
        "type": row.resource_subtype,
        "enum_options": options,
        "enabled": bool(row.enabled),
        "representation_type": row.resource_subtype,
        "is_formula_field": False,
        "date_value": None,
        "enum_value": None,
        "multi_enum_values": [],
        "number_value": None,
        "text_value": None,
        "display_value": None,
    }


def custom_field(row: Any, options: list[Obj], refs: Lookup) -> Obj:
    return {
        **custom_field_compact(row, options),
        "description": row.description,
        "precision": row.precision,
        "format": row.format,
        "is_global_to_workspace": True,
        "has_notifications_enabled": True,
        "created_by": refs.get("user", row.created_by_gid),
        "people_value": [],
        "resource_subtype": row.resource_subtype,
    }
