"""Signed download links for files that exportd serves itself (the local backend).

A link is `{public_url}/downloads/{token}`; the token is the credential. It carries the
storage key, the file name, the expiry and the file's sha256 (recorded when it was written,
served as `Repr-Digest` and `ETag` without reading the file or the database) inside a
payload signed (HMAC-SHA256, via itsdangerous) with the server secret, so nothing in it can
be changed and the expiry is checked against exportd's clock, not the wall clock. It names
a key, never a path.

Each token also carries a short fingerprint of the secret that signed it. It is not part
of the trust decision (the signature is); it only lets a refusal say "another server's
link" rather than "tampered", which helps whoever copied a link between installations.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, NamedTuple

from itsdangerous import BadData, BadSignature, URLSafeSerializer

from exportd.errors import Forbidden
from exportd.settings import Settings

SALT = "exportd.download-link"
MAX_TOKEN_LENGTH = 2048  # far above a real token; bounds the work spent on a forged one
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)
_SHA256 = re.compile(r"[0-9a-f]{64}")

LinkProblem = Literal["expired", "tampered", "foreign"]

_MESSAGES: dict[LinkProblem, str] = {
    "expired": "This download link has expired: get the export again for a fresh link",
    "tampered": "This download link is invalid: it was altered or is incomplete",
    "foreign": "This download link was not issued by this server",
}


class InvalidLink(Forbidden):
    """A link that is refused (403), with the reason users see."""

    def __init__(self, problem: LinkProblem) -> None:
        super().__init__(_MESSAGES[problem])
        self.problem = problem


class LinkTarget(NamedTuple):
    """What a valid token grants: one stored file, downloaded under one name."""

    key: str
    filename: str
    sha256: str | None = None  # hex; None for files written before digests were recorded


def sign(
    key: str,
    filename: str,
    expires_at: datetime,
    secret: str | bytes,
    sha256: str | None = None,
) -> str:
    """A URL-safe token granting `key` (served as `filename`, whose bytes hash to
    `sha256`) until `expires_at`."""
    payload: dict[str, Any] = {
        "k": key,
        "f": filename,
        "x": (expires_at - _EPOCH) // _MILLISECOND,
        "s": _fingerprint(secret),
    }
    if sha256 is not None:
        payload["d"] = sha256
    return _serializer(secret).dumps(payload)


def verify(token: str, secret: str | bytes, now: datetime) -> LinkTarget:
    """The target of a valid, unexpired token; InvalidLink says what is wrong otherwise."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidLink("tampered")
    serializer = _serializer(secret)
    try:
        payload = serializer.loads(token)
    except BadSignature as error:
        raise InvalidLink(_why_unsigned(serializer, error, secret)) from None
    except BadData:
        raise InvalidLink("tampered") from None
    if not _well_formed(payload):
        raise InvalidLink("tampered")  # signed by us, yet not a link: never issued by sign()
    if now >= _EPOCH + payload["x"] * _MILLISECOND:
        raise InvalidLink("expired")
    return LinkTarget(payload["k"], payload["f"], payload.get("d"))


def download_url(
    settings: Settings,
    key: str,
    filename: str,
    now: datetime,
    ttl: timedelta,
    sha256: str | None = None,
) -> str:
    """A fresh link to `key`, valid for `ttl` from `now` (O4: one hour from each retrieval)."""
    token = sign(key, filename, now + ttl, settings.secret_key.get_secret_value(), sha256)
    return f"{settings.public_url.rstrip('/')}/downloads/{token}"


def _serializer(secret: str | bytes) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=SALT, signer_kwargs={"digest_method": hashlib.sha256})


def _fingerprint(secret: str | bytes) -> str:
    raw = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(raw, b"exportd link key id", hashlib.sha256).hexdigest()[:8]


def _why_unsigned(
    serializer: URLSafeSerializer, error: BadSignature, secret: str | bytes
) -> LinkProblem:
    """Tell a link signed with another secret from an altered one, by its fingerprint."""
    if error.payload is None:
        return "tampered"
    try:
        payload = serializer.load_payload(error.payload)
    except Exception:  # undecodable: whatever it is, it is not an intact link
        return "tampered"
    if _well_formed(payload) and payload["s"] != _fingerprint(secret):
        return "foreign"
    return "tampered"


def _well_formed(payload: Any) -> bool:
    return (
        isinstance(payload, dict)
        and isinstance(payload.get("k"), str)
        and isinstance(payload.get("f"), str)
        and isinstance(payload.get("x"), int)
        and isinstance(payload.get("s"), str)
        and ("d" not in payload or _SHA256.fullmatch(str(payload["d"])) is not None)
    )
