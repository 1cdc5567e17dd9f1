"""`/-/oauth_token` and `/-/oauth_revoke` refuse bad requests with RFC 6749 §5.2 errors that
name the problem, and a refused request issues and revokes nothing (except a reused code)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from exportd.clock import FrozenClock
from exportd.runtime import Runtime
from exportd.store import oauth
from tests.conftest import LiveServer
from tests.integration.oauth_support import (
    Browser,
    OAuthWorld,
    authorize_url,
    build_oauth_world,
    counts,
    pkce_pair,
    query_of,
)


@pytest.fixture
def clock(runtime: Runtime) -> FrozenClock:
    clock = FrozenClock(runtime.clock())
    runtime.clock = clock
    return clock


@pytest.fixture
def o(runtime: Runtime, clock: FrozenClock) -> OAuthWorld:
    return build_oauth_world(runtime)


@pytest.fixture
def token_url(live_server: LiveServer) -> str:
    return f"{live_server.url}/-/oauth_token"


def new_code(server: LiveServer, o: OAuthWorld, browser: Browser, **params: str) -> str:
    location = browser.sign_in_and_allow(authorize_url(server.url, o, **params), o.email)
    return query_of(location)["code"]


def exchange(
    url: str, o: OAuthWorld, code: str, *, auth: tuple[str, str] | None = None, **extra: str
) -> httpx.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": o.redirect_uri}
    return httpx.post(url, data=data | extra, auth=auth or (o.client_id, o.client_secret))


def error_of(response: httpx.Response) -> tuple[int, str, str]:
    body: dict[str, Any] = response.json()
    assert set(body) == {"error", "error_description"}
    assert response.headers["cache-control"] == "no-store"
    return response.status_code, body["error"], body["error_description"]


def me(server: LiveServer, access_token: str) -> httpx.Response:
    return httpx.get(f"{server.api}/users/me", headers={"Authorization": f"Bearer {access_token}"})


# Client authentication.


@pytest.mark.parametrize(
    ("auth", "data", "description"),
    [
        (None, {}, "client_id: Missing input"),
        ("wrong-secret", {}, "client_secret: wrong secret for this client_id"),
        ("unknown-client", {}, "client_id: no app with client_id"),
        (None, {"client_id": "{client_id}"}, "client_secret: Missing input"),
        (None, {"client_id": "{client_id}", "client_secret": "nope"}, "client_secret: wrong"),
    ],
)
def test_a_client_that_cannot_authenticate_gets_invalid_client_and_nothing_changes(
    live_server: LiveServer,
    runtime: Runtime,
    o: OAuthWorld,
    browser: Browser,
    token_url: str,
    auth: str | None,
    data: dict[str, str],
    description: str,
) -> None:
    code = new_code(live_server, o, browser)
    before = counts(runtime)
    body = {"grant_type": "authorization_code", "code": code, "redirect_uri": o.redirect_uri}
    body |= {key: value.format(client_id=o.client_id) for key, value in data.items()}
    basic = {
        None: None,
        "wrong-secret": (o.client_id, "not-the-secret"),
        "unknown-client": ("42", o.client_secret),
    }[auth]
    response = httpx.post(token_url, data=body, auth=basic)
    status, error, message = error_of(response)
    assert (status, error) == (401, "invalid_client")
    assert description in message
    assert response.headers["www-authenticate"] == 'Basic realm="exportd"'
    assert counts(runtime) == before
    assert exchange(token_url, o, code).status_code == 200  # the code still works


def test_credentials_by_basic_and_in_the_body_at_once_are_refused(
    live_server: LiveServer, o: OAuthWorld, browser: Browser, token_url: str
) -> None:
    code = new_code(live_server, o, browser)
    response = exchange(token_url, o, code, client_id=o.client_id, client_secret=o.client_secret)
    assert error_of(response)[:2] == (400, "invalid_request")
    assert "not both" in error_of(response)[2]


def test_a_malformed_basic_header_is_invalid_client(o: OAuthWorld, token_url: str) -> None:
    response = httpx.post(
        token_url, data={"grant_type": "refresh_token"}, headers={"Authorization": "Basic !!!"}
    )
    assert error_of(response)[:2] == (401, "invalid_client")
    assert "Basic base64(client_id:client_secret)" in error_of(response)[2]


# The request itself.


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"grant_type": None}, ("invalid_request", "grant_type: Missing input")),
        ({"grant_type": "password"}, ("unsupported_grant_type", "grant_type: 'password'")),
        ({"code": None}, ("invalid_request", "code: Missing input")),
        ({"redirect_uri": None}, ("invalid_request", "redirect_uri: Missing input")),
        ({"code": "not-a-code"}, ("invalid_grant", "code: unknown code")),
        (
            {"redirect_uri": "http://127.0.0.1:9/other"},
            ("invalid_grant", "redirect_uri: differs from the one of the authorization request"),
        ),
        (
            {"code_verifier": "v" * 43},
            ("invalid_request", "code_verifier: the authorization request had no code_challenge"),
        ),
    ],
)
def test_a_bad_code_request_names_the_problem_and_leaves_the_code_usable(
    live_server: LiveServer,
    runtime: Runtime,
    o: OAuthWorld,
    browser: Browser,
    token_url: str,
    data: dict[str, str | None],
    expected: tuple[str, str],
) -> None:
    code = new_code(live_server, o, browser)
    before = counts(runtime)
    body = {"grant_type": "authorization_code", "code": code, "redirect_uri": o.redirect_uri}
    body = {k: v for k, v in (body | data).items() if v is not None}
    status, error, description = error_of(
        httpx.post(token_url, data=body, auth=(o.client_id, o.client_secret))
    )
    assert status == 400
    assert (error, description[: len(expected[1])]) == expected
    assert counts(runtime) == before
    assert exchange(token_url, o, code).status_code == 200


def test_a_repeated_parameter_is_refused(
    live_server: LiveServer, o: OAuthWorld, browser: Browser, token_url: str
) -> None:
    code = new_code(live_server, o, browser)
    content = f"grant_type=authorization_code&code={code}&code=other&redirect_uri=x"
    response = httpx.post(
        token_url,
        content=content,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        auth=(o.client_id, o.client_secret),
    )
    assert error_of(response) == (400, "invalid_request", "code: given more than once")


def test_a_body_that_is_not_form_encoded_is_refused(o: OAuthWorld, token_url: str) -> None:
    response = httpx.post(token_url, json={"grant_type": "authorization_code"})
    status, error, description = error_of(response)
    assert (status, error) == (400, "invalid_request")
    assert "Content-Type must be application/x-www-form-urlencoded" in description


# Codes: once, for 10 minutes, for one app, with their PKCE verifier.


def test_a_reused_code_is_refused_and_revokes_what_it_issued(
    live_server: LiveServer, runtime: Runtime, o: OAuthWorld, browser: Browser, token_url: str
) -> None:
    code = new_code(live_server, o, browser)
    first = exchange(token_url, o, code).json()
    assert me(live_server, first["access_token"]).status_code == 200
    again = exchange(token_url, o, code)
    assert error_of(again) == (
        400,
        "invalid_grant",
        "code: has already been used; the tokens issued from it are revoked",
    )
    assert me(live_server, first["access_token"]).status_code == 401
    refresh = httpx.post(
        token_url,
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        auth=(o.client_id, o.client_secret),
    )
    assert error_of(refresh)[1:] == ("invalid_grant", "refresh_token: has been revoked")


def test_an_expired_code_is_refused(
    live_server: LiveServer,
    runtime: Runtime,
    clock: FrozenClock,
    o: OAuthWorld,
    browser: Browser,
    token_url: str,
) -> None:
    code = new_code(live_server, o, browser)
    clock.advance(timedelta(minutes=10))
    before = counts(runtime)
    response = exchange(token_url, o, code)
    assert error_of(response) == (400, "invalid_grant", "code: expired (codes live 10 minutes)")
    assert counts(runtime) == before


def test_a_code_just_under_ten_minutes_old_still_works(
    live_server: LiveServer, clock: FrozenClock, o: OAuthWorld, browser: Browser, token_url: str
) -> None:
    code = new_code(live_server, o, browser)
    clock.advance(timedelta(minutes=10) - timedelta(milliseconds=1))
    assert exchange(token_url, o, code).status_code == 200


def test_a_code_issued_to_one_app_cannot_be_redeemed_by_another(
    live_server: LiveServer, runtime: Runtime, o: OAuthWorld, browser: Browser, token_url: str
) -> None:
    code = new_code(live_server, o, browser)
    before = counts(runtime)
    stolen = exchange(token_url, o, code, auth=(o.other_id, o.other_secret))
    assert error_of(stolen) == (400, "invalid_grant", "code: was issued to another app")
    assert counts(runtime) == before
    assert exchange(token_url, o, code).status_code == 200


@pytest.mark.parametrize(
    ("verifier", "expected"),
    [
        (None, ("invalid_request", "code_verifier: Missing input")),
        ("w" * 43, ("invalid_grant", "code_verifier: does not match the code_challenge")),
        ("too-short", ("invalid_request", "code_verifier: must be 43 to 128")),
    ],
)
def test_pkce_needs_the_verifier_of_the_challenge(
    live_server: LiveServer,
    runtime: Runtime,
    o: OAuthWorld,
    browser: Browser,
    token_url: str,
    verifier: str | None,
    expected: tuple[str, str],
) -> None:
    right, challenge = pkce_pair()
    code = new_code(live_server, o, browser, code_challenge=challenge, code_challenge_method="S256")
    before = counts(runtime)
    extra: dict[str, Any] = {} if verifier is None else {"code_verifier": verifier}
    status, error, description = error_of(exchange(token_url, o, code, **extra))
    assert status == 400
    assert (error, description[: len(expected[1])]) == expected
    assert counts(runtime) == before
    assert exchange(token_url, o, code, code_verifier=right).status_code == 200


# Access and refresh tokens.


def test_an_expired_access_token_is_refused_and_a_refresh_brings_a_new_one(
    live_server: LiveServer,
    runtime: Runtime,
    clock: FrozenClock,
    o: OAuthWorld,
    browser: Browser,
    token_url: str,
) -> None:
    runtime.settings = runtime.settings.model_copy(update={"oauth_access_ttl": 600})
    issued = exchange(token_url, o, new_code(live_server, o, browser)).json()
    assert issued["expires_in"] == 600
    clock.advance(timedelta(seconds=599))
    assert me(live_server, issued["access_token"]).status_code == 200
    clock.advance(timedelta(seconds=1))
    expired = me(live_server, issued["access_token"])
    assert expired.status_code == 401
    assert "expired" in expired.json()["errors"][0]["message"]
    refreshed = httpx.post(
        token_url,
        data={"grant_type": "refresh_token", "refresh_token": issued["refresh_token"]},
        auth=(o.client_id, o.client_secret),
    )
    assert refreshed.status_code == 200
    assert "refresh_token" not in refreshed.json()  # the refresh token stays the same
    assert me(live_server, refreshed.json()["access_token"]).status_code == 200


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({}, ("invalid_request", "refresh_token: Missing input")),
        ({"refresh_token": "2/1/2:nope"}, ("invalid_grant", "refresh_token: unknown")),
        ({"scope": "admin"}, ("invalid_scope", "scope: 'admin' is not a scope of exportd")),
    ],
)
def test_a_bad_refresh_request_names_the_problem(
    live_server: LiveServer,
    runtime: Runtime,
    o: OAuthWorld,
    browser: Browser,
    token_url: str,
    data: dict[str, str],
    expected: tuple[str, str],
) -> None:
    issued = exchange(token_url, o, new_code(live_server, o, browser)).json()
    before = counts(runtime)
    body = {"grant_type": "refresh_token", "refresh_token": issued["refresh_token"]} | data
    if not data:
        del body["refresh_token"]
    response = httpx.post(token_url, data=body, auth=(o.client_id, o.client_secret))
    status, error, description = error_of(response)
    assert status == 400
    assert (error, description[: len(expected[1])]) == expected
    assert counts(runtime) == before


def test_a_refresh_token_works_only_for_its_own_app(
    live_server: LiveServer, runtime: Runtime, o: OAuthWorld, browser: Browser, token_url: str
) -> None:
    issued = exchange(token_url, o, new_code(live_server, o, browser)).json()
    before = counts(runtime)
    response = httpx.post(
        token_url,
        data={"grant_type": "refresh_token", "refresh_token": issued["refresh_token"]},
        auth=(o.other_id, o.other_secret),
    )
    assert error_of(response) == (400, "invalid_grant", "refresh_token: was issued to another app")
    assert counts(runtime) == before


def test_tokens_and_codes_are_stored_only_as_hashes(
    live_server: LiveServer, runtime: Runtime, o: OAuthWorld, browser: Browser, token_url: str
) -> None:
    code = new_code(live_server, o, browser)
    issued = exchange(token_url, o, code).json()
    with runtime.database.read() as connection:
        dump = "\n".join(
            str(row)
            for table in ("oauth_apps", "oauth_grants", "access_tokens", "users")
            for row in connection.exec_driver_sql(f"SELECT * FROM {table}")
        )
    for secret in (code, issued["access_token"], issued["refresh_token"], o.client_secret):
        assert secret not in dump
        assert secret.split(":")[-1] not in dump
    assert "correct horse" not in dump


# Revocation.


def test_revoking_an_access_token_leaves_the_refresh_token(
    live_server: LiveServer, o: OAuthWorld, browser: Browser, token_url: str
) -> None:
    issued = exchange(token_url, o, new_code(live_server, o, browser)).json()
    response = httpx.post(
        f"{live_server.url}/-/oauth_revoke",
        data={"token": issued["access_token"], "token_type_hint": "access_token"},
        auth=(o.client_id, o.client_secret),
    )
    assert response.status_code == 200
    assert me(live_server, issued["access_token"]).status_code == 401
    refreshed = httpx.post(
        token_url,
        data={"grant_type": "refresh_token", "refresh_token": issued["refresh_token"]},
        auth=(o.client_id, o.client_secret),
    )
    assert me(live_server, refreshed.json()["access_token"]).status_code == 200


@pytest.mark.parametrize(
    ("data", "auth", "expected"),
    [
        ({}, "own", (400, "invalid_request", "token: Missing input")),
        (
            {"token": "{refresh}", "token_type_hint": "id_token"},
            "own",
            (400, "unsupported_token_type", "token_type_hint: 'id_token'"),
        ),
        ({"token": "{refresh}"}, "other", (400, "invalid_grant", "token: was issued to another")),
        ({"token": "{refresh}"}, "none", (401, "invalid_client", "client_id: Missing input")),
    ],
)
def test_a_bad_revocation_names_the_problem_and_revokes_nothing(
    live_server: LiveServer,
    runtime: Runtime,
    o: OAuthWorld,
    browser: Browser,
    token_url: str,
    data: dict[str, str],
    auth: str,
    expected: tuple[int, str, str],
) -> None:
    issued = exchange(token_url, o, new_code(live_server, o, browser)).json()
    before = counts(runtime)
    body = {k: v.format(refresh=issued["refresh_token"]) for k, v in data.items()}
    credentials = {
        "own": (o.client_id, o.client_secret),
        "other": (o.other_id, o.other_secret),
        "none": None,
    }[auth]
    response = httpx.post(f"{live_server.url}/-/oauth_revoke", data=body, auth=credentials)
    status, error, description = error_of(response)
    assert (status, error, description[: len(expected[2])]) == expected
    assert counts(runtime) == before
    assert me(live_server, issued["access_token"]).status_code == 200


def test_revoking_an_unknown_token_is_fine(live_server: LiveServer, o: OAuthWorld) -> None:
    response = httpx.post(
        f"{live_server.url}/-/oauth_revoke",
        data={"token": "2/1/2:never-issued"},
        auth=(o.client_id, o.client_secret),
    )
    assert response.status_code == 200


def test_deleting_an_app_revokes_everything_it_holds(
    live_server: LiveServer, runtime: Runtime, o: OAuthWorld, browser: Browser, token_url: str
) -> None:
    issued = exchange(token_url, o, new_code(live_server, o, browser)).json()
    unused = new_code(live_server, o, browser)
    with runtime.database.write() as connection:
        assert oauth.delete_app(connection, int(o.client_id), runtime.clock()) == 1
    assert me(live_server, issued["access_token"]).status_code == 401
    assert error_of(exchange(token_url, o, unused))[:2] == (401, "invalid_client")
    page = httpx.get(authorize_url(live_server.url, o))
    assert page.status_code == 400
    assert "location" not in page.headers
