"""The sign-in and consent pages refuse bad requests clearly, and grant nothing when they do."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from exportd.clock import FrozenClock
from exportd.runtime import Runtime
from exportd.store import passwords
from tests.conftest import LiveServer
from tests.integration.oauth_support import (
    PASSWORD,
    Browser,
    OAuthWorld,
    authorize_url,
    build_oauth_world,
    counts,
    pkce_pair,
    query_of,
)


@pytest.fixture
def o(runtime: Runtime) -> OAuthWorld:
    return build_oauth_world(runtime)


@pytest.fixture
def url(live_server: LiveServer, o: OAuthWorld) -> str:
    return authorize_url(live_server.url, o)


# An app or redirect URI that cannot be trusted: an error page, never a redirect.


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"client_id": "123456789"}, "client_id: no app with client_id &#39;123456789&#39;"),
        ({"client_id": "abc"}, "client_id: no app with client_id &#39;abc&#39;"),
        ({"client_id": None}, "client_id: Missing input"),
        ({"redirect_uri": "https://evil.example/callback"}, "is not registered for this app"),
        ({"redirect_uri": "http://127.0.0.1:9/callback/../evil"}, "is not registered"),
        ({"redirect_uri": "http://127.0.0.1:9/callback?next=x"}, "is not registered"),
        ({"redirect_uri": "http://127.0.0.1:9/CALLBACK"}, "is not registered"),
        ({"redirect_uri": None}, "redirect_uri: Missing input"),
    ],
)
def test_an_untrusted_app_or_redirect_gets_an_error_page_and_no_redirect(
    live_server: LiveServer,
    runtime: Runtime,
    o: OAuthWorld,
    change: dict[str, str | None],
    message: str,
) -> None:
    before = counts(runtime)
    response = httpx.get(authorize_url(live_server.url, o, **change))
    assert response.status_code == 400
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert message in response.text
    assert "evil" not in response.headers.get("refresh", "")
    assert counts(runtime) == before


def test_a_repeated_redirect_uri_is_refused_without_redirect(
    live_server: LiveServer, o: OAuthWorld, url: str
) -> None:
    response = httpx.get(url + "&redirect_uri=https%3A%2F%2Fevil.example%2F")
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "redirect_uri: given more than once" in response.text


def test_a_post_to_an_untrusted_redirect_is_refused_too(
    live_server: LiveServer, o: OAuthWorld, browser: Browser
) -> None:
    consent = _signed_in(browser, authorize_url(live_server.url, o), o)
    forged = authorize_url(live_server.url, o, redirect_uri="https://evil.example/cb")
    response = browser.http.post(forged, data={"action": "allow", "csrf_token": _csrf(consent)})
    assert response.status_code == 400
    assert "location" not in response.headers


# Other problems go back to the app, with the RFC 6749 error and the state unchanged.


@pytest.mark.parametrize(
    ("change", "error", "description"),
    [
        ({"response_type": None}, "invalid_request", "response_type: Missing input"),
        ({"response_type": "token"}, "unsupported_response_type", "response_type: 'token'"),
        ({"scope": "admin"}, "invalid_scope", "scope: 'admin' is not a scope of exportd"),
        ({"code_challenge_method": "S256"}, "invalid_request", "code_challenge: Missing input"),
        (
            {"code_challenge": "a" * 43, "code_challenge_method": "plain"},
            "invalid_request",
            "code_challenge_method: must be S256, got 'plain'",
        ),
        (
            {"code_challenge": "a" * 43},
            "invalid_request",
            "code_challenge_method: must be S256, got 'none (plain)'",
        ),
        (
            {"code_challenge": "short", "code_challenge_method": "S256"},
            "invalid_request",
            "code_challenge: must be 43 to 128 URL-safe characters",
        ),
    ],
)
def test_a_bad_request_goes_back_to_the_app_with_an_rfc6749_error(
    live_server: LiveServer,
    runtime: Runtime,
    o: OAuthWorld,
    change: dict[str, str | None],
    error: str,
    description: str,
) -> None:
    before = counts(runtime)
    response = httpx.get(authorize_url(live_server.url, o, **change))
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(o.redirect_uri + "?")
    assert query_of(location) == {
        "error": error,
        "error_description": query_of(location)["error_description"],
        "state": "st-123",
    }
    assert description in query_of(location)["error_description"]
    assert counts(runtime) == before


def test_a_repeated_state_is_an_error_that_keeps_the_first_state(
    live_server: LiveServer, o: OAuthWorld, url: str
) -> None:
    response = httpx.get(url + "&state=second")
    assert query_of(response.headers["location"])["error"] == "invalid_request"
    assert query_of(response.headers["location"])["state"] == "st-123"


@pytest.mark.parametrize("state", [None, "", "a b&c=d/é?#%", "x" * 500])
def test_the_state_comes_back_exactly_as_sent_or_not_at_all(
    live_server: LiveServer, o: OAuthWorld, browser: Browser, state: str | None
) -> None:
    location = browser.sign_in_and_allow(authorize_url(live_server.url, o, state=state), o.email)
    returned = query_of(location)
    assert "code" in returned
    if state is None:
        assert "state" not in returned
    else:
        assert returned["state"] == state


def test_deny_sends_access_denied_with_the_state(
    live_server: LiveServer, runtime: Runtime, o: OAuthWorld, browser: Browser, url: str
) -> None:
    before = counts(runtime)
    denied = browser.submit(_signed_in(browser, url, o), "deny")
    assert denied.status_code == 303
    assert query_of(denied.headers["location"]) == {
        "error": "access_denied",
        "error_description": "The user denied the app access.",
        "state": "st-123",
    }
    assert counts(runtime) == before


def test_a_registered_redirect_keeps_its_own_query(
    live_server: LiveServer, runtime: Runtime, browser: Browser
) -> None:
    o = build_oauth_world(runtime, redirect_uri="https://app.example/cb?tenant=7")
    location = browser.sign_in_and_allow(authorize_url(live_server.url, o), o.email)
    assert location.startswith("https://app.example/cb?tenant=7&code=")
    assert query_of(location)["state"] == "st-123"


# The pages: CSRF, cookies, sign-in.


def test_the_pages_are_small_html_for_phones_that_no_site_can_frame(
    browser: Browser, url: str
) -> None:
    page = browser.get(url)
    assert page.status_code == 200
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page.text
    assert 'name="email"' in page.text
    assert 'name="password"' in page.text
    assert "Backup Buddy" in page.text
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    cookie = page.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "path=/-/" in cookie
    assert "secure" not in cookie  # served over http here


@pytest.mark.parametrize("csrf_token", [None, "", "forged"])
def test_a_form_without_its_csrf_token_is_refused_and_grants_nothing(
    runtime: Runtime, o: OAuthWorld, browser: Browser, url: str, csrf_token: str | None
) -> None:
    consent = _signed_in(browser, url, o)
    before = counts(runtime)
    data = {"action": "allow"} | ({} if csrf_token is None else {"csrf_token": csrf_token})
    response = browser.http.post(str(consent.url), data=data)
    assert response.status_code == 403
    assert "location" not in response.headers
    assert "csrf_token: missing or not the one this page gave out" in response.text
    assert counts(runtime) == before
    signing_in = browser.http.post(
        str(consent.url),
        data={"action": "sign_in", "email": o.email, "password": PASSWORD, "csrf_token": "x"},
    )
    assert signing_in.status_code == 403


def test_a_token_from_another_visitor_does_not_pass(
    live_server: LiveServer, runtime: Runtime, o: OAuthWorld, browser: Browser, url: str
) -> None:
    stranger = Browser(live_server.url)
    try:
        theirs = _csrf(stranger.get(url))
    finally:
        stranger.close()
    consent = _signed_in(browser, url, o)
    before = counts(runtime)
    response = browser.http.post(str(consent.url), data={"action": "allow", "csrf_token": theirs})
    assert response.status_code == 403
    assert counts(runtime) == before


def test_a_wrong_password_is_refused_and_the_form_keeps_the_email(
    browser: Browser, o: OAuthWorld, url: str
) -> None:
    page = browser.submit(browser.get(url), "sign_in", email=o.email, password="wrong password")
    assert page.status_code == 401
    assert "Wrong email or password." in page.text
    assert 'value="mel@x.example"' in page.text
    assert "Allow" not in page.text


def test_unknown_emails_and_people_without_a_password_get_the_same_answer(
    browser: Browser, o: OAuthWorld, url: str
) -> None:
    for email in ("nobody@x.example", "ada@x.example"):  # Ada has no password
        page = browser.submit(browser.get(url), "sign_in", email=email, password=PASSWORD)
        assert page.status_code == 401
        assert "Wrong email or password." in page.text


def test_emails_are_matched_without_regard_to_case(
    browser: Browser, o: OAuthWorld, url: str
) -> None:
    page = browser.submit(browser.get(url), "sign_in", email="  MEL@X.Example ", password=PASSWORD)
    assert "Allow Backup Buddy" in page.text


def test_an_empty_sign_in_form_says_what_is_missing(browser: Browser, url: str) -> None:
    page = browser.submit(browser.get(url), "sign_in", email="", password="")
    assert page.status_code == 400
    assert "Enter your email and your password." in page.text


def test_a_service_account_cannot_sign_in(
    runtime: Runtime, o: OAuthWorld, browser: Browser, url: str
) -> None:
    email = f"service-account-{o.service_account}@acme.example"
    page = browser.submit(browser.get(url), "sign_in", email=email, password=PASSWORD)
    assert page.status_code == 403
    assert "Service accounts cannot sign in" in page.text
    assert "sign_in" in browser.get(url).text  # still signed out


def test_repeated_wrong_passwords_lock_the_account_for_a_while(
    runtime: Runtime, o: OAuthWorld, browser: Browser, url: str
) -> None:
    clock = FrozenClock(runtime.clock())
    runtime.clock = clock
    for _ in range(passwords.MAX_FAILURES):
        page = browser.submit(browser.get(url), "sign_in", email=o.email, password="guess")
        assert page.status_code == 401
    locked = browser.submit(browser.get(url), "sign_in", email=o.email, password=PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed sign-ins for mel@x.example" in locked.text
    assert 1 <= int(locked.headers["retry-after"]) <= 15 * 60
    assert "Allow" not in locked.text
    other = browser.submit(browser.get(url), "sign_in", email="ada@x.example", password="guess")
    assert other.status_code == 401  # counted per account
    clock.advance(passwords.FAILURE_WINDOW + timedelta(seconds=1))
    page = browser.submit(browser.get(url), "sign_in", email=o.email, password=PASSWORD)
    assert "Allow Backup Buddy" in page.text


def test_sign_out_and_a_new_password_both_end_the_session(
    runtime: Runtime, o: OAuthWorld, browser: Browser, url: str
) -> None:
    signed_out = browser.submit(_signed_in(browser, url, o), "sign_out")
    assert 'name="password"' in signed_out.text
    _signed_in(browser, url, o)
    with runtime.database.write() as connection:
        passwords.set_password(connection, o.world.member, "a brand new password", runtime.clock())
    page = browser.get(url)
    assert 'name="password"' in page.text
    assert "Allow" not in page.text


def test_allow_without_a_session_asks_to_sign_in_again(
    runtime: Runtime, o: OAuthWorld, browser: Browser, url: str
) -> None:
    page = browser.get(url)
    before = counts(runtime)
    response = browser.http.post(url, data={"action": "allow", "csrf_token": _csrf(page)})
    assert response.status_code == 401
    assert "Your sign-in has ended; sign in again." in response.text
    assert counts(runtime) == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "delete_everything"}, "action: must be sign_in, allow, deny or sign_out"),
        ({"action": ["allow", "deny"]}, "action: given more than once"),
    ],
)
def test_a_malformed_form_names_the_problem(
    runtime: Runtime,
    o: OAuthWorld,
    browser: Browser,
    url: str,
    data: dict[str, str | list[str]],
    message: str,
) -> None:
    consent = _signed_in(browser, url, o)
    before = counts(runtime)
    response = browser.http.post(str(consent.url), data={**data, "csrf_token": _csrf(consent)})
    assert response.status_code == 400
    assert message in response.text
    assert counts(runtime) == before


def test_a_form_that_is_not_form_encoded_is_refused(browser: Browser, url: str) -> None:
    response = browser.http.post(url, json={"action": "allow"})
    assert response.status_code == 400
    assert "Content-Type must be application/x-www-form-urlencoded" in response.text


def test_pkce_parameters_are_accepted_on_the_way_in(
    live_server: LiveServer, o: OAuthWorld, browser: Browser
) -> None:
    _, challenge = pkce_pair()
    url = authorize_url(live_server.url, o, code_challenge=challenge, code_challenge_method="S256")
    assert "code" in query_of(browser.sign_in_and_allow(url, o.email))


def _signed_in(browser: Browser, url: str, o: OAuthWorld) -> httpx.Response:
    page = browser.submit(browser.get(url), "sign_in", email=o.email, password=PASSWORD)
    assert "Allow Backup Buddy" in page.text
    return page


def _csrf(page: httpx.Response) -> str:
    marker = 'name="csrf_token" value="'
    start = page.text.index(marker) + len(marker)
    return page.text[start : page.text.index('"', start)]
