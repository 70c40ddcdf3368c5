"""Labels in the admin: global ones for system admins, a project's for its Maintainers and above."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from images.models import Label

URL = "/admin/images/label/"


@pytest.fixture
def labels(alpha, beta):
    return {
        "global": Label.objects.create(name="stable", scope=Label.Scope.GLOBAL),
        "alpha": Label.objects.create(name="qa", scope=Label.Scope.PROJECT, project=alpha),
        "beta": Label.objects.create(name="secret-b", scope=Label.Scope.PROJECT, project=beta),
    }


def test_a_system_admin_sees_every_label(login_as, admin, labels):
    page = login_as(admin).get(URL).content.decode()

    assert all(name in page for name in ("stable", "qa", "secret-b"))


def test_a_project_member_sees_global_labels_and_its_projects_not_others(login_as, alpha_guest, labels):
    page = login_as(alpha_guest).get(URL).content.decode()

    assert "stable" in page and "qa" in page
    assert "secret-b" not in page
    assert login_as(alpha_guest).get(f"{URL}{labels['beta'].pk}/change/").status_code in (302, 404)


def test_a_guest_may_not_add_or_change_labels(login_as, alpha_guest, labels):
    client = login_as(alpha_guest)

    assert client.get(f"{URL}add/").status_code == 403
    page = client.get(f"{URL}{labels['alpha'].pk}/change/").content.decode()
    assert 'name="_save"' not in page


def test_a_maintainer_creates_a_project_label_through_the_service(login_as, alpha_maintainer, alpha):
    response = login_as(alpha_maintainer).post(
        f"{URL}add/", {"name": "release", "description": "", "color": "#00ff00", "project": alpha.pk}
    )

    assert response.status_code == 302
    label = Label.objects.get(name="release")
    assert (label.scope, label.project_id) == (Label.Scope.PROJECT, alpha.pk)
    event = AuditEvent.objects.get(resource_type="label", operation="create")
    assert (event.actor, event.address) == ("max", "192.0.2.7")


def test_a_maintainer_cannot_make_a_global_label(login_as, alpha_maintainer):
    response = login_as(alpha_maintainer).post(f"{URL}add/", {"name": "everywhere", "project": ""})

    assert response.status_code == 200  # the form again: a project is required
    assert not Label.objects.filter(name="everywhere").exists()


def test_a_maintainer_cannot_change_a_global_label(login_as, alpha_maintainer, labels):
    client = login_as(alpha_maintainer)

    client.post(f"{URL}{labels['global'].pk}/change/", {"name": "hijacked", "description": "", "color": ""})

    assert Label.objects.get(pk=labels["global"].pk).name == "stable"


def test_a_system_admin_makes_a_global_label_and_a_duplicate_is_a_form_error(login_as, admin, labels):
    client = login_as(admin)

    created = client.post(f"{URL}add/", {"name": "lts", "description": "", "color": "", "project": ""})
    duplicate = client.post(f"{URL}add/", {"name": "lts", "description": "", "color": "", "project": ""})

    assert created.status_code == 302
    assert Label.objects.get(name="lts").scope == Label.Scope.GLOBAL
    assert duplicate.status_code == 200
    assert Label.objects.filter(name="lts").count() == 1


def test_a_maintainer_renames_and_deletes_its_projects_label(login_as, alpha_maintainer, labels):
    client = login_as(alpha_maintainer)
    label = labels["alpha"]

    client.post(f"{URL}{label.pk}/change/", {"name": "qa2", "description": "d", "color": ""})
    client.post(f"{URL}{label.pk}/delete/", {"post": "yes"})

    assert AuditEvent.objects.filter(resource_type="label", operation="update").exists()
    assert not Label.objects.filter(pk=label.pk).exists()
