"""Personal access tokens: made once, shown once, stored only as a hash.

A token looks like Asana's (`2/<user gid>/<token gid>:<secret>`). It carries 256 bits of
randomness, so a plain SHA-256 is the right hash: a slow password hash would add nothing
against guessing and cost every request a few milliseconds.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Literal

from sqlalchemy import Connection, Row, case, func, insert, or_, select, update

from exportd.domain.vocabulary import FREE_TIERS
from exportd.store.schema import access_tokens, users, workspace_memberships, workspaces

TokenKind = Literal["personal", "oauth"]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    connection: Connection,
    *,
    user_gid: int,
    token_gid: int,
    now: datetime,
    name: str = "personal access token",
    kind: TokenKind = "personal",
    expires_at: datetime | None = None,
) -> str:
    """Store a new token for `user_gid` and return it; this is the only time it is visible."""
    token = f"2/{user_gid}/{token_gid}:{secrets.token_hex(32)}"
    connection.execute(
        insert(access_tokens).values(
            gid=token_gid,
            user_gid=user_gid,
            token_hash=hash_token(token),
            name=name,
            kind=kind,
            created_at=now,
            expires_at=expires_at,
        )
    )
    return token


def user_for_token(connection: Connection, token: str, now: datetime) -> Row[tuple[int]] | None:
    """The gid of the live user a live token belongs to, or None (unknown/revoked/expired)."""
    query = (
        select(users.c.gid)
        .join(access_tokens, access_tokens.c.user_gid == users.c.gid)
        .where(
            access_tokens.c.token_hash == hash_token(token),
            access_tokens.c.revoked_at.is_(None),
            or_(access_tokens.c.expires_at.is_(None), access_tokens.c.expires_at > now),
            users.c.deleted_at.is_(None),
        )
    )
    return connection.execute(query).first()


def on_paid_plan(connection: Connection, token_hash: str, now: datetime) -> bool | None:
    """Whether a live token's user belongs to a workspace on a paid plan (their request
    quota is the larger one), or None for a token that authenticates no one."""
    paid = case((workspaces.c.plan.not_in(FREE_TIERS), 1), else_=0)
    query = (
        select(func.coalesce(func.max(paid), 0))
        .select_from(access_tokens)
        .join(users, users.c.gid == access_tokens.c.user_gid)
        .outerjoin(
            workspace_memberships,
            (workspace_memberships.c.user_gid == users.c.gid)
            & workspace_memberships.c.deleted_at.is_(None),
        )
        .outerjoin(
            workspaces,
            (workspaces.c.gid == workspace_memberships.c.workspace_gid)
            & workspaces.c.deleted_at.is_(None),
        )
        .where(
            access_tokens.c.token_hash == token_hash,
            access_tokens.c.revoked_at.is_(None),
            or_(access_tokens.c.expires_at.is_(None), access_tokens.c.expires_at > now),
            users.c.deleted_at.is_(None),
        )
        .group_by(access_tokens.c.gid)
    )
    found = connection.execute(query).scalar()
    return None if found is None else bool(found)


def why_refused(connection: Connection, token: str, now: datetime) -> str:
    """Why `user_for_token` found no one: the token holder may know which it is."""
    row = connection.execute(
        select(access_tokens.c.revoked_at, access_tokens.c.expires_at, users.c.deleted_at)
        .join(users, users.c.gid == access_tokens.c.user_gid)
        .where(access_tokens.c.token_hash == hash_token(token))
    ).first()
    if row is None:
        return "the token is unknown"
    if row.revoked_at is not None:
        return "the token has been revoked"
    if row.expires_at is not None and row.expires_at <= now:
        return "the token has expired"
    return "the token's user no longer exists"


def revoke_token(connection: Connection, token_gid: int, now: datetime) -> bool:
    """Revoke a token by its gid; False when there was no live token with that gid."""
    result = connection.execute(
        update(access_tokens)
        .where(access_tokens.c.gid == token_gid, access_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return result.rowcount == 1
