"""The admin site itself: who gets in, its branding, and an index grouped by app for each role."""

from __future__ import annotations

import pytest
from django.contrib import admin

from harborpy.admin_site import HarborAdminSite
from projects.forms import AdminLoginForm
from projects.models import SystemSettings
from projects.permissions import Action
from projects.services.robots import Grant, robot_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _index(response) -> dict[str, list[str]]:
    """App label -> the object names of its models, in the order the index shows them."""
    assert response.status_code == 200
    return {
        app["app_label"]: [model["object_name"] for model in app["models"]]
        for app in response.context["app_list"]
    }


def test_the_admin_site_is_harborpys_with_its_login_form():
    assert isinstance(admin.site, HarborAdminSite)
    assert admin.site.login_form is AdminLoginForm


def test_the_index_is_branded(login_as, admin):
    response = login_as(admin).get("/admin/")

    assert "harborpy administration" in response.text
    assert "<title>Registry administration | harborpy</title>" in response.text


def test_a_system_admin_sees_every_app_in_order(login_as, admin):
    index = _index(login_as(admin).get("/admin/"))

    assert list(index)[:4] == ["projects", "images", "audit", "auth"]
    assert index["projects"] == ["Project", "Robot", "User", "SystemSettings"]
    assert index["images"] == ["Repository", "Artifact", "Tag", "Label", "Blob"]
    assert index["audit"] == ["AuditEvent", "PurgeRun"]
    assert index["auth"] == ["Group"]


def test_a_staff_project_admin_sees_its_projects_content_and_logs_only(login_as, alpha_admin):
    index = _index(login_as(alpha_admin).get("/admin/"))

    assert index == {
        "projects": ["Project", "Robot"],
        "images": ["Repository", "Artifact", "Tag", "Label"],
        "audit": ["AuditEvent"],
    }


def test_a_staff_user_without_any_role_sees_only_where_to_create_a_project(login_as, db):
    loner = UserFactory(username="loner", is_staff=True)

    index = _index(login_as(loner).get("/admin/"))

    assert index == {"projects": ["Project"]}  # the system settings let everyone create projects


def test_a_staff_user_without_any_role_sees_an_empty_index_when_only_admins_create_projects(login_as, db):
    SystemSettings.objects.create(
        pk=1, project_creation_restriction=SystemSettings.ProjectCreation.ADMIN_ONLY
    )
    loner = UserFactory(username="loner", is_staff=True)

    index = _index(login_as(loner).get("/admin/"))

    assert index == {}


def test_a_user_without_the_staff_flag_is_sent_to_the_login_page(login_as, non_staff_admin):
    response = login_as(non_staff_admin).get("/admin/projects/project/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_a_user_without_the_staff_flag_cannot_log_in(client, non_staff_admin):
    response = client.post("/admin/login/", {"username": "nora", "password": "Passw0rd!"})

    assert response.status_code == 200
    assert "staff account" in response.text


def test_a_robot_account_cannot_log_in_even_with_its_secret(client, admin, alpha):
    robot, secret = robot_create(
        creator=admin, name="ci", grants=[Grant(project=alpha, actions=frozenset({Action.PULL}))]
    )

    response = client.post("/admin/login/", {"username": robot.username, "password": secret})

    assert response.status_code == 200
    assert client.get("/admin/").status_code == 302


def test_the_index_speaks_chinese_to_who_asks(login_as, admin):
    response = login_as(admin).get("/admin/", HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 200
    assert response["Content-Language"] == "zh-hans"
