"""The OAuth flow once in a real headless browser: Debian's chromium, driven by Selenium.

Needs the system's `chromium` and `chromedriver` (Debian: `apt-get install chromium
chromium-driver`); the test installs nothing. Without them it is skipped, except under CI
(`CI=true`), where their absence is a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from exportd.runtime import Runtime
from tests.conftest import LiveServer
from tests.integration.oauth_support import (
    PASSWORD,
    authorize_url,
    build_oauth_world,
    pkce_pair,
    query_of,
)

PHONE = (390, 844)  # CSS pixels of a common phone screen


@pytest.fixture(scope="module")
def chromium() -> Iterator[WebDriver]:
    browser, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if browser is None or driver is None:
        message = (
            "needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must install them: {message}")
        pytest.skip(message)
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
        "--disable-dev-shm-usage",
        "--disable-gpu",
    ):
        options.add_argument(argument)
    metrics = {"width": PHONE[0], "height": PHONE[1], "pixelRatio": 3.0}
    options.add_experimental_option("mobileEmulation", {"deviceMetrics": metrics})
    # With the driver's path given, Selenium does not look for (or download) one itself.
    session = webdriver.Chrome(options=options, service=Service(executable_path=driver))
    yield session
    session.quit()


def test_a_person_signs_in_and_allows_an_app_in_a_browser(
    live_server: LiveServer, runtime: Runtime, chromium: WebDriver
) -> None:
    callback = f"{live_server.url}/app/callback"  # a page of exportd's server: a 404, but real
    o = build_oauth_world(runtime, redirect_uri=callback)
    verifier, challenge = pkce_pair()
    chromium.delete_all_cookies()
    chromium.get(
        authorize_url(live_server.url, o, code_challenge=challenge, code_challenge_method="S256")
    )
    assert "Sign in to allow Backup Buddy" in chromium.find_element(By.TAG_NAME, "h1").text
    _fits_the_screen(chromium)
    chromium.find_element(By.NAME, "email").send_keys(o.email)
    chromium.find_element(By.NAME, "password").send_keys(PASSWORD)
    chromium.find_element(By.CSS_SELECTOR, "button[value=sign_in]").click()

    WebDriverWait(chromium, 10).until(lambda d: "Allow Backup Buddy" in d.title)
    assert "Mel" in chromium.find_element(By.TAG_NAME, "main").text
    _fits_the_screen(chromium)
    cookie = chromium.get_cookie("exportd_oauth")
    assert cookie is not None
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    chromium.find_element(By.CSS_SELECTOR, "button[value=allow]").click()

    WebDriverWait(chromium, 10).until(lambda d: d.current_url.startswith(callback))
    returned = query_of(chromium.current_url)
    assert returned["state"] == "st-123"
    issued = httpx.post(
        f"{live_server.url}/-/oauth_token",
        data={
            "grant_type": "authorization_code",
            "code": returned["code"],
            "redirect_uri": callback,
            "code_verifier": verifier,
        },
        auth=(o.client_id, o.client_secret),
    )
    assert issued.status_code == 200, issued.text
    me = httpx.get(
        f"{live_server.api}/users/me",
        headers={"Authorization": f"Bearer {issued.json()['access_token']}"},
    )
    assert me.json()["data"]["email"] == "mel@x.example"


def _fits_the_screen(browser: WebDriver) -> None:
    """Readable on a phone: nothing wider than the screen, so no sideways scrolling."""
    width, scroll_width = browser.execute_script(
        "return [window.innerWidth, document.documentElement.scrollWidth]"
    )
    assert width == PHONE[0]
    assert scroll_width <= width
