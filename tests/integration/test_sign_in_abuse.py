"""The sign-in page against an attacker, over real HTTP: no account enumeration by timing,
failure limits that hold under concurrency and per IP, bounded fields, and sessions that
end for good on the server."""

from __future__ import annotations

import statistics
import threading
import time

import httpx
import pytest
from sqlalchemy import func, select, update

from exportd.api.oauth_pages import COOKIE
from exportd.runtime import Runtime
from exportd.store import passwords
from exportd.store.schema import sign_in_throttles, users
from tests.conftest import LiveServer
from tests.integration.oauth_support import (
    PASSWORD,
    Browser,
    OAuthWorld,
    authorize_url,
    build_oauth_world,
    counts,
)


@pytest.fixture
def o(runtime: Runtime) -> OAuthWorld:
    return build_oauth_world(runtime)


@pytest.fixture
def url(live_server: LiveServer, o: OAuthWorld) -> str:
    return authorize_url(live_server.url, o)


def csrf_of(page: httpx.Response) -> str:
    return page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def sign_in_form(page: httpx.Response, email: str, password: str) -> dict[str, str]:
    return {"action": "sign_in", "csrf_token": csrf_of(page), "email": email, "password": password}


def test_an_unknown_email_costs_as_long_as_a_wrong_password(
    browser: Browser, o: OAuthWorld, url: str
) -> None:
    page = browser.get(url)

    def seconds(email: str) -> float:
        started = time.perf_counter()
        answer = browser.http.post(url, data=sign_in_form(page, email, "not the password"))
        assert answer.status_code == 401
        return time.perf_counter() - started

    known, unknown = [], []
    for number in range(4):  # under the limit of failures per account
        known.append(seconds(o.email))
        unknown.append(seconds(f"nobody-{number}@x.example"))
    # Both verify an argon2 hash (tens of ms); an unchecked unknown email took ~1 ms.
    assert statistics.median(unknown) > 0.5 * statistics.median(known), (known, unknown)


def test_the_failure_limit_holds_for_a_hundred_sign_ins_at_once(
    live_server: LiveServer, browser: Browser, o: OAuthWorld, url: str
) -> None:
    page = browser.get(url)
    cookies = dict(browser.http.cookies)
    guesses = [f"guess {n}" for n in range(99)] + [PASSWORD]
    statuses: list[int] = []
    start = threading.Barrier(len(guesses))

    def attempt(password: str) -> None:
        with httpx.Client(cookies=cookies, timeout=60) as client:
            start.wait()
            form = sign_in_form(page, o.email, password)
            statuses.append(client.post(url, data=form).status_code)

    threads = [threading.Thread(target=attempt, args=(guess,)) for guess in guesses]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    checked = [status for status in statuses if status != 429]
    assert len(statuses) == len(guesses)
    assert len(checked) <= passwords.MAX_FAILURES, sorted(statuses)
    assert set(checked) <= {401, 303}


def test_a_long_email_is_refused_without_being_stored_or_echoed(
    runtime: Runtime, browser: Browser, url: str
) -> None:
    page = browser.get(url)
    email = "a" * 2_000 + "@x.example"
    answer = browser.http.post(url, data=sign_in_form(page, email, "whatever password"))
    assert answer.status_code == 400
    assert "email: must have at most 320 characters" in answer.text
    assert "a" * 400 not in answer.text
    too_long = browser.http.post(url, data=sign_in_form(page, "mel@x.example", "p" * 1_025))
    assert too_long.status_code == 400
    assert "password: must have at most 1024 characters" in too_long.text
    with runtime.database.read() as connection:
        stored = connection.execute(select(func.count()).select_from(sign_in_throttles))
        assert stored.scalar_one() == 0


def test_failures_are_throttled_per_client_ip_across_emails(browser: Browser, url: str) -> None:
    page = browser.get(url)
    statuses = [
        browser.http.post(url, data=sign_in_form(page, f"who-{n}@x.example", "guess")).status_code
        for n in range(passwords.MAX_FAILURES_PER_IP)
    ]
    assert statuses == [401] * passwords.MAX_FAILURES_PER_IP
    refused = browser.http.post(url, data=sign_in_form(page, "someone@x.example", "guess"))
    assert refused.status_code == 429
    assert "Too many failed sign-ins from your address" in refused.text
    assert 1 <= int(refused.headers["Retry-After"]) <= 15 * 60


def test_a_right_password_does_not_count_against_the_address(
    browser: Browser, o: OAuthWorld, url: str
) -> None:
    for _ in range(passwords.MAX_FAILURES_PER_IP + 5):
        browser.get(url)
        signed_in = browser.submit(browser.get(url), "sign_in", email=o.email, password=PASSWORD)
        assert "Allow Backup Buddy" in signed_in.text
        browser.submit(signed_in, "sign_out")


def _signed_in_cookie(browser: Browser, url: str, o: OAuthWorld) -> httpx.Response:
    page = browser.submit(browser.get(url), "sign_in", email=o.email, password=PASSWORD)
    assert "Allow Backup Buddy" in page.text
    return page


def _replay(live_server: LiveServer, url: str, cookie: str, csrf: str) -> None:
    """Someone with a copy of an old cookie gets the sign-in page, and no code."""
    with httpx.Client(cookies={COOKIE: cookie}, timeout=30) as thief:
        page = thief.get(url)
        assert 'name="password"' in page.text
        assert "Allow" not in page.text
    with httpx.Client(cookies={COOKIE: cookie}, timeout=30) as thief:  # the cookie as copied
        allowed = thief.post(url, data={"action": "allow", "csrf_token": csrf})
        assert allowed.status_code == 403  # its form is no longer this session's
        assert "This form has expired" in allowed.text
        assert "location" not in allowed.headers


@pytest.mark.parametrize("ending", ["sign out", "new password", "account removed"])
def test_a_copied_cookie_gets_nothing_once_the_session_has_ended(
    live_server: LiveServer, runtime: Runtime, browser: Browser, o: OAuthWorld, url: str,
    ending: str,
) -> None:  # fmt: skip
    consent = _signed_in_cookie(browser, url, o)
    cookie, csrf = browser.http.cookies[COOKIE], csrf_of(consent)
    before = counts(runtime)
    if ending == "sign out":
        browser.submit(consent, "sign_out")
    else:
        with runtime.database.write() as connection:
            if ending == "new password":
                passwords.set_password(
                    connection, o.world.member, "another password", runtime.clock()
                )
            else:
                connection.execute(
                    update(users)
                    .where(users.c.gid == o.world.member)
                    .values(deleted_at=runtime.clock())
                )
    _replay(live_server, url, cookie, csrf)
    assert counts(runtime) == before
