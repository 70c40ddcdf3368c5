"""The system settings in the admin site: one change page for system admins, every change audited."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from projects.models import SystemSettings
from projects.permissions import can_create_project
from tests.admin.pages import submitted

pytestmark = pytest.mark.django_db

PAGE = "/admin/projects/systemsettings/1/change/"


def test_the_list_leads_to_the_one_settings_page(login_as, admin):
    response = login_as(admin).get("/admin/projects/systemsettings/")

    assert response.status_code == 302
    assert response["Location"] == PAGE


def test_the_page_shows_the_environments_defaults_before_any_change(login_as, admin, settings):
    settings.PROJECT_CREATION_RESTRICTION = "adminonly"

    response = login_as(admin).get(PAGE)

    assert response.context["adminform"].form["project_creation_restriction"].value() == "adminonly"
    assert not SystemSettings.objects.exists()


def test_a_change_is_saved_and_audited(login_as, admin, alpha_admin):
    client = login_as(admin)
    data = submitted(client.get(PAGE), project_creation_restriction="adminonly", self_registration=True)

    response = client.post(PAGE, data)

    assert response.status_code == 302
    saved = SystemSettings.objects.get(pk=1)
    assert saved.self_registration and saved.project_creation_restriction == "adminonly"
    assert not can_create_project(alpha_admin)
    event = AuditEvent.objects.get(resource_type="configuration")
    assert (event.operation, event.actor, event.address) == ("update", "admin", "192.0.2.7")
    assert event.detail == {"project_creation_restriction": "adminonly", "self_registration": True}


def test_saving_without_a_change_records_nothing(login_as, admin):
    client = login_as(admin)

    client.post(PAGE, submitted(client.get(PAGE)))

    assert not AuditEvent.objects.filter(resource_type="configuration").exists()


def test_there_is_no_adding_or_deleting_settings(login_as, admin):
    client = login_as(admin)

    assert client.get("/admin/projects/systemsettings/add/").status_code == 403
    assert client.post("/admin/projects/systemsettings/1/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/projects/systemsettings/2/change/").status_code == 404


def test_a_project_admin_cannot_open_the_settings(login_as, alpha_admin):
    client = login_as(alpha_admin)

    assert client.get("/admin/projects/systemsettings/").status_code == 403
    assert client.get(PAGE).status_code == 403
