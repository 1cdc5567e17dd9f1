"""Sessions of the OAuth pages, kept server-side so they can be ended for good.

The browser's cookie carries a random session id (256 bits); only its SHA-256 is stored,
as for tokens. Signing out ends the session; a new password ends every session of its
user; a removed (deleted) user's sessions are refused when read.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, insert, select, update

from exportd.store.schema import oauth_sessions, users
from exportd.store.tokens import hash_token


def start(connection: Connection, user_gid: int, now: datetime, lifetime: timedelta) -> str:
    """A new session for `user_gid`; returns its id, for the cookie only."""
    session_id = secrets.token_urlsafe(32)
    connection.execute(delete(oauth_sessions).where(oauth_sessions.c.expires_at <= now))
    connection.execute(
        insert(oauth_sessions).values(
            id_hash=hash_token(session_id),
            user_gid=user_gid,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    return session_id


def user_of(connection: Connection, session_id: str, now: datetime) -> int | None:
    """The live user of a live session, or None (unknown, ended, expired, user removed)."""
    query = (
        select(oauth_sessions.c.user_gid)
        .join(users, users.c.gid == oauth_sessions.c.user_gid)
        .where(
            oauth_sessions.c.id_hash == hash_token(session_id),
            oauth_sessions.c.ended_at.is_(None),
            oauth_sessions.c.expires_at > now,
            users.c.deleted_at.is_(None),
        )
    )
    found = connection.execute(query).scalar()
    return None if found is None else int(found)


def end(connection: Connection, session_id: str, now: datetime) -> None:
    connection.execute(
        update(oauth_sessions)
        .where(
            oauth_sessions.c.id_hash == hash_token(session_id), oauth_sessions.c.ended_at.is_(None)
        )
        .values(ended_at=now)
    )


def end_all(connection: Connection, user_gid: int, now: datetime) -> int:
    """End every session of a user (a new password, an account removed); how many were live."""
    result = connection.execute(
        update(oauth_sessions)
        .where(oauth_sessions.c.user_gid == user_gid, oauth_sessions.c.ended_at.is_(None))
        .values(ended_at=now)
    )
    return result.rowcount
