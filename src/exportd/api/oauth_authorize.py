"""`GET/POST /-/oauth_authorize`: sign in, then allow or deny an app (RFC 6749 §4.1.1-4.1.2).

The request's parameters stay in the query string the whole way: the pages post back to
the same URL, so every POST checks the app and redirect URI again before anything is
granted. An unknown app or an unregistered redirect URI gets an error page and never a
redirect; any other problem goes back to the app's redirect URI with an RFC 6749 error.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from exportd.api.oauth_pages import (
    MAX_AGE,
    Session,
    error_page,
    load_session,
    render,
    save_session,
)
from exportd.domain import oauth as rules
from exportd.errors import InvalidRequest, clip
from exportd.runtime import Runtime
from exportd.store import oauth, passwords, sessions
from exportd.store.schema import users

PATH = "/-/oauth_authorize"
FORM_TYPE = "application/x-www-form-urlencoded"
_NOT_SHARED = "You have not been signed in to anything, and nothing was shared with the app."


async def authorize(request: Request) -> Response:
    form: rules.Params | None = None
    if request.method == "POST":
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != FORM_TYPE:
            return error_page(
                400,
                "This form could not be read",
                f"Content-Type must be {FORM_TYPE}, got '{clip(media_type) or 'none'}'.",
                _NOT_SHARED,
            )
        async with request.form() as data:
            form = [(key, value) for key, value in data.multi_items() if isinstance(value, str)]
    return await run_in_threadpool(_authorize, request, form)


def _authorize(request: Request, form: rules.Params | None) -> Response:
    runtime: Runtime = request.app.state.runtime
    params = request.query_params.multi_items()
    try:
        client_id = rules.client_id_of(params)
        with runtime.database.read() as connection:
            app = oauth.find_app(connection, client_id)
        if app is None:
            raise rules.UnsafeRedirect(
                f"client_id: no app with client_id '{client_id}' is registered"
            )
        redirect_uri = rules.redirect_uri_of(params, app.redirect_uris)
    except rules.UnsafeRedirect as error:
        return error_page(
            400,
            "This link cannot be used",
            error.message,
            f"The app that sent you here is not set up for this server: tell its developers. "
            f"{_NOT_SHARED}",
        )
    try:
        asked = rules.parse_authorization(params, client_id, redirect_uri)
    except rules.OAuthError as error:
        state = next((value for key, value in params if key == "state"), None)
        return _back_to_app(redirect_uri, error, state, form is not None)
    page = _Page(runtime, request, app, asked)
    return page.post(form) if form is not None else page.show()


class _Page:
    """One visit to the authorize page, for a checked request of a known app."""

    def __init__(
        self, runtime: Runtime, request: Request, app: oauth.App, asked: rules.AuthorizationRequest
    ) -> None:
        self.runtime, self.app, self.asked = runtime, app, asked
        self.action = f"{PATH}?{request.url.query}"
        self.ip = request.client.host if request.client else "unknown"
        self.session = load_session(request.cookies, runtime.settings)
        self.user = self._signed_in_user()

    def show(self, *, error: str | None = None, status: int = 200, email: str = "") -> Response:
        common = {"action": self.action, "csrf_token": self.session.csrf, "app_name": self.app.name}
        if self.user is None:
            page = render("sign_in", status=status, error=error, email=email, **common)
        else:
            page = render(
                "consent",
                status=status,
                user_name=self.user.name,
                user_email=self.user.email,
                scopes=[(scope, rules.SCOPES[scope]) for scope in self.asked.scope.split()],
                redirect_host=urlsplit(self.asked.redirect_uri).netloc,
                **common,
            )
        return save_session(page, self.session, self.runtime.settings)

    def post(self, form: rules.Params) -> Response:
        try:
            csrf_token = rules.single(form, "csrf_token")
            action = rules.single(form, "action")
        except rules.OAuthError as error:
            return self._bad_form(error.message)
        if not self.session.accepts(csrf_token):
            return error_page(
                403,
                "This form has expired",
                "csrf_token: missing or not the one this page gave out, so the form was "
                "refused (it may be old, or sent from another site).",
                f"Go back to the app and start again. {_NOT_SHARED}",
            )
        if action == "sign_in":
            return self._sign_in(form)
        if action == "sign_out":
            if self.session.session_id is not None:
                with self.runtime.database.write() as connection:
                    sessions.end(connection, self.session.session_id, self.runtime.clock())
            self.session = Session.anonymous()
            return self._again()
        if action == "deny":
            denied = rules.OAuthError("access_denied", "The user denied the app access.")
            return _back_to_app(self.asked.redirect_uri, denied, self.asked.state, True)
        if action == "allow":
            return self._allow()
        return self._bad_form("action: must be sign_in, allow, deny or sign_out")

    def _sign_in(self, form: rules.Params) -> Response:
        try:
            email = rules.single(form, "email") or ""
            password = rules.single(form, "password") or ""
        except rules.OAuthError as error:
            return self._bad_form(error.message)
        try:
            passwords.check_lengths(email, password)
        except InvalidRequest as error:  # nothing stored, and a huge email is not echoed
            return self.show(error=error.message, status=400)
        if not email.strip() or not password:
            return self.show(error="Enter your email and your password.", status=400, email=email)
        now = self.runtime.clock()
        outcome = passwords.sign_in(self.runtime.database, email, password, self.ip, now)
        if isinstance(outcome, passwords.Refused):
            page = self.show(error=outcome.message, status=outcome.status, email=email)
            if outcome.retry_after is not None:
                page.headers["Retry-After"] = str(outcome.retry_after)
            return page
        with self.runtime.database.write() as connection:
            session_id = sessions.start(connection, outcome, now, timedelta(seconds=MAX_AGE))
        self.session = self.session.signed_in(session_id)
        return self._again()

    def _allow(self) -> Response:
        if self.user is None:
            return self.show(error="Your sign-in has ended; sign in again.", status=401)
        with self.runtime.database.write() as connection:
            code = oauth.create_grant(
                connection,
                gid=self.runtime.gids.next_int(),
                request=self.asked,
                user_gid=self.user.gid,
                now=self.runtime.clock(),
            )
        location = rules.with_query(
            self.asked.redirect_uri, [("code", code), ("state", self.asked.state)]
        )
        return RedirectResponse(location, 303, headers={"Cache-Control": "no-store"})

    def _again(self) -> Response:
        """Back to this page by GET (post/redirect/get), with the session as it now is."""
        response = RedirectResponse(self.action, 303, headers={"Cache-Control": "no-store"})
        return save_session(response, self.session, self.runtime.settings)

    def _bad_form(self, message: str) -> Response:
        return error_page(400, "This form could not be read", message, _NOT_SHARED)

    def _signed_in_user(self) -> Any:
        """The user of the session while it lasts (not ended, user not removed), else None."""
        if self.session.session_id is None:
            return None
        with self.runtime.database.read() as connection:
            user_gid = sessions.user_of(connection, self.session.session_id, self.runtime.clock())
            row = None if user_gid is None else _user(connection, user_gid)
        if row is None or row.is_service_account:
            self.session = Session.anonymous()
            return None
        return row


def _user(connection: Any, user_gid: int) -> Any:
    query = users.select().where(users.c.gid == user_gid, users.c.deleted_at.is_(None))
    return connection.execute(query).first()


def _back_to_app(
    redirect_uri: str, error: rules.OAuthError, state: str | None, after_post: bool
) -> Response:
    """An RFC 6749 §4.1.2.1 error response: to the app's redirect URI, with the state."""
    location = rules.with_query(
        redirect_uri,
        [("error", error.error), ("error_description", error.message), ("state", state)],
    )
    return RedirectResponse(location, 303 if after_post else 302, {"Cache-Control": "no-store"})


routes = [Route(PATH, authorize, methods=["GET", "POST"])]
