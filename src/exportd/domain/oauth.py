"""The OAuth 2.0 authorization-code flow's rules (RFC 6749, PKCE from RFC 7636), without I/O.

These pieces are written here rather than taken from an OAuth server library: Authlib, the
well-kept one, has no Starlette server integration and ships no type information (this
project is `mypy --strict`), its grant classes would need overriding at nearly every step to
answer the way Asana does (long-lived refresh tokens that are not rotated, the `data` member,
revoking on a reused code, descriptions that name the faulty parameter), and its transport
check refuses plain-http hosts other than loopback, which self-hosted test servers use. What
remains is small and fully specified: parameter checks, PKCE S256, client credentials from
HTTP Basic or the body, and the error codes. Tests drive it with Authlib's client.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit, urlunsplit

from exportd.errors import ExportdError, InvalidRequest, clip
from exportd.numbers import parse_gid

SCOPES = {"default": "everything your account can see and do in exportd, through the API"}
DEFAULT_SCOPE = "default"
CODE_TTL = timedelta(minutes=10)
_PKCE_VALUE = re.compile(r"[A-Za-z0-9\-._~]{43,128}")  # RFC 7636 §4.1, §4.2

Params = Sequence[tuple[str, str]]
"""Query or form parameters in order, repeats kept (a repeated parameter is an error)."""


class OAuthError(ExportdError):
    """An RFC 6749 error: its `error` code, and a description that names the problem."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.status = status


class UnsafeRedirect(ExportdError):
    """The app or its redirect URI cannot be trusted: show the error, never redirect (§4.1.2.1)."""

    status = 400


def single(params: Params, name: str, *, unsafe: bool = False) -> str | None:
    """The one value of `name`, None when absent; parameters must not repeat (§3.1, §3.2)
    nor hold NUL characters (PostgreSQL cannot store them)."""
    values = [value for key, value in params if key == name]
    message = None
    if len(values) > 1:
        message = f"{name}: given more than once"
    elif values and "\x00" in values[0]:
        message = f"{name}: must not contain NUL characters"
    if message:
        raise UnsafeRedirect(message) if unsafe else OAuthError("invalid_request", message)
    return values[0] if values else None


def required(params: Params, name: str) -> str:
    value = single(params, name)
    if not value:
        raise OAuthError("invalid_request", f"{name}: Missing input")
    return value


# The authorization endpoint.


def client_id_of(params: Params) -> int:
    """The `client_id` of an authorization request, checked before anything is trusted."""
    raw = single(params, "client_id", unsafe=True)
    if not raw:
        raise UnsafeRedirect("client_id: Missing input")
    return parse_client_id(raw, unsafe=True)


def parse_client_id(raw: str, *, unsafe: bool = False) -> int:
    client_id = parse_gid(raw)
    if client_id is not None:
        return client_id
    message = f"client_id: no app with client_id '{clip(raw)}' is registered"
    raise UnsafeRedirect(message) if unsafe else invalid_client(message)


def redirect_uri_of(params: Params, registered: Sequence[str]) -> str:
    """The `redirect_uri`, which must be exactly one the app registered (no open redirect)."""
    uri = single(params, "redirect_uri", unsafe=True)
    if not uri:
        raise UnsafeRedirect("redirect_uri: Missing input")
    if uri not in registered:
        raise UnsafeRedirect(f"redirect_uri: '{clip(uri)}' is not registered for this app")
    return uri


@dataclass(frozen=True)
class AuthorizationRequest:
    """A checked authorization request of a known app to one of its own redirect URIs."""

    client_id: int
    redirect_uri: str
    state: str | None
    scope: str
    code_challenge: str | None


def parse_authorization(params: Params, client_id: int, redirect_uri: str) -> AuthorizationRequest:
    """The rest of the request; an OAuthError here is sent back to the app's redirect URI."""
    state = single(params, "state")
    response_type = single(params, "response_type")
    if not response_type:
        raise OAuthError("invalid_request", "response_type: Missing input")
    if response_type != "code":
        raise OAuthError(
            "unsupported_response_type",
            f"response_type: '{clip(response_type)}' is not supported; use 'code'",
        )
    scope = parse_scope(single(params, "scope"))
    challenge = single(params, "code_challenge")
    method = single(params, "code_challenge_method")
    if challenge is None and method is not None:
        raise OAuthError("invalid_request", "code_challenge: Missing input")
    if challenge is not None:
        if method != "S256":
            raise OAuthError(
                "invalid_request",
                f"code_challenge_method: must be S256, got '{clip(method or 'none (plain)')}'",
            )
        if not _PKCE_VALUE.fullmatch(challenge):
            raise OAuthError(
                "invalid_request", "code_challenge: must be 43 to 128 URL-safe characters"
            )
    return AuthorizationRequest(client_id, redirect_uri, state, scope, challenge)


def parse_scope(raw: str | None) -> str:
    """The scopes asked for, `default` when none; unknown ones are refused (invalid_scope)."""
    names = sorted(set((raw or DEFAULT_SCOPE).split()))
    unknown = [name for name in names if name not in SCOPES]
    if unknown:
        raise OAuthError(
            "invalid_scope",
            f"scope: '{clip(unknown[0])}' is not a scope of exportd "
            f"(available: {', '.join(SCOPES)})",
        )
    return " ".join(names) or DEFAULT_SCOPE


def with_query(uri: str, extra: Sequence[tuple[str, str | None]]) -> str:
    """`uri` with parameters added to its query (those it had are kept, §3.1.2)."""
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(name, value) for name, value in extra if value is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


def check_redirect_uri(uri: str) -> str:
    """A redirect URI an app may register: absolute, http(s) with a host, no fragment."""
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidRequest(
            f"redirect_uri: '{clip(uri)}' must be an absolute http:// or https:// URL"
        )
    if parts.fragment or uri.endswith("#"):
        raise InvalidRequest(f"redirect_uri: '{uri}' must not have a fragment (#…)")
    return uri


# The token endpoint.


@dataclass(frozen=True)
class ClientCredentials:
    client_id: str
    client_secret: str


def client_credentials(authorization: str | None, form: Params) -> ClientCredentials:
    """The client's id and secret from HTTP Basic or the body, never both (§2.3.1)."""
    in_body = single(form, "client_secret") is not None
    if authorization:
        if in_body:
            raise OAuthError(
                "invalid_request",
                "client_secret: send the client's credentials by HTTP Basic or in the body, "
                "not both",
            )
        scheme, _, encoded = authorization.partition(" ")
        try:
            if scheme.lower() != "basic":
                raise ValueError
            decoded = base64.b64decode(encoded.strip(), validate=True).decode()
            basic_id, separator, basic_secret = decoded.partition(":")
            if not separator:
                raise ValueError
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise invalid_client(
                "the Authorization header must be 'Basic base64(client_id:client_secret)'"
            ) from None
        basic_id = unquote_plus(basic_id)
        if single(form, "client_id") not in (None, basic_id):
            raise invalid_client("client_id: differs from the one in the Authorization header")
        return ClientCredentials(basic_id, unquote_plus(basic_secret))
    client_id, secret = single(form, "client_id"), single(form, "client_secret")
    if not client_id:
        raise invalid_client(
            "client_id: Missing input (authenticate by HTTP Basic or with client_id and "
            "client_secret in the body)"
        )
    if not secret:
        raise invalid_client("client_secret: Missing input")
    return ClientCredentials(client_id, secret)


def invalid_client(description: str) -> OAuthError:
    """The client could not be authenticated: 401, whichever way it sent its credentials."""
    return OAuthError("invalid_client", description, 401)


def check_code_verifier(challenge: str | None, verifier: str | None) -> None:
    """PKCE (RFC 7636 §4.6): the verifier must hash to the challenge of the authorization."""
    if challenge is None:
        if verifier is not None:
            raise OAuthError(
                "invalid_request",
                "code_verifier: the authorization request had no code_challenge",
            )
        return
    if not verifier:
        raise OAuthError(
            "invalid_request",
            "code_verifier: Missing input (the authorization request had a code_challenge)",
        )
    if not _PKCE_VALUE.fullmatch(verifier):
        raise OAuthError("invalid_request", "code_verifier: must be 43 to 128 URL-safe characters")
    if not secrets.compare_digest(s256(verifier), challenge):
        raise OAuthError("invalid_grant", "code_verifier: does not match the code_challenge")


def s256(verifier: str) -> str:
    """BASE64URL(SHA256(verifier)) without padding: the S256 code challenge of a verifier."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def new_secret() -> str:
    """A fresh code, client secret or refresh-token secret: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)
