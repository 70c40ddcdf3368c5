"""Headless Chromium through Selenium, for the browser tests of the admin site and the portal.

Needs Debian's `chromium` and `chromium-driver` and the `selenium` package (the dev extra). Without
them a browser test skips with the reason; HARBORPY_REQUIRE_BROWSER=1 (set by .ci/run) makes that a
failure. HARBORPY_SCREENSHOTS=1 saves pages to docs/screenshots/ (Chinese pages need a CJK font,
such as Debian's fonts-noto-cjk).
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--lang=en-US",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# Seconds to wait for a page element (an autocomplete answers over HTTP).
WAIT_SECONDS = 15


def flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def browser_unavailable(reason: str) -> NoReturn:
    """Skip, or fail when HARBORPY_REQUIRE_BROWSER is set (CI): a broken install must not pass."""
    if flag("HARBORPY_REQUIRE_BROWSER"):
        pytest.fail(f"{reason} (HARBORPY_REQUIRE_BROWSER=1 turns this skip into a failure)", pytrace=False)
    pytest.skip(reason)


def chromium(
    tmp_path_factory: pytest.TempPathFactory, *, window: tuple[int, int] = (1600, 1000)
) -> Iterator[Any]:
    """A headless Chromium (English first in Accept-Language) for as long as the generator runs."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        browser_unavailable("selenium is not installed (pip install -e '.[dev]')")
    for program in (CHROMIUM, CHROMEDRIVER):
        if not os.access(program, os.X_OK):
            browser_unavailable(
                f"{program} is missing (apt-get install chromium chromium-driver; .ci/run does it)"
            )
    profile = tmp_path_factory.mktemp("chromium-profile")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in [*CHROMIUM_FLAGS, f"--window-size={window[0]},{window[1]}", f"--user-data-dir={profile}"]:
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": "en-US,en"})
    service = Service(executable_path=str(CHROMEDRIVER), log_output=str(profile / "chromedriver.log"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()


def wait(browser: Any, condition: Any) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, WAIT_SECONDS).until(condition)


def screenshot(browser: Any, name: str, *, full_page: bool = False, max_height: int = 2400) -> None:
    """With HARBORPY_SCREENSHOTS=1, save what the browser shows as docs/screenshots/<name>.png
    (`full_page`: the whole page, up to `max_height` pixels, not only the window)."""
    if not flag("HARBORPY_SCREENSHOTS"):
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    if not full_page:
        browser.save_screenshot(str(path))
        return
    size = browser.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], max_height), "scale": 1}
    shot = browser.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
    )
    path.write_bytes(base64.b64decode(shot["data"]))
