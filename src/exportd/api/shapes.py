"""Users and workspaces in their documented full shapes (UserResponse, WorkspaceResponse)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Row


def workspace_shape(row: Row[Any]) -> dict[str, Any]:
    return {
        "gid": str(row.gid),
        "resource_type": "workspace",
        "name": row.name,
        "email_domains": list(row.email_domains or []),
        "is_organization": bool(row.is_organization),
    }


def user_shape(row: Row[Any], workspaces: Iterable[Row[Any]]) -> dict[str, Any]:
    return {
        "gid": str(row.gid),
        "resource_type": "user",
        "name": row.name,
        "email": row.email,
        "photo": row.photo,
        "workspaces": [workspace_shape(workspace) for workspace in workspaces],
    }
