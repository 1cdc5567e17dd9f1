"""The OAuth flow as a third-party app runs it: Authlib's client against a real server,
a person signing in and allowing it, and the official Asana SDK calling with the token."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import asana
import httpx
import pytest
from asana.rest import ApiException
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from exportd.runtime import Runtime
from tests.conftest import LiveServer
from tests.integration.oauth_support import (
    Browser,
    OAuthWorld,
    build_oauth_world,
    counts,
    query_of,
)


@pytest.fixture
def o(runtime: Runtime) -> OAuthWorld:
    return build_oauth_world(runtime)


@pytest.fixture
def app_client(o: OAuthWorld) -> Iterator[Callable[..., OAuth2Session]]:
    """The app's OAuth client (Authlib over requests), closed after the test."""
    made: list[OAuth2Session] = []

    def make(auth_method: str = "client_secret_basic") -> OAuth2Session:
        made.append(_session(o, auth_method))
        return made[-1]

    yield make
    for session in made:
        session.close()


def _session(o: OAuthWorld, auth_method: str) -> OAuth2Session:
    return OAuth2Session(
        client_id=o.client_id,
        client_secret=o.client_secret,
        redirect_uri=o.redirect_uri,
        scope="default",
        code_challenge_method="S256",
        token_endpoint_auth_method=auth_method,
    )


@pytest.mark.parametrize("auth_method", ["client_secret_basic", "client_secret_post"])
def test_an_app_gets_a_token_refreshes_it_and_revokes_it(
    live_server: LiveServer,
    runtime: Runtime,
    o: OAuthWorld,
    browser: Browser,
    app_client: Callable[..., OAuth2Session],
    auth_method: str,
) -> None:
    before = counts(runtime)
    client = app_client(auth_method)
    verifier = "v" * 20 + "0123456789abcdefghijklmnopqrstuvwxyz"
    url, state = client.create_authorization_url(
        f"{live_server.url}/-/oauth_authorize", code_verifier=verifier
    )
    callback = browser.sign_in_and_allow(url, o.email)
    assert callback.startswith(o.redirect_uri + "?")
    assert query_of(callback)["state"] == state

    token = client.fetch_token(
        f"{live_server.url}/-/oauth_token",
        authorization_response=callback,
        state=state,
        code_verifier=verifier,
    )
    assert token["token_type"] == "bearer"
    assert token["expires_in"] == 3600
    assert token["data"] == {
        "id": o.world.member,
        "gid": str(o.world.member),
        "name": "Mel",
        "email": "mel@x.example",
    }
    me = asana.UsersApi(live_server.sdk(token["access_token"])).get_user("me", {})
    assert me["gid"] == str(o.world.member)  # the user behind the token, never more
    assert sorted(w["name"] for w in me["workspaces"]) == ["Acme", "Globex"]

    refreshed = client.refresh_token(
        f"{live_server.url}/-/oauth_token", refresh_token=token["refresh_token"]
    )
    assert refreshed["access_token"] != token["access_token"]
    assert refreshed["data"]["gid"] == str(o.world.member)
    again = asana.UsersApi(live_server.sdk(refreshed["access_token"])).get_user("me", {})
    assert again["name"] == "Mel"

    revoked = client.revoke_token(  # type: ignore[no-untyped-call]
        f"{live_server.url}/-/oauth_revoke",
        token=token["refresh_token"],
        token_type_hint="refresh_token",
    )
    assert revoked.status_code == 200
    for access_token in (token["access_token"], refreshed["access_token"]):
        with pytest.raises(ApiException) as refused:
            asana.UsersApi(live_server.sdk(access_token)).get_user("me", {})
        assert refused.value.status == 401
    with pytest.raises(OAuthError, match="invalid_grant: refresh_token: has been revoked"):
        client.refresh_token(
            f"{live_server.url}/-/oauth_token", refresh_token=token["refresh_token"]
        )
    assert counts(runtime) == (before[0] + 1, before[1])  # only personal tokens still live


def test_an_oauth_token_sees_only_what_its_user_sees(
    live_server: LiveServer,
    o: OAuthWorld,
    browser: Browser,
    app_client: Callable[..., OAuth2Session],
) -> None:
    client = app_client()
    url, _ = client.create_authorization_url(f"{live_server.url}/-/oauth_authorize")
    callback = browser.sign_in_and_allow(url, o.email)
    token = client.fetch_token(f"{live_server.url}/-/oauth_token", authorization_response=callback)
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    export = httpx.post(
        f"{live_server.api}/organization_exports",
        json={"data": {"organization": str(o.world.acme)}},
        headers=headers,
    )
    assert export.status_code == 403  # Mel is no service account: the same rule as her PAT
    assert "service account" in export.json()["errors"][0]["message"]
    workspaces = httpx.get(f"{live_server.api}/workspaces", headers=headers)
    assert sorted(w["name"] for w in workspaces.json()["data"]) == ["Acme", "Globex"]


def test_a_signed_in_person_allows_a_second_time_without_signing_in_again(
    live_server: LiveServer,
    o: OAuthWorld,
    browser: Browser,
    app_client: Callable[..., OAuth2Session],
) -> None:
    client = app_client()
    url, _ = client.create_authorization_url(f"{live_server.url}/-/oauth_authorize")
    browser.sign_in_and_allow(url, o.email)
    url, state = client.create_authorization_url(f"{live_server.url}/-/oauth_authorize")
    consent = browser.get(url)
    assert "Allow Backup Buddy to use your account?" in consent.text
    assert "Mel" in consent.text
    assert "mel@x.example" in consent.text
    allowed = browser.submit(consent, "allow")
    assert query_of(allowed.headers["location"])["state"] == state
