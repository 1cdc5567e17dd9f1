"""`exportd serve`'s access log shows every request, but not the credentials some carry:
download links are bearer tokens for an hour, and clients put tokens in query strings."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.e2e.server import Server

LINK_TOKEN = "eyJrIjoiZXhwb3J0cy8xMjMuanNvbmwuZ3oifQ.c2lnbmF0dXJl"
QUERY_TOKEN = "2/1234/5678:0123456789abcdef"


def test_download_links_and_query_secrets_are_redacted(tmp_path: Path) -> None:
    server = Server(tmp_path / "home")
    try:
        server.wait_until_ready()
        assert httpx.get(f"{server.url}/downloads/{LINK_TOKEN}").status_code == 403
        response = httpx.get(
            f"{server.url}/api/1.0/workspaces",
            params={"access_token": QUERY_TOKEN, "limit": "5", "code": "abc123"},
        )
        assert response.status_code == 401
    finally:
        output = server.stop()
    assert '"GET /downloads/[redacted] HTTP/1.1" 403' in output
    assert (
        '"GET /api/1.0/workspaces?access_token=[redacted]&limit=5&code=[redacted] HTTP/1.1" 401'
        in output
    )
    assert LINK_TOKEN not in output
    assert QUERY_TOKEN.split(":")[1] not in output
    assert "abc123" not in output
