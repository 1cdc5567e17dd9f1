"""The OAuth protocol rules and the pages' session cookie, without a server."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from starlette.responses import Response

from exportd.api.oauth_pages import COOKIE, Session, load_session, save_session
from exportd.domain import oauth as rules
from exportd.errors import InvalidRequest
from exportd.settings import Settings


def test_s256_matches_the_rfc_7636_example() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"  # RFC 7636 appendix B
    assert rules.s256(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    rules.check_code_verifier(rules.s256(verifier), verifier)
    with pytest.raises(rules.OAuthError, match="does not match") as refused:
        rules.check_code_verifier(rules.s256(verifier), verifier[:-1] + "1")
    assert refused.value.error == "invalid_grant"


def test_basic_credentials_are_form_decoded_as_rfc_6749_says() -> None:
    encoded = base64.b64encode(b"my%20app:s%3Acret+x").decode()
    credentials = rules.client_credentials(f"Basic {encoded}", [])
    assert credentials == rules.ClientCredentials("my app", "s:cret x")


@pytest.mark.parametrize(
    "header",
    ["Bearer abc", "Basic", "Basic not-base64!", f"Basic {base64.b64encode(b'x').decode()}"],
)
def test_a_malformed_basic_header_is_invalid_client(header: str) -> None:
    with pytest.raises(rules.OAuthError) as refused:
        rules.client_credentials(header, [])
    assert (refused.value.error, refused.value.status) == ("invalid_client", 401)


def test_a_body_client_id_must_agree_with_basic() -> None:
    encoded = base64.b64encode(b"1:secret").decode()
    assert rules.client_credentials(f"Basic {encoded}", [("client_id", "1")]).client_id == "1"
    with pytest.raises(rules.OAuthError, match="differs from the one in the Authorization"):
        rules.client_credentials(f"Basic {encoded}", [("client_id", "2")])


@pytest.mark.parametrize(
    ("raw", "expected"), [(None, "default"), ("", "default"), ("default default", "default")]
)
def test_the_default_scope(raw: str | None, expected: str) -> None:
    assert rules.parse_scope(raw) == expected


def test_redirects_keep_the_registered_query_and_encode_the_state() -> None:
    location = rules.with_query("https://a.example/cb?x=1", [("code", "c"), ("state", "a b&c")])
    assert location == "https://a.example/cb?x=1&code=c&state=a+b%26c"
    assert rules.with_query("https://a.example/cb", [("state", None)]) == "https://a.example/cb"


@pytest.mark.parametrize(
    "uri",
    ["/relative", "https://", "javascript:alert(1)", "https://a.example/cb#x", "https://a/cb#"],
)
def test_unsafe_redirect_uris_cannot_be_registered(uri: str) -> None:
    with pytest.raises(InvalidRequest, match="redirect_uri"):
        rules.check_redirect_uri(uri)


def test_the_session_cookie_is_signed_and_secure_over_https(tmp_path: Path) -> None:
    settings = Settings.load(home=tmp_path, public_url="https://exportd.example")
    session = Session.anonymous().signed_in("a-session-id")
    response = save_session(Response(), session, settings)
    cookie = response.headers["set-cookie"]
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    value = cookie.split(";")[0].split("=", 1)[1]
    assert load_session({COOKIE: value}, settings) == session
    tampered = value[:-2] + ("AA" if not value.endswith("AA") else "BB")
    assert load_session({COOKIE: tampered}, settings).session_id is None
    other = Settings.load(home=tmp_path / "other")  # another secret key
    assert load_session({COOKIE: value}, other).session_id is None


def test_a_session_accepts_only_its_own_csrf_token() -> None:
    session = Session.anonymous()
    assert session.accepts(session.csrf)
    assert not session.accepts(None)
    assert not session.accepts("")
    assert not session.accepts(Session.anonymous().csrf)
    assert session.signed_in("id").csrf != session.csrf  # a new token after sign-in
