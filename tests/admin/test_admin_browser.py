"""The admin site in a real browser: headless Chromium driven by Selenium against a live server.

What the Django test client cannot show: the members inline's "add another" row and its user
autocomplete (JavaScript asking /admin/autocomplete/), and the actions bar of a list.

The browser comes from tests/support/browser.py (what it needs, HARBORPY_REQUIRE_BROWSER).
HARBORPY_SCREENSHOTS=1 also saves the main pages, in English, to docs/screenshots/.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from audit.services import audit_record
from images import media_types
from projects.models import Project, ProjectMember, Role
from projects.services.members import member_set_role
from tests.factories import ArtifactFactory, ProjectFactory, RepositoryFactory, TagFactory, UserFactory
from tests.support.browser import chromium, screenshot, wait

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from chromium(tmp_path_factory)


@pytest.fixture
def session(browser: Any, live_server: Any) -> Iterator[Any]:
    """The browser with no cookies, for one test."""
    browser.get(live_server.url + "/admin/login/")
    browser.delete_all_cookies()
    yield browser
    browser.delete_all_cookies()


def _log_in(browser: Any, live_server: Any, username: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    browser.get(live_server.url + "/admin/login/")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys("Passw0rd!")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait(browser, ec.presence_of_element_located((By.ID, "user-tools")))


def _screenshot(browser: Any, name: str) -> None:
    screenshot(browser, f"admin-{name}")


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
    row = wait(browser, ec.visibility_of_element_located((By.ID, "members-1")))
    row.find_element(By.CSS_SELECTOR, ".field-user .select2-selection").click()
    search = wait(browser, ec.visibility_of_element_located((By.CSS_SELECTOR, ".select2-search__field")))
    search.send_keys("bob")
    wait(browser, ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".select2-results__option"), "bob"))
    search.send_keys(Keys.ENTER)
    Select(browser.find_element(By.ID, "id_members-1-role")).select_by_visible_text("Developer")
    browser.find_element(By.NAME, "_continue").click()

    wait(browser, ec.presence_of_element_located((By.CSS_SELECTOR, ".messagelist .success")))
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

    message = wait(browser, ec.presence_of_element_located((By.CSS_SELECTOR, ".messagelist .success")))
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
