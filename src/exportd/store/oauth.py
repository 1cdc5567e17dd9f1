"""Registered OAuth apps and the grants users give them: codes, refresh and access tokens.

Secrets (client secrets, codes, refresh tokens) carry 256 random bits and are stored only as
SHA-256 hashes, as access tokens are (see store.tokens). Access tokens issued through OAuth
are ordinary rows of `access_tokens` (kind 'oauth', with an expiry), linked to their grant,
so bearer authentication needs nothing new and revoking a grant revokes every one of them.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from exportd.domain import oauth as rules
from exportd.errors import InvalidRequest, NotFound, clip
from exportd.store import tokens
from exportd.store.schema import access_tokens, oauth_apps, oauth_grant_tokens, oauth_grants, users

Gids = Callable[[], int]


@dataclass(frozen=True)
class App:
    client_id: int
    name: str
    redirect_uris: tuple[str, ...]
    created_at: datetime


@dataclass(frozen=True)
class Issued:
    """What the token endpoint answers: tokens in the clear, shown this once, and the user."""

    access_token: str
    expires_in: int
    refresh_token: str | None
    user: Any  # row: gid, name, email


class CodeReused(rules.OAuthError):
    """A code came back a second time: refused, and its grant must be revoked (§4.1.2)."""

    def __init__(self, grant_gid: int) -> None:
        super().__init__(
            "invalid_grant",
            "code: has already been used; the tokens issued from it are revoked",
        )
        self.grant_gid = grant_gid


# Apps.


def create_app(
    connection: Connection, *, gid: int, name: str, redirect_uris: Sequence[str], now: datetime
) -> str:
    """Register an app; return its client secret, which only this call ever sees."""
    if not name.strip():
        raise InvalidRequest("name: Missing input")
    if not redirect_uris:
        raise InvalidRequest("redirect_uri: Missing input (give at least one)")
    uris = list(dict.fromkeys(rules.check_redirect_uri(uri) for uri in redirect_uris))
    secret = rules.new_secret()
    connection.execute(
        insert(oauth_apps).values(
            gid=gid,
            name=name.strip(),
            client_secret_hash=tokens.hash_token(secret),
            redirect_uris=uris,
            created_at=now,
        )
    )
    return secret


def list_apps(connection: Connection) -> list[App]:
    query = select(oauth_apps).where(oauth_apps.c.deleted_at.is_(None)).order_by(oauth_apps.c.gid)
    return [_app(row) for row in connection.execute(query)]


def find_app(connection: Connection, client_id: int) -> App | None:
    row = connection.execute(
        select(oauth_apps).where(oauth_apps.c.gid == client_id, oauth_apps.c.deleted_at.is_(None))
    ).first()
    return None if row is None else _app(row)


def authenticate_app(connection: Connection, credentials: rules.ClientCredentials) -> App:
    """The app whose id and secret these are, or invalid_client."""
    client_id = rules.parse_client_id(credentials.client_id)
    row = connection.execute(
        select(oauth_apps).where(oauth_apps.c.gid == client_id, oauth_apps.c.deleted_at.is_(None))
    ).first()
    if row is None:
        raise rules.invalid_client(f"client_id: no app with client_id '{client_id}' is registered")
    given = tokens.hash_token(credentials.client_secret)
    if not secrets.compare_digest(given, row.client_secret_hash):
        raise rules.invalid_client("client_secret: wrong secret for this client_id")
    return _app(row)


def delete_app(connection: Connection, client_id: int, now: datetime) -> int:
    """Delete an app and revoke everything it holds; return how many access tokens were live."""
    result = connection.execute(
        update(oauth_apps)
        .where(oauth_apps.c.gid == client_id, oauth_apps.c.deleted_at.is_(None))
        .values(deleted_at=now)
    )
    if result.rowcount != 1:
        raise NotFound(f"client_id: no app with client_id {client_id}")
    grants = select(oauth_grants.c.gid).where(oauth_grants.c.app_gid == client_id)
    return _revoke_grants(connection, grants, now)


def _app(row: Any) -> App:
    return App(row.gid, row.name, tuple(row.redirect_uris), row.created_at)


# Grants.


def create_grant(
    connection: Connection,
    *,
    gid: int,
    request: rules.AuthorizationRequest,
    user_gid: int,
    now: datetime,
) -> str:
    """Record a user's "Allow" and return the authorization code (valid 10 minutes, once)."""
    code = rules.new_secret()
    connection.execute(
        insert(oauth_grants).values(
            gid=gid,
            app_gid=request.client_id,
            user_gid=user_gid,
            scope=request.scope,
            redirect_uri=request.redirect_uri,
            code_hash=tokens.hash_token(code),
            code_challenge=request.code_challenge,
            code_expires_at=now + rules.CODE_TTL,
            created_at=now,
        )
    )
    return code


def redeem_code(
    connection: Connection,
    *,
    app: App,
    code: str,
    redirect_uri: str,
    code_verifier: str | None,
    now: datetime,
    gids: Gids,
    access_ttl: int,
) -> Issued:
    """Exchange a code for an access and a refresh token (§4.1.3, RFC 7636 §4.6).

    A second use raises CodeReused: the caller revokes the grant in a transaction of its own,
    since this one rolls back.
    """
    grant = connection.execute(
        select(oauth_grants).where(oauth_grants.c.code_hash == tokens.hash_token(code))
    ).first()
    if grant is None:
        raise rules.OAuthError("invalid_grant", "code: unknown code")
    if grant.app_gid != app.client_id:
        raise rules.OAuthError("invalid_grant", "code: was issued to another app")
    if grant.code_used_at is not None:
        raise CodeReused(grant.gid)
    if grant.revoked_at is not None:
        raise rules.OAuthError("invalid_grant", "code: has been revoked")
    if now >= grant.code_expires_at:
        minutes = int(rules.CODE_TTL.total_seconds() // 60)
        raise rules.OAuthError("invalid_grant", f"code: expired (codes live {minutes} minutes)")
    if redirect_uri != grant.redirect_uri:
        raise rules.OAuthError(
            "invalid_grant", "redirect_uri: differs from the one of the authorization request"
        )
    rules.check_code_verifier(grant.code_challenge, code_verifier)
    user = _live_user(connection, grant.user_gid)
    claimed = connection.execute(
        update(oauth_grants)
        .where(oauth_grants.c.gid == grant.gid, oauth_grants.c.code_used_at.is_(None))
        .values(code_used_at=now)
    )
    if claimed.rowcount != 1:  # redeemed at this very moment by another request
        raise CodeReused(grant.gid)
    refresh_token = f"2/{grant.user_gid}/{grant.gid}:{secrets.token_hex(32)}"
    connection.execute(
        update(oauth_grants)
        .where(oauth_grants.c.gid == grant.gid)
        .values(refresh_token_hash=tokens.hash_token(refresh_token))
    )
    access_token = _issue_access_token(connection, grant, app, now, gids, access_ttl)
    return Issued(access_token, access_ttl, refresh_token, user)


def refresh(
    connection: Connection,
    *,
    app: App,
    refresh_token: str,
    scope: str | None,
    now: datetime,
    gids: Gids,
    access_ttl: int,
) -> Issued:
    """A new access token for a live refresh token (§6); the refresh token stays valid."""
    grant = _grant_of_refresh_token(connection, refresh_token)
    if grant is None:
        raise rules.OAuthError("invalid_grant", "refresh_token: unknown refresh token")
    if grant.app_gid != app.client_id:
        raise rules.OAuthError("invalid_grant", "refresh_token: was issued to another app")
    if grant.revoked_at is not None:
        raise rules.OAuthError("invalid_grant", "refresh_token: has been revoked")
    if scope is not None and not set(rules.parse_scope(scope).split()) <= set(grant.scope.split()):
        raise rules.OAuthError("invalid_scope", f"scope: '{clip(scope)}' exceeds the scope granted")
    user = _live_user(connection, grant.user_gid)
    access_token = _issue_access_token(connection, grant, app, now, gids, access_ttl)
    return Issued(access_token, access_ttl, None, user)


def revoke(connection: Connection, *, app: App, token: str, now: datetime) -> int:
    """RFC 7009: a refresh token revokes its grant and all its access tokens; an access token
    only itself. Unknown tokens change nothing (§2.2). Returns the access tokens revoked."""
    grant = _grant_of_refresh_token(connection, token)
    if grant is not None:
        if grant.app_gid != app.client_id:
            raise rules.OAuthError("invalid_grant", "token: was issued to another app")
        return revoke_grant(connection, grant.gid, now)
    found = connection.execute(
        select(access_tokens.c.gid, oauth_grants.c.app_gid)
        .join(oauth_grant_tokens, oauth_grant_tokens.c.access_token_gid == access_tokens.c.gid)
        .join(oauth_grants, oauth_grants.c.gid == oauth_grant_tokens.c.grant_gid)
        .where(access_tokens.c.token_hash == tokens.hash_token(token))
    ).first()
    if found is None:
        return 0
    if found.app_gid != app.client_id:
        raise rules.OAuthError("invalid_grant", "token: was issued to another app")
    return int(tokens.revoke_token(connection, found.gid, now))


def revoke_grant(connection: Connection, grant_gid: int, now: datetime) -> int:
    return _revoke_grants(
        connection, select(oauth_grants.c.gid).where(oauth_grants.c.gid == grant_gid), now
    )


def live_refresh_tokens(connection: Connection, client_id: int) -> int:
    """How many users' refresh tokens the app holds that still work."""
    query = select(func.count()).where(
        oauth_grants.c.app_gid == client_id,
        oauth_grants.c.refresh_token_hash.is_not(None),
        oauth_grants.c.revoked_at.is_(None),
    )
    return int(connection.execute(query).scalar_one())


def _grant_of_refresh_token(connection: Connection, refresh_token: str) -> Any:
    query = select(oauth_grants).where(
        oauth_grants.c.refresh_token_hash == tokens.hash_token(refresh_token)
    )
    return connection.execute(query).first()


def _revoke_grants(connection: Connection, grants: Any, now: datetime) -> int:
    connection.execute(
        update(oauth_grants)
        .where(oauth_grants.c.gid.in_(grants), oauth_grants.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    issued = select(oauth_grant_tokens.c.access_token_gid).where(
        oauth_grant_tokens.c.grant_gid.in_(grants)
    )
    result = connection.execute(
        update(access_tokens)
        .where(access_tokens.c.gid.in_(issued), access_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(result.rowcount)


def _issue_access_token(
    connection: Connection, grant: Any, app: App, now: datetime, gids: Gids, ttl: int
) -> str:
    token_gid = gids()
    token = tokens.issue_token(
        connection,
        user_gid=grant.user_gid,
        token_gid=token_gid,
        now=now,
        name=f"OAuth: {app.name}"[:255],
        kind="oauth",
        expires_at=now + timedelta(seconds=ttl),
    )
    connection.execute(
        insert(oauth_grant_tokens).values(access_token_gid=token_gid, grant_gid=grant.gid)
    )
    return token


def _live_user(connection: Connection, user_gid: int) -> Any:
    user = connection.execute(
        select(users.c.gid, users.c.name, users.c.email).where(
            users.c.gid == user_gid, users.c.deleted_at.is_(None)
        )
    ).first()
    if user is None:
        raise rules.OAuthError("invalid_grant", "the user who allowed this app no longer exists")
    return user
