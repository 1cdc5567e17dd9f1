"""Passwords people sign in with on the OAuth pages, and the limits on failed sign-ins.

Passwords are hashed with argon2id (argon2-cffi's defaults, rehashed when they change).
A slow hash is right here, unlike for tokens: people choose passwords, and they can be
guessed. An email without an account, or without a password, is checked against a dummy
hash, so it costs the same time as a wrong password and answers the same.

Failed sign-ins are counted per email and per client IP in the database, so the limits hold
across API processes. Each attempt is counted before its password is checked, in one
upsert that returns the new count, so concurrent guesses cannot pass a limit; a sign-in
that succeeds takes its count back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, case, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from exportd.errors import InvalidRequest, NotFound
from exportd.store import sessions
from exportd.store.database import Database
from exportd.store.schema import sign_in_throttles, users

MIN_LENGTH = 8
MAX_LENGTH = 1024  # argon2 hashes any length; this bounds the work one request can cause
MAX_EMAIL_LENGTH = 320  # RFC 5321's limit, and the column's: longer is no one's email
MAX_FAILURES = 5  # per email
MAX_FAILURES_PER_IP = 20  # per client IP: guessing across many emails
FAILURE_WINDOW = timedelta(minutes=15)

_hasher = PasswordHasher()


@dataclass(frozen=True)
class Refused:
    """A sign-in that did not succeed: the status and message the page shows."""

    status: int  # 401 wrong email or password, 403 service account, 429 too many failures
    message: str
    retry_after: int | None = None  # seconds, for 429


def set_password(connection: Connection, user_gid: int, password: str, now: datetime) -> None:
    """Let a user sign in with `password`, and end their sessions on the OAuth pages.
    Service accounts cannot sign in: they use their token."""
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
    sessions.end_all(connection, user_gid, now)


def sign_in(database: Database, email: str, password: str, ip: str, now: datetime) -> int | Refused:
    """The gid of the user these credentials are for, or why not.

    The hash is checked outside any transaction: on SQLite a write transaction holds the one
    writer lock, and argon2 takes tens of milliseconds on purpose.
    """
    check_lengths(email, password)
    key = email.strip().lower()
    with database.write() as connection:
        connection.execute(delete(sign_in_throttles).where(_stale(now)))
        email_count, email_since = _count_failure(connection, f"email:{key}", now)
        ip_count, ip_since = _count_failure(connection, f"ip:{ip}", now)
    if email_count > MAX_FAILURES:
        return _too_many(f"Too many failed sign-ins for {email.strip()}", email_since, now)
    if ip_count > MAX_FAILURES_PER_IP:
        return _too_many("Too many failed sign-ins from your address", ip_since, now)
    with database.read() as connection:
        user = connection.execute(
            select(users.c.gid, users.c.is_service_account, users.c.password_hash).where(
                func.lower(users.c.email) == key, users.c.deleted_at.is_(None)
            )
        ).first()
    verified = _verified(None if user is None else user.password_hash, password)
    if user is not None and user.is_service_account:
        return Refused(403, "Service accounts cannot sign in; they call the API with their token.")
    if user is None or not verified:
        return Refused(401, "Wrong email or password.")
    with database.write() as connection:
        connection.execute(
            delete(sign_in_throttles).where(sign_in_throttles.c.key == f"email:{key}")
        )
        connection.execute(
            update(sign_in_throttles)
            .where(sign_in_throttles.c.key == f"ip:{ip}")
            .values(failures=sign_in_throttles.c.failures - 1)
        )
        if _hasher.check_needs_rehash(user.password_hash):
            connection.execute(
                update(users)
                .where(users.c.gid == user.gid)
                .values(password_hash=_hasher.hash(password))
            )
    return int(user.gid)


def check_lengths(email: str, password: str) -> None:
    """Refuse what no account can have, before anything is stored or hashed."""
    if len(email.strip()) > MAX_EMAIL_LENGTH:
        raise InvalidRequest(f"email: must have at most {MAX_EMAIL_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise InvalidRequest(f"password: must have at most {MAX_LENGTH} characters")


def _count_failure(connection: Connection, key: str, now: datetime) -> tuple[int, datetime]:
    """Count one more attempt for `key` in its window (a new window when the last one has
    passed), atomically; returns the count and when the window began."""
    table = sign_in_throttles
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(key=key, failures=1, window_started_at=now)
    expired = table.c.window_started_at <= now - FAILURE_WINDOW
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "failures": case((expired, 1), else_=table.c.failures + 1),
            "window_started_at": case((expired, now), else_=table.c.window_started_at),
        },
    ).returning(table.c.failures, table.c.window_started_at)
    row = connection.execute(statement).one()
    return int(row.failures), row.window_started_at


def _too_many(what: str, since: datetime, now: datetime) -> Refused:
    wait = max(1, int((since + FAILURE_WINDOW - now).total_seconds()))
    minutes = -(-wait // 60)
    return Refused(429, f"{what}; try again in {minutes} minutes.", retry_after=wait)


def _verified(stored: str | None, password: str) -> bool:
    """Whether `password` matches; with no stored hash, a dummy one is checked all the same,
    so that an unknown email costs as long as a wrong password."""
    try:
        _hasher.verify(stored or _dummy_hash(), password[:MAX_LENGTH])
    except (VerificationError, InvalidHashError):
        return False
    return stored is not None


@cache
def _dummy_hash() -> str:
    return _hasher.hash("no account has this password")


def _stale(now: datetime) -> Any:
    return sign_in_throttles.c.window_started_at <= now - FAILURE_WINDOW
