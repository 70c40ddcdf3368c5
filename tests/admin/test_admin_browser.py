"""The admin site in a real browser: headless Chromium driven by Selenium against a live server.

What the Django test client cannot show: the members inline's "add another" row and its user
autocomplete (JavaScript asking /admin/autocomplete/), and the actions bar of a list.

Needs Debian's `chromium` and `chromium-driver` and the `selenium` package (the dev extra). Without
them the tests skip with the reason; HARBORPY_REQUIRE_BROWSER=1 (set by .ci/run) makes that a
failure. HARBORPY_SCREENSHOTS=1 also saves the main pages, in English, to docs/screenshots/.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

from audit.services import audit_record
from images import media_types
from projects.models import Project, ProjectMember, Role
from projects.services.members import member_set_role
from tests.factories import ArtifactFactory, ProjectFactory, RepositoryFactory, TagFactory, UserFactory

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
    "--window-size=1600,1000",
    "--lang=en-US",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# Seconds to wait for a page element (the autocomplete answers over HTTP).
WAIT_SECONDS = 15

pytestmark = pytest.mark.django_db(transaction=True)


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def browser_unavailable(reason: str) -> NoReturn:
    """Skip, or fail when HARBORPY_REQUIRE_BROWSER is set (CI): a broken install must not pass."""
    if _flag("HARBORPY_REQUIRE_BROWSER"):
        pytest.fail(f"{reason} (HARBORPY_REQUIRE_BROWSER=1 turns this skip into a failure)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
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
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"intl.accept_languages": "en-US,en"})
    service = Service(executable_path=str(CHROMEDRIVER), log_output=str(profile / "chromedriver.log"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def session(browser: Any, live_server: Any) -> Iterator[Any]:
    """The browser with no cookies, for one test."""
    browser.get(live_server.url + "/admin/login/")
    browser.delete_all_cookies()
    yield browser
    browser.delete_all_cookies()


def _wait(browser: Any, condition: Any) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, WAIT_SECONDS).until(condition)


def _log_in(browser: Any, live_server: Any, username: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    browser.get(live_server.url + "/admin/login/")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys("Passw0rd!")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    _wait(browser, ec.presence_of_element_located((By.ID, "user-tools")))


def _screenshot(browser: Any, name: str) -> None:
    if _flag("HARBORPY_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(SCREENSHOTS / f"admin-{name}.png"))


@pytest.fixture
def registry(db) -> dict[str, Any]:
    """A small registry: projects with members, repositories with tagged artifacts, an audit trail."""
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    pat = UserFactory(username="pat", is_staff=True, realname="Pat Admin")
    UserFactory(username="bob", realname="Bob Builder")
    alpha = ProjectFactory(name="alpha", owner=pat, storage_limit=10 * 1024**3)
    member_set_role(project=alpha, role=Role.PROJECT_ADMIN, user=pat, actor=admin)
    for name, public in [("library", True), ("beta", False), ("mirror", True)]:
        ProjectFactory(name=name, is_public=public)
    for project_name, repository_name, tags in [
        ("alpha", "alpha/api", ["1.0", "1.1", "latest"]),
        ("alpha", "alpha/web", ["2024.06", "latest"]),
        ("library", "library/nginx", ["1.27", "stable"]),
        ("library", "library/redis", ["7.4"]),
    ]:
        repository = RepositoryFactory(project=Project.objects.get(name=project_name), name=repository_name)
        for tag in tags:
            artifact = ArtifactFactory(
                repository=repository,
                size=7_340_032 + 1024 * len(tag),
                media_type=media_types.OCI_MANIFEST,
                config_media_type="application/vnd.oci.image.config.v1+json",
            )
            TagFactory(repository=repository, artifact=artifact, name=tag)
            audit_record(
                actor="pat",
                operation="create",
                resource_type="artifact",
                resource=f"{repository_name}:{tag}",
                project=repository.project,
                address="192.0.2.7",
            )
    return {"admin": admin, "pat": pat, "alpha": alpha}


def test_a_project_admin_adds_a_member_through_the_inline(session, live_server, registry):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select

    browser, alpha = session, registry["alpha"]
    _log_in(browser, live_server, "pat")
    browser.get(f"{live_server.url}/admin/projects/project/{alpha.pk}/change/")

    browser.find_element(By.PARTIAL_LINK_TEXT, "Add another").click()
    row = _wait(browser, ec.visibility_of_element_located((By.ID, "members-1")))
    row.find_element(By.CSS_SELECTOR, ".field-user .select2-selection").click()
    search = _wait(browser, ec.visibility_of_element_located((By.CSS_SELECTOR, ".select2-search__field")))
    search.send_keys("bob")
    _wait(browser, ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".select2-results__option"), "bob"))
    search.send_keys(Keys.ENTER)
    Select(browser.find_element(By.ID, "id_members-1-role")).select_by_visible_text("Developer")
    browser.find_element(By.NAME, "_continue").click()

    _wait(browser, ec.presence_of_element_located((By.CSS_SELECTOR, ".messagelist .success")))
    members = browser.find_element(By.ID, "members-group").text
    assert "bob" in members
    assert ProjectMember.objects.get(project=alpha, user__username="bob").role == Role.DEVELOPER
    _screenshot(browser, "project")


def test_a_system_admin_marks_projects_private_with_the_action(session, live_server, registry):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select

    browser = session
    _log_in(browser, live_server, "admin")
    _screenshot(browser, "index")
    browser.get(f"{live_server.url}/admin/projects/project/?is_public__exact=1")

    for checkbox in browser.find_elements(By.NAME, "_selected_action"):
        checkbox.click()
    Select(browser.find_element(By.NAME, "action")).select_by_visible_text("Mark selected projects private")
    browser.find_element(By.NAME, "index").click()

    message = _wait(browser, ec.presence_of_element_located((By.CSS_SELECTOR, ".messagelist .success")))
    assert message.text == "2 projects are now private."
    assert not Project.objects.filter(is_public=True).exists()


def test_a_system_admin_browses_artifacts_and_the_audit_trail(session, live_server, registry):
    from selenium.webdriver.common.by import By

    browser = session
    _log_in(browser, live_server, "admin")

    browser.get(f"{live_server.url}/admin/images/artifact/")
    artifact_rows = browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    _screenshot(browser, "artifacts")
    browser.get(f"{live_server.url}/admin/audit/auditevent/")
    audit_rows = browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    _screenshot(browser, "audit")

    assert len(artifact_rows) == 8
    assert len(audit_rows) >= 8
