"""`POST /-/oauth_token` and `POST /-/oauth_revoke`: what an app does with a code.

Plain form-encoded OAuth endpoints, outside `/api/1.0` and its envelope: answers are the
token response Asana sends (RFC 6749 §5.1 plus the user as `data`) and errors are RFC 6749
§5.2 JSON (`error`, `error_description`). Nothing is cached (§5.1: `no-store`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from exportd.api.responses import json_response
from exportd.domain import oauth as rules
from exportd.errors import clip
from exportd.runtime import Runtime
from exportd.store import oauth

FORM_TYPE = "application/x-www-form-urlencoded"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
GRANT_TYPES = ("authorization_code", "refresh_token")
TOKEN_TYPE_HINTS = ("access_token", "refresh_token")

Handler = Callable[[Runtime, str | None, rules.Params], Response]


def _endpoint(handler: Handler) -> Callable[[Request], Any]:
    """An ASGI endpoint reading the form, running `handler` in a thread, answering errors."""

    async def endpoint(request: Request) -> Response:
        try:
            media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            form: rules.Params = []  # an empty body is an empty form: errors say what is missing
            if media_type != FORM_TYPE and await request.body():
                raise rules.OAuthError(
                    "invalid_request",
                    f"Content-Type must be {FORM_TYPE}, got '{clip(media_type) or 'none'}'",
                )
            if media_type == FORM_TYPE:
                async with request.form() as data:
                    form = [(k, v) for k, v in data.multi_items() if isinstance(v, str)]
            runtime: Runtime = request.app.state.runtime
            authorization = request.headers.get("authorization")
            return await run_in_threadpool(handler, runtime, authorization, form)
        except rules.OAuthError as error:
            headers = dict(NO_STORE)
            if error.status == 401:
                headers["WWW-Authenticate"] = 'Basic realm="exportd"'
            body = {"error": error.error, "error_description": error.message}
            return json_response(body, status=error.status, headers=headers)

    return endpoint


def token(runtime: Runtime, authorization: str | None, form: rules.Params) -> Response:
    credentials = rules.client_credentials(authorization, form)
    with runtime.database.read() as connection:
        app = oauth.authenticate_app(connection, credentials)
    grant_type = rules.required(form, "grant_type")
    if grant_type not in GRANT_TYPES:
        raise rules.OAuthError(
            "unsupported_grant_type",
            f"grant_type: '{clip(grant_type)}' is not supported; use {' or '.join(GRANT_TYPES)}",
        )
    now, ttl = runtime.clock(), runtime.settings.oauth_access_ttl
    if grant_type == "refresh_token":
        refresh_token = rules.required(form, "refresh_token")
        scope = rules.single(form, "scope")
        with runtime.database.write() as connection:
            issued = oauth.refresh(
                connection, app=app, refresh_token=refresh_token, scope=scope, now=now,
                gids=runtime.gids.next_int, access_ttl=ttl,
            )  # fmt: skip
        return _answer(issued)
    code = rules.required(form, "code")
    redirect_uri = rules.required(form, "redirect_uri")
    verifier = rules.single(form, "code_verifier")
    try:
        with runtime.database.write() as connection:
            issued = oauth.redeem_code(
                connection, app=app, code=code, redirect_uri=redirect_uri, code_verifier=verifier,
                now=now, gids=runtime.gids.next_int, access_ttl=ttl,
            )  # fmt: skip
    except oauth.CodeReused as reused:
        with runtime.database.write() as connection:
            oauth.revoke_grant(connection, reused.grant_gid, now)
        raise
    return _answer(issued)


def revoke(runtime: Runtime, authorization: str | None, form: rules.Params) -> Response:
    """RFC 7009. Unknown tokens answer 200 too: the client's goal, a dead token, is met."""
    credentials = rules.client_credentials(authorization, form)
    with runtime.database.read() as connection:
        app = oauth.authenticate_app(connection, credentials)
    token_value = rules.required(form, "token")
    hint = rules.single(form, "token_type_hint")
    if hint is not None and hint not in TOKEN_TYPE_HINTS:
        raise rules.OAuthError(
            "unsupported_token_type",
            f"token_type_hint: '{clip(hint)}' is not a token type of exportd; "
            f"use {' or '.join(TOKEN_TYPE_HINTS)}",
        )
    with runtime.database.write() as connection:
        oauth.revoke(connection, app=app, token=token_value, now=runtime.clock())
    return Response(status_code=200, headers=NO_STORE)


def _answer(issued: oauth.Issued) -> Response:
    """Asana's token response: RFC 6749 §5.1 and the user the token acts for."""
    user = issued.user
    body: dict[str, Any] = {
        "access_token": issued.access_token,
        "token_type": "bearer",
        "expires_in": issued.expires_in,
        "data": {"id": user.gid, "gid": str(user.gid), "name": user.name, "email": user.email},
    }
    if issued.refresh_token is not None:
        body["refresh_token"] = issued.refresh_token
    return json_response(body, headers=NO_STORE)


routes = [
    Route("/-/oauth_token", _endpoint(token), methods=["POST"]),
    Route("/-/oauth_revoke", _endpoint(revoke), methods=["POST"]),
]
