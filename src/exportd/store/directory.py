"""Users and workspaces as the API shows them, with the visibility rules of C4.

A caller sees the live workspaces they are an active member of, and the users who share
one of those workspaces with them; everything else does not exist for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, exists, select, update

from exportd.domain.permissions import ExportingCaller
from exportd.store.schema import users, workspace_memberships, workspaces

_members = workspace_memberships


def _active_members_of(workspace_gid: int) -> Any:
    return and_(
        _members.c.workspace_gid == workspace_gid,
        _members.c.is_active.is_(True),
        _members.c.deleted_at.is_(None),
        users.c.deleted_at.is_(None),
    )


def _live_membership(user_gid: int) -> Any:
    return and_(
        _members.c.user_gid == user_gid,
        _members.c.is_active.is_(True),
        _members.c.deleted_at.is_(None),
    )


def visible_workspaces(
    connection: Connection, caller_gid: int, *, after_gid: int = 0, limit: int | None = None
) -> Sequence[Row[Any]]:
    """The caller's live workspaces in gid order, from `after_gid` on (keyset pagination)."""
    query = (
        select(workspaces)
        .join(_members, _members.c.workspace_gid == workspaces.c.gid)
        .where(_live_membership(caller_gid), workspaces.c.deleted_at.is_(None))
        .where(workspaces.c.gid > after_gid)
        .order_by(workspaces.c.gid)
        .limit(limit)
    )
    return connection.execute(query).all()


def visible_workspace(connection: Connection, caller_gid: int, gid: int) -> Row[Any] | None:
    query = (
        select(workspaces, _members.c.is_admin)
        .join(_members, _members.c.workspace_gid == workspaces.c.gid)
        .where(_live_membership(caller_gid), workspaces.c.deleted_at.is_(None))
        .where(workspaces.c.gid == gid)
    )
    return connection.execute(query).first()


def rename_workspace(connection: Connection, gid: int, name: str, now: datetime) -> None:
    connection.execute(
        update(workspaces).where(workspaces.c.gid == gid).values(name=name, modified_at=now)
    )


def visible_user(connection: Connection, caller_gid: int, gid: int) -> Row[Any] | None:
    """The user `gid` if it is the caller or shares a live workspace with the caller."""
    query = select(users).where(users.c.gid == gid, users.c.deleted_at.is_(None))
    if gid != caller_gid:
        theirs = _members.alias("theirs")
        query = query.where(
            exists(
                select(theirs.c.gid)
                .join(_members, _members.c.workspace_gid == theirs.c.workspace_gid)
                .join(workspaces, workspaces.c.gid == theirs.c.workspace_gid)
                .where(
                    theirs.c.user_gid == users.c.gid,
                    theirs.c.is_active.is_(True),
                    theirs.c.deleted_at.is_(None),
                    workspaces.c.deleted_at.is_(None),
                    _live_membership(caller_gid),
                )
            )
        )
    return connection.execute(query).first()


def workspace_members(
    connection: Connection, workspace_gid: int, *, after_gid: int = 0, limit: int | None = None
) -> Sequence[Row[Any]]:
    """Live, active members of a workspace in gid order (keyset pagination)."""
    query = (
        select(users)
        .join(_members, _members.c.user_gid == users.c.gid)
        .where(_active_members_of(workspace_gid), users.c.gid > after_gid)
        .order_by(users.c.gid)
        .limit(limit)
    )
    return connection.execute(query).all()


def exporting_caller(
    connection: Connection, caller_gid: int, workspace_gid: int
) -> ExportingCaller | None:
    """What the export rules need, or None when the caller cannot see the workspace."""
    query = (
        select(
            users.c.is_service_account,
            workspaces.c.name,
            workspaces.c.is_organization,
            workspaces.c.plan,
            workspaces.c.add_ons,
        )
        .select_from(workspaces)
        .join(_members, _members.c.workspace_gid == workspaces.c.gid)
        .join(users, users.c.gid == _members.c.user_gid)
        .where(_live_membership(caller_gid), workspaces.c.deleted_at.is_(None))
        .where(workspaces.c.gid == workspace_gid)
    )
    row = connection.execute(query).first()
    if row is None:
        return None
    return ExportingCaller(
        is_service_account=bool(row.is_service_account),
        organization_name=row.name,
        is_organization=bool(row.is_organization),
        plan=row.plan,
        add_ons=tuple(row.add_ons or ()),
    )


def service_accounts_of(connection: Connection, organization_gid: int) -> list[int]:
    """Gids of the live service accounts that are active members of an organization."""
    query = (
        select(users.c.gid)
        .join(_members, _members.c.user_gid == users.c.gid)
        .where(_active_members_of(organization_gid), users.c.is_service_account.is_(True))
        .order_by(users.c.gid)
    )
    return list(connection.execute(query).scalars())
