"""Bearer-token authentication (C4): who is calling, or 401."""

from __future__ import annotations

from exportd.errors import NotAuthorized
from exportd.runtime import Runtime
from exportd.store import tokens


def authenticate(runtime: Runtime, authorization: str | None) -> int:
    """The gid of the caller named by an `Authorization: Bearer <token>` header."""
    if not authorization:
        raise NotAuthorized(
            "Not Authorized: send your token in an 'Authorization: Bearer <token>' header"
        )
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise NotAuthorized("Not Authorized: the Authorization header must be 'Bearer <token>'")
    with runtime.database.read() as connection:
        found = tokens.user_for_token(connection, token, runtime.clock())
        if found is None:
            reason = tokens.why_refused(connection, token, runtime.clock())
            raise NotAuthorized(f"Not Authorized: {reason}")
    return int(found.gid)
