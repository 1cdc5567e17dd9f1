"""What the OAuth tests share: a world with registered apps and a person who can sign in,
and a small form-following browser over httpx (no JavaScript is needed by the pages)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx
from sqlalchemy import func, select

from exportd.runtime import Runtime
from exportd.store import accounts, oauth, passwords
from exportd.store.schema import access_tokens, oauth_grants
from tests.integration.world import World, build_world

PASSWORD = "correct horse battery"
CALLBACK = "http://127.0.0.1:9/callback"  # never followed: the test reads the Location


@dataclass(frozen=True)
class OAuthWorld:
    world: World
    client_id: str
    client_secret: str
    other_id: str  # a second app, to redeem what was issued to the first
    other_secret: str
    redirect_uri: str
    email: str  # Mel, a member of Acme and Globex, who has a password
    service_account: int


def build_oauth_world(runtime: Runtime, redirect_uri: str = CALLBACK) -> OAuthWorld:
    world = build_world(runtime)
    now = runtime.clock()
    with runtime.database.write() as connection:
        first, second = runtime.gids.next_int(), runtime.gids.next_int()
        secret = oauth.create_app(
            connection, gid=first, name="Backup Buddy", redirect_uris=[redirect_uri], now=now
        )
        other = oauth.create_app(
            connection, gid=second, name="Other App", redirect_uris=[redirect_uri], now=now
        )
        passwords.set_password(connection, world.member, PASSWORD, now)
        service_account = accounts.create_service_account(
            connection,
            organization_gid=world.acme,
            name="Robot",
            gids=runtime.gids.take(2),
            now=now,
        )
    return OAuthWorld(
        world, str(first), secret, str(second), other, redirect_uri, "mel@x.example",
        service_account,
    )  # fmt: skip


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize_url(base: str, o: OAuthWorld, **params: str | None) -> str:
    query = {
        "client_id": o.client_id,
        "redirect_uri": o.redirect_uri,
        "response_type": "code",
        "state": "st-123",
    } | params
    return f"{base}/-/oauth_authorize?" + urlencode(
        {k: v for k, v in query.items() if v is not None}
    )


class _Forms(HTMLParser):
    """The page's forms: action and fields (hidden ones with their values)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str], list[tuple[str, str]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append((found.get("action", ""), {}, []))
        elif tag == "input" and self.forms and "name" in found:
            self.forms[-1][1][found["name"]] = found.get("value", "")
        elif tag == "button" and self.forms and "name" in found:
            self.forms[-1][2].append((found["name"], found.get("value", "")))


class Browser:
    """Follows redirects within exportd, stops at the app's redirect URI, submits forms."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = httpx.Client(base_url=base, follow_redirects=False, timeout=30)

    def close(self) -> None:
        self.http.close()

    def get(self, url: str) -> httpx.Response:
        return self._follow(self.http.get(url))

    def submit(self, page: httpx.Response, button: str, **fields: str) -> httpx.Response:
        """Fill the page's form that has `button`, press it, follow exportd's redirects."""
        parser = _Forms()
        parser.feed(page.text)
        for action, inputs, buttons in parser.forms:
            if ("action", button) in buttons:
                data = {**inputs, **fields, "action": button}
                target = urljoin(str(page.url), action)
                return self._follow(self.http.post(target, data=data))
        raise AssertionError(f"no {button!r} button on the page:\n{page.text}")

    def _follow(self, response: httpx.Response) -> httpx.Response:
        while response.is_redirect and _is_exportd(response.headers["location"], self.base):
            response = self.http.get(urljoin(str(response.url), response.headers["location"]))
        return response

    def sign_in_and_allow(self, url: str, email: str, password: str = PASSWORD) -> str:
        """The whole user side: returns the redirect to the app (code and state)."""
        signed_in = self.get(url)
        if 'value="sign_in"' in signed_in.text:
            signed_in = self.submit(signed_in, "sign_in", email=email, password=password)
        assert "Allow" in signed_in.text, signed_in.text
        allowed = self.submit(signed_in, "allow")
        assert allowed.status_code == 303
        return allowed.headers["location"]


def _is_exportd(location: str, base: str) -> bool:
    return location.startswith(("/", base))


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def counts(runtime: Runtime) -> tuple[int, int]:
    """(grants, live access tokens): what a refused request must leave as it was."""
    with runtime.database.read() as connection:
        grants = connection.execute(select(func.count()).select_from(oauth_grants)).scalar_one()
        live = connection.execute(
            select(func.count()).where(access_tokens.c.revoked_at.is_(None))
        ).scalar_one()
    return grants, live
