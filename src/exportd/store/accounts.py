"""Users who act through the API: service accounts and their tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert, select

from exportd.errors import InvalidRequest, NotFound
from exportd.store.schema import users, workspace_memberships, workspaces


def create_service_account(
    connection: Connection, *, organization_gid: int, name: str, gids: list[int], now: datetime
) -> int:
    """Create a service account of an organization (an admin member); return its gid.

    `gids` are two fresh gids: the user's and its membership's.
    """
    organization = connection.execute(
        select(workspaces.c.is_organization, workspaces.c.email_domains).where(
            workspaces.c.gid == organization_gid, workspaces.c.deleted_at.is_(None)
        )
    ).first()
    if organization is None:
        raise NotFound(f"organization: no organization with gid {organization_gid}")
    if not organization.is_organization:
        raise InvalidRequest(
            f"organization: {organization_gid} is a personal workspace; "
            "service accounts belong to organizations"
        )
    if not name.strip():
        raise InvalidRequest("name: Missing input")
    user_gid, membership_gid = gids
    domain = (organization.email_domains or ["exportd.invalid"])[0]
    lifecycle = {"created_at": now, "modified_at": now}
    connection.execute(
        insert(users).values(
            gid=user_gid,
            name=name.strip(),
            email=f"service-account-{user_gid}@{domain}",
            is_service_account=True,
            **lifecycle,
        )
    )
    connection.execute(
        insert(workspace_memberships).values(
            gid=membership_gid,
            workspace_gid=organization_gid,
            user_gid=user_gid,
            is_admin=True,
            is_active=True,
            **lifecycle,
        )
    )
    return user_gid


def require_user(connection: Connection, user_gid: int) -> None:
    """Raise NotFound unless a live user has this gid."""
    found = connection.execute(
        select(users.c.gid).where(users.c.gid == user_gid, users.c.deleted_at.is_(None))
    ).first()
    if found is None:
        raise NotFound(f"user: no user with gid {user_gid}")
