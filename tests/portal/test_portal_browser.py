"""The portal in a real browser: headless Chromium driven by Selenium against a live server.

A project admin, a developer and a guest log in and browse; pull commands are copied with the copy
button; a tag is deleted where the role allows it, and the action is absent where it does not; the
language switch turns every page visited into Chinese. With HARBORPY_SCREENSHOTS=1 the main pages
are saved, in English and in Chinese, to docs/screenshots/portal-*.png (tests/support/browser.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from images.models import Artifact, Tag
from tests.support.browser import WAIT_SECONDS, chromium, screenshot, wait

pytestmark = pytest.mark.django_db(transaction=True)

# Screenshots are taken at this size; the narrow-screen check runs at the width of a small phone.
WINDOW = (1280, 900)
NARROW_WIDTH = 360
# On every page in Chinese: "项目" (Projects) is in the header and the breadcrumbs.
CHINESE = "项目"


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from chromium(tmp_path_factory, window=WINDOW)


@pytest.fixture
def session(browser: Any, live_server: Any) -> Iterator[Any]:
    """The browser with no cookies and clipboard access for the live server, for one test."""
    browser.set_window_size(*WINDOW)
    browser.get(live_server.url + "/login/")
    browser.delete_all_cookies()
    browser.execute_cdp_cmd(
        "Browser.grantPermissions",
        {"origin": live_server.url, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]},
    )
    yield browser
    browser.delete_all_cookies()


def _by() -> Any:
    from selenium.webdriver.common.by import By

    return By


def _visit(browser: Any, url: str) -> None:
    from selenium.webdriver.support import expected_conditions as ec

    browser.get(url)
    wait(browser, ec.presence_of_element_located((_by().CSS_SELECTOR, "footer.site-footer")))


def _click_and_load(browser: Any, element: Any) -> None:
    """Click a link or submit button and wait until the next page has loaded.

    The old page is marked, and the wait ends on a complete page without the mark; Chromium may
    answer a query about the old page's elements with an error while it navigates, so errors are
    retried (selenium's staleness_of fails that way now and then).
    """
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    browser.execute_script("window.__leaving = true;")
    element.click()
    WebDriverWait(browser, WAIT_SECONDS, ignored_exceptions=(WebDriverException,)).until(
        lambda driver: driver.execute_script("return !window.__leaving && document.readyState === 'complete'")
    )


def _log_in(browser: Any, live_server: Any, username: str) -> None:
    By = _by()
    _visit(browser, live_server.url + "/login/")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys("Passw0rd!")
    _click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "main button[type=submit]"))
    assert browser.find_element(By.CSS_SELECTOR, ".site-tools .who").text == username


def _switch_language(browser: Any, code: str) -> None:
    from selenium.webdriver.support.ui import Select

    By = _by()
    Select(browser.find_element(By.ID, "language-site")).select_by_value(code)
    _click_and_load(browser, browser.find_element(By.CSS_SELECTOR, ".language-form button"))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == code


def _main_text(browser: Any) -> str:
    return browser.find_element(_by().TAG_NAME, "body").text


def _copy(browser: Any, command: str) -> str:
    """Click the copy button of `command`; the text the page copied (read back from the clipboard, or
    from the page's `harborpy:copied` event where headless Chromium keeps the clipboard closed)."""
    By = _by()
    browser.execute_script(
        "window.__copied = null;"
        "document.addEventListener('harborpy:copied', function (e) { window.__copied = e.detail; });"
    )
    button = browser.find_element(By.CSS_SELECTOR, f'button.copy[data-copy="{command}"]')
    button.click()
    wait(browser, lambda driver: driver.execute_script("return window.__copied"))
    from_clipboard = browser.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "navigator.clipboard.readText().then(done, function () { done(null); });"
    )
    return from_clipboard if from_clipboard is not None else browser.execute_script("return window.__copied")


def _pages(live_server: Any, content: Any) -> dict[str, str]:
    digest = content.app.images["1.0"].digest
    return {
        "projects": f"{live_server.url}/",
        "project": f"{live_server.url}/projects/alpha/",
        "repository": f"{live_server.url}/projects/alpha/repositories/app/",
        "artifact": f"{live_server.url}/projects/alpha/repositories/app/-/artifacts/{digest}/",
    }


def test_a_project_admin_browses_copies_a_pull_command_and_deletes_a_tag(session, live_server, content):
    By, browser = _by(), session
    host = live_server.url.split("://", 1)[1]
    _log_in(browser, live_server, "pat")

    _click_and_load(browser, browser.find_element(By.LINK_TEXT, "alpha"))
    _click_and_load(browser, browser.find_element(By.LINK_TEXT, "alpha/app"))
    copied = _copy(browser, f"docker pull {host}/alpha/app:1.0")
    _click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "article.artifact h3 a"))
    browser.back()
    _click_and_load(browser, browser.find_element(By.CSS_SELECTOR, 'a[href$="/-/tags/latest/delete/"]'))
    _click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "main form button.danger"))

    assert copied == f"docker pull {host}/alpha/app:1.0"
    assert browser.find_element(By.CSS_SELECTOR, ".message.success").text == "Tag latest deleted."
    assert not Tag.objects.filter(repository__name="alpha/app", name="latest").exists()
    assert Tag.objects.filter(repository__name="alpha/app", name="1.0").exists()


def test_a_developer_copies_a_pull_command_and_finds_no_delete_action(session, live_server, content):
    By, browser = _by(), session
    host = live_server.url.split("://", 1)[1]
    _log_in(browser, live_server, "dev")

    _click_and_load(browser, browser.find_element(By.LINK_TEXT, "alpha"))
    _click_and_load(browser, browser.find_element(By.LINK_TEXT, "alpha/app"))
    copied = _copy(browser, f"podman pull {host}/alpha/app:latest")
    delete_links = browser.find_elements(By.CSS_SELECTOR, "main a.danger, main button.danger")
    _visit(browser, live_server.url + "/projects/alpha/repositories/app/-/tags/latest/delete/")
    refused = browser.find_element(By.TAG_NAME, "h1").text

    assert copied == f"podman pull {host}/alpha/app:latest"
    assert delete_links == []
    assert refused == "Forbidden"
    assert Tag.objects.filter(repository__name="alpha/app", name="latest").exists()


def test_a_guest_switches_to_chinese_and_every_page_it_visits_is_chinese(session, live_server, content):
    By, browser = _by(), session
    _log_in(browser, live_server, "gus")
    _switch_language(browser, "zh-hans")
    seen: dict[str, str] = {"projects": _main_text(browser)}

    _click_and_load(browser, browser.find_element(By.LINK_TEXT, "alpha"))
    seen["project"] = _main_text(browser)
    _click_and_load(browser, browser.find_element(By.LINK_TEXT, "成员"))
    seen["members"] = _main_text(browser)
    _click_and_load(browser, browser.find_element(By.LINK_TEXT, "日志"))
    seen["logs"] = _main_text(browser)
    _click_and_load(browser, browser.find_element(By.LINK_TEXT, "镜像仓库"))
    _click_and_load(browser, browser.find_element(By.LINK_TEXT, "alpha/app"))
    seen["repository"] = _main_text(browser)
    _click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "article.artifact h3 a"))
    seen["artifact"] = _main_text(browser)
    delete_links = browser.find_elements(By.CSS_SELECTOR, "main a.danger, main button.danger")

    assert all(CHINESE in text for text in seen.values()), {page: text[:200] for page, text in seen.items()}
    assert "推送时间" in seen["repository"]
    assert "清单" in seen["artifact"]
    assert delete_links == []


def test_the_main_pages_in_both_languages(session, live_server, content, settings):
    """The pages the README shows, in English then in Chinese, from a project admin's account."""
    settings.EXTERNAL_URL = "https://registry.example.com"
    By, browser = _by(), session
    headings: dict[str, dict[str, str]] = {"en": {}, "zh-hans": {}}
    first_command = ""
    _visit(browser, live_server.url + "/login/")
    screenshot(browser, "portal-login")
    _log_in(browser, live_server, "pat")

    for language, suffix in [("en", ""), ("zh-hans", "-zh")]:
        if language != "en":
            _switch_language(browser, language)
        for name, url in _pages(live_server, content).items():
            _visit(browser, url)
            headings[language][name] = browser.find_element(By.TAG_NAME, "h1").text
            if name == "repository":
                first_command = browser.find_element(By.CSS_SELECTOR, "button.copy").get_attribute(
                    "data-copy"
                )
            screenshot(browser, f"portal-{name}{suffix}", full_page=name in {"repository", "artifact"})
    _click_and_load(browser, browser.find_element(By.CSS_SELECTOR, 'form[action="/logout/"] button'))
    _visit(browser, live_server.url + "/login/")
    screenshot(browser, "portal-login-zh")
    login_heading = browser.find_element(By.TAG_NAME, "h1").text

    assert headings["en"]["projects"] == "Projects"
    assert headings["zh-hans"]["projects"] == "项目"
    assert headings["zh-hans"]["repository"] == headings["en"]["repository"] == "alpha/app"
    assert login_heading == "登录 harborpy"
    assert first_command == "docker pull registry.example.com/alpha/app:1.0"


def test_the_pages_fit_a_narrow_screen(session, live_server, content):
    browser = session
    _log_in(browser, live_server, "pat")
    browser.set_window_size(NARROW_WIDTH, 800)
    widths = {}

    for name, url in _pages(live_server, content).items():
        _visit(browser, url)
        widths[name] = browser.execute_script(
            "var root = document.documentElement; return [root.scrollWidth, root.clientWidth];"
        )

    overflowing = {name: sizes for name, sizes in widths.items() if sizes[0] > sizes[1]}
    assert overflowing == {}
    assert all(client <= NARROW_WIDTH for _scroll, client in widths.values())


def test_keyboard_users_skip_to_the_content_and_see_where_the_focus_is(session, live_server, content):
    from selenium.webdriver.common.keys import Keys

    By, browser = _by(), session
    _visit(browser, live_server.url + "/")

    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    focused = browser.switch_to.active_element
    skip_link = (focused.text, focused.value_of_css_property("outline-style"))
    focused.send_keys(Keys.ENTER)

    assert skip_link[0] == "Skip to main content"
    assert skip_link[1] == "solid"
    assert re.search(r"#main$", browser.current_url)
    assert Artifact.objects.exists()
