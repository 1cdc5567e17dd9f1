"""Signed download links: what they grant, until when, and what makes them refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from itsdangerous import URLSafeSerializer
from pydantic import SecretStr

from exportd.settings import Settings
from exportd.storage import links
from exportd.storage.links import InvalidLink, LinkTarget

SECRET = "a-server-secret"
KEY = "exports/1234.json.gz"
NAME = "organization_export_1234.json.gz"
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
EXPIRES = NOW + timedelta(hours=1)


def refusal(token: str, *, secret: str = SECRET, now: datetime = NOW) -> InvalidLink:
    with pytest.raises(InvalidLink) as caught:
        links.verify(token, secret, now)
    assert caught.value.status == 403
    return caught.value


def test_a_valid_token_grants_its_key_and_file_name() -> None:
    token = links.sign(KEY, NAME, EXPIRES, SECRET)
    assert links.verify(token, SECRET, NOW) == LinkTarget(KEY, NAME)
    key, filename, digest = links.verify(
        token, SECRET.encode(), EXPIRES - timedelta(milliseconds=1)
    )
    assert (key, filename, digest) == (KEY, NAME, None)


def test_a_token_carries_the_files_digest_which_cannot_be_changed() -> None:
    digest = "ab" * 32
    token = links.sign(KEY, NAME, EXPIRES, SECRET, digest)
    assert links.verify(token, SECRET, NOW) == LinkTarget(KEY, NAME, digest)
    assert refusal(_rewrite_payload(token, d="cd" * 32)).problem == "tampered"


def test_a_token_expires_at_its_expiry_exactly() -> None:
    token = links.sign(KEY, NAME, EXPIRES, SECRET)
    error = refusal(token, now=EXPIRES)
    assert error.problem == "expired"
    assert "expired" in error.message
    assert refusal(token, now=EXPIRES + timedelta(days=400)).problem == "expired"


def test_an_altered_signature_is_refused() -> None:
    token = links.sign(KEY, NAME, EXPIRES, SECRET)
    payload, signature = token.rsplit(".", 1)
    flipped = signature[:5] + ("A" if signature[5] != "A" else "B") + signature[6:]
    error = refusal(f"{payload}.{flipped}")
    assert error.problem == "tampered"
    assert "altered" in error.message
    assert refusal(payload).problem == "tampered"  # signature cut off
    assert refusal(token[:-1]).problem == "tampered"


def _rewrite_payload(token: str, **changes: object) -> str:
    """The same signature over a payload changed as an attacker would change it."""
    serializer = URLSafeSerializer("any key: it only encodes")
    encoded, signature = token.rsplit(".", 1)
    payload = serializer.load_payload(encoded.encode())
    payload.update(changes)
    return f"{serializer.dump_payload(payload).decode()}.{signature}"


@pytest.mark.parametrize(
    "changes",
    [
        {"k": "exports/9999.json.gz"},
        {"k": "../../etc/passwd"},
        {"f": "other.json.gz"},
        {"x": 10**15},
    ],
)
def test_an_altered_payload_is_refused(changes: dict[str, object]) -> None:
    token = links.sign(KEY, NAME, EXPIRES, SECRET)
    assert links.verify(_rewrite_payload(token), SECRET, NOW) == LinkTarget(KEY, NAME)  # sound
    assert refusal(_rewrite_payload(token, **changes)).problem == "tampered"


def test_a_token_signed_with_another_secret_is_foreign() -> None:
    token = links.sign(KEY, NAME, EXPIRES, "another-servers-secret")
    error = refusal(token)
    assert error.problem == "foreign"
    assert "not issued by this server" in error.message


def test_a_payload_we_never_issue_is_refused_even_when_signed() -> None:
    serializer = URLSafeSerializer(SECRET, salt=links.SALT)
    assert refusal(serializer.dumps(["not", "a", "link"])).problem == "tampered"


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "x" * 5000, "%00.%00"])
def test_garbage_is_refused(token: str) -> None:
    assert refusal(token).problem == "tampered"


def test_download_url_is_public_url_plus_token_and_names_no_path(tmp_path: Path) -> None:
    settings = Settings(
        home=tmp_path, public_url="https://exports.example/", secret_key=SecretStr(SECRET)
    )
    url = links.download_url(settings, KEY, NAME, NOW, timedelta(seconds=3600))
    prefix = "https://exports.example/downloads/"
    assert url.startswith(prefix)
    token = url.removeprefix(prefix)
    assert "/" not in token
    assert str(tmp_path) not in url
    assert KEY not in url
    assert links.verify(token, SECRET, NOW + timedelta(minutes=59)) == LinkTarget(KEY, NAME)
    assert refusal(token, now=NOW + timedelta(hours=1)).problem == "expired"
