"""The sign-in and consent pages' plumbing: templates, a signed session cookie, CSRF tokens.

The cookie, signed with the server's secret key (itsdangerous), holds a CSRF token that
every form must send back and, once signed in, the id of a session kept in the database
(`store.sessions`), so that signing out, a new password or a removed account ends it
everywhere, and a copy of an old cookie gets nothing. The cookie is HttpOnly,
SameSite=Lax (the app's link to the authorize page is a cross-site navigation that must
carry it), limited to /-/, and Secure when exportd is served over https.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse, Response

from exportd.settings import Settings

COOKIE = "exportd_oauth"
COOKIE_PATH = "/-/"
MAX_AGE = 12 * 3600  # seconds a sign-in lasts on the pages

HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",  # the consent page must not be framed (clickjacking)
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@dataclass(frozen=True)
class Session:
    csrf: str
    session_id: str | None = None  # of a session in the database, once signed in

    @classmethod
    def anonymous(cls) -> Session:
        return cls(csrf=secrets.token_urlsafe(32))

    def signed_in(self, session_id: str) -> Session:
        """A new session (new CSRF token too), so no value seen before sign-in carries over."""
        return Session(secrets.token_urlsafe(32), session_id)

    def accepts(self, csrf_token: str | None) -> bool:
        return bool(csrf_token) and secrets.compare_digest(str(csrf_token), self.csrf)


def load_session(cookies: Mapping[str, str], settings: Settings) -> Session:
    """The visitor's session, or a fresh anonymous one when it is missing, forged or old."""
    raw = cookies.get(COOKIE)
    if raw:
        try:
            value = _serializer(settings).loads(raw, max_age=MAX_AGE)
        except BadSignature:
            value = None
        if isinstance(value, dict) and isinstance(value.get("c"), str):
            session_id = value.get("s")
            return Session(value["c"], session_id if isinstance(session_id, str) else None)
    return Session.anonymous()


def save_session(response: Response, session: Session, settings: Settings) -> Response:
    value: dict[str, Any] = {"c": session.csrf}
    if session.session_id is not None:
        value["s"] = session.session_id
    response.set_cookie(
        COOKIE,
        _serializer(settings).dumps(value),
        max_age=MAX_AGE,
        path=COOKIE_PATH,
        secure=settings.public_url.lower().startswith("https://"),
        httponly=True,
        samesite="lax",
    )
    return response


def render(template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    """A page from templates/oauth/, escaped, with headers that keep it out of frames."""
    html = _environment().get_template(f"oauth/{template}.html").render(**context)
    return HTMLResponse(html, status, headers=HEADERS)


def error_page(status: int, title: str, message: str, advice: str) -> HTMLResponse:
    return render("error", status=status, title=title, message=message, advice=advice)


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key.get_secret_value(), "exportd.oauth.session")


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("exportd.api", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
    )
