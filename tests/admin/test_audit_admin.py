"""The audit trail in the admin site: read-only for everyone, scoped to the projects whose logs
one's role reads, filterable, and exported as streamed CSV."""

from __future__ import annotations

import csv
import io

import pytest

from audit.models import AuditEvent
from audit.services import audit_record
from tests.admin.pages import listed, offered_actions

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/audit/auditevent/"


@pytest.fixture
def trail(alpha, beta):
    """A record in alpha, one in beta and a login (no project)."""
    return {
        "alpha": audit_record(
            actor="ann", operation="create", resource_type="artifact", resource="alpha/a:1", project=alpha
        ),
        "beta": audit_record(
            actor="ben", operation="delete", resource_type="tag", resource="beta/b:2", project=beta
        ),
        "login": audit_record(actor="ann", operation="login", resource_type="user", resource="ann"),
    }


def test_a_system_admin_lists_every_record(login_as, admin, trail):
    assert set(listed(login_as(admin).get(CHANGELIST))) == set(trail.values())


@pytest.mark.parametrize("fixture", ["alpha_admin", "alpha_developer", "alpha_guest"])
def test_a_member_lists_its_projects_records_only(request, login_as, fixture, alpha, trail):
    events = listed(login_as(request.getfixturevalue(fixture)).get(CHANGELIST))

    assert trail["alpha"] in events  # with the fixtures' membership records, all of alpha
    assert {event.project_id for event in events} == {alpha.pk}


def test_a_limited_guest_reads_no_logs(login_as, alpha, trail):
    from projects.models import Role
    from tests.admin.conftest import _member

    limited = _member("lim", alpha, Role.LIMITED_GUEST)

    assert login_as(limited).get(CHANGELIST).status_code == 403


def test_another_projects_record_is_a_404(login_as, alpha_admin, trail):
    assert login_as(alpha_admin).get(f"/admin/audit/auditevent/{trail['beta'].pk}/change/").status_code == 404


def test_records_are_filtered_by_operation(login_as, admin, trail):
    assert listed(login_as(admin).get(CHANGELIST, {"operation": "delete"})) == [trail["beta"]]


def test_records_are_filtered_by_project(login_as, admin, alpha, trail):
    assert listed(login_as(admin).get(CHANGELIST, {"project": alpha.pk})) == [trail["alpha"]]


def test_records_are_found_by_exact_username(login_as, admin, trail):
    assert set(listed(login_as(admin).get(CHANGELIST, {"q": "ann"}))) == {trail["alpha"], trail["login"]}


@pytest.mark.parametrize("fixture", ["admin", "alpha_admin"])
def test_export_is_the_only_action_for_anyone(request, login_as, fixture, trail):
    assert offered_actions(login_as(request.getfixturevalue(fixture)).get(CHANGELIST)) == {"export_csv"}


@pytest.mark.parametrize(
    "url",
    ["/admin/audit/auditevent/add/", "/admin/audit/auditevent/{pk}/delete/"],
)
def test_nobody_adds_or_deletes_a_record(login_as, admin, trail, url):
    assert login_as(admin).get(url.format(pk=trail["alpha"].pk)).status_code == 403


def test_nobody_changes_a_record(login_as, admin, trail):
    url = f"/admin/audit/auditevent/{trail['alpha'].pk}/change/"

    response = login_as(admin).post(url, {"actor": "mallory"})

    assert response.status_code == 403
    assert AuditEvent.objects.get(pk=trail["alpha"].pk).actor == "ann"


def test_the_export_streams_the_selected_records_as_csv(login_as, admin, trail):
    response = login_as(admin).post(
        CHANGELIST, {"action": "export_csv", "_selected_action": [trail["alpha"].pk, trail["beta"].pk]}
    )

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == [
        "id",
        "op_time",
        "username",
        "operation",
        "resource_type",
        "resource",
        "project",
        "result",
    ]
    assert {(row[2], row[5]) for row in rows[1:]} == {("ann", "alpha/a:1"), ("ben", "beta/b:2")}


def test_the_export_of_every_record_stays_within_the_users_projects(login_as, alpha_admin, trail):
    response = login_as(alpha_admin).post(
        CHANGELIST,
        {"action": "export_csv", "select_across": "1", "index": "0", "_selected_action": [trail["alpha"].pk]},
    )

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert {row[6] for row in rows[1:]} == {"alpha"}
    assert "alpha/a:1" in {row[5] for row in rows[1:]}


def test_a_record_page_shows_its_detail(login_as, admin, alpha):
    event = audit_record(
        actor="ann",
        operation="update",
        resource_type="project",
        resource="alpha",
        project=alpha,
        detail={"public": True},
    )

    response = login_as(admin).get(f"/admin/audit/auditevent/{event.pk}/change/")

    assert response.status_code == 200
    assert "&quot;public&quot;: true" in response.text
