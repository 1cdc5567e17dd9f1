"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import LiveServer
from tests.integration.oauth_support import Browser


@pytest.fixture
def browser(live_server: LiveServer) -> Iterator[Browser]:
    """A person's browser, following the sign-in and consent forms over HTTP."""
    browser = Browser(live_server.url)
    yield browser
    browser.close()
