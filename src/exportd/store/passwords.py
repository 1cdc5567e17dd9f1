"""Passwords people sign in with on the OAuth pages, and the limit on failed sign-ins.

Passwords are hashed with argon2id (argon2-cffi's defaults, rehashed when they change).
A slow hash is right here, unlike for tokens: people choose passwords, and they can be
guessed. Failed sign-ins are counted per email in the database, so the limit holds across
API processes; the check and the count are not one atomic step, so a burst of concurrent
guesses may pass the limit by at most the number of requests in flight.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, delete, func, insert, select, update

from exportd.errors import InvalidRequest, NotFound
from exportd.store.database import Database
from exportd.store.schema import sign_in_failures, users

MIN_LENGTH = 8
MAX_LENGTH = 1024  # argon2 hashes any length; this bounds the work one request can cause
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)

_hasher = PasswordHasher()


@dataclass(frozen=True)
class Refused:
    """A sign-in that did not succeed: the status and message the page shows."""

    status: int  # 401 wrong email or password, 403 service account, 429 too many failures
    message: str
    retry_after: int | None = None  # seconds, for 429


def set_password(connection: Connection, user_gid: int, password: str) -> None:
    """Let a user sign in with `password`. Service accounts cannot: they use their token."""
    user = connection.execute(
        select(users.c.is_service_account).where(
            users.c.gid == user_gid, users.c.deleted_at.is_(None)
        )
    ).first()
    if user is None:
        raise NotFound(f"user: no user with gid {user_gid}")
    if user.is_service_account:
        raise InvalidRequest(
            f"user: {user_gid} is a service account; service accounts cannot sign in"
        )
    if len(password) < MIN_LENGTH:
        raise InvalidRequest(f"password: must have at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise InvalidRequest(f"password: must have at most {MAX_LENGTH} characters")
    connection.execute(
        update(users).where(users.c.gid == user_gid).values(password_hash=_hasher.hash(password))
    )


def sign_in(
    database: Database, email: str, password: str, now: datetime, new_gid: Callable[[], int]
) -> int | Refused:
    """The gid of the user these credentials are for, or why not.

    The hash is checked outside any transaction: on SQLite a write transaction holds the one
    writer lock, and argon2 takes tens of milliseconds on purpose.
    """
    key = email.strip().lower()
    with database.read() as connection:
        failures = _recent_failures(connection, key, now)
        user = connection.execute(
            select(users.c.gid, users.c.is_service_account, users.c.password_hash).where(
                func.lower(users.c.email) == key, users.c.deleted_at.is_(None)
            )
        ).first()
    if len(failures) >= MAX_FAILURES:  # refused before the password is even looked at
        wait = failures[0] + FAILURE_WINDOW - now
        minutes = max(1, -(-int(wait.total_seconds()) // 60))
        return Refused(
            429,
            f"Too many failed sign-ins for {email.strip()}; try again in {minutes} minutes.",
            retry_after=max(1, int(wait.total_seconds())),
        )
    if user is not None and user.is_service_account:
        return Refused(403, "Service accounts cannot sign in; they call the API with their token.")
    if user is None or not _verified(user.password_hash, password):
        with database.write() as connection:
            connection.execute(delete(sign_in_failures).where(_stale(now)))
            connection.execute(
                insert(sign_in_failures).values(gid=new_gid(), email=key, failed_at=now)
            )
        return Refused(401, "Wrong email or password.")
    with database.write() as connection:
        connection.execute(delete(sign_in_failures).where(sign_in_failures.c.email == key))
        if _hasher.check_needs_rehash(user.password_hash):
            connection.execute(
                update(users)
                .where(users.c.gid == user.gid)
                .values(password_hash=_hasher.hash(password))
            )
    return int(user.gid)


def fingerprint(password_hash: str | None) -> str:
    """A short digest of the stored hash: sessions carry it, so a new password ends them."""
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:16]


def _verified(stored: str | None, password: str) -> bool:
    try:
        _hasher.verify(stored or _dummy_hash(), password[:MAX_LENGTH])
    except (VerificationError, InvalidHashError):
        return False
    return stored is not None


@cache
def _dummy_hash() -> str:
    """Verified when no account matches, so an unknown email costs as long as a wrong one."""
    return _hasher.hash("no account has this password")


def _recent_failures(connection: Connection, email: str, now: datetime) -> list[datetime]:
    query = (
        select(sign_in_failures.c.failed_at)
        .where(
            sign_in_failures.c.email == email, sign_in_failures.c.failed_at > now - FAILURE_WINDOW
        )
        .order_by(sign_in_failures.c.failed_at)
    )
    return list(connection.execute(query).scalars())


def _stale(now: datetime) -> Any:
    return sign_in_failures.c.failed_at <= now - FAILURE_WINDOW
