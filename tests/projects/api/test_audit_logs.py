"""GET /audit-logs and /projects/{name}/logs: scoping, Harbor's query and sort, paging, CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from projects.models import Role
from projects.services.members import member_set_role
from tests.factories import ProjectFactory, UserFactory

BASE = timezone.make_aware(dt.datetime(2026, 3, 1, 8, 0, 0), dt.UTC)


def _event(project, actor, operation, minutes, resource="r"):
    return AuditEvent.objects.create(
        actor=actor,
        actor_kind="user",
        operation=operation,
        resource_type="artifact",
        resource=resource,
        project_id=project.pk,
        project_name=project.name,
        created_at=BASE + dt.timedelta(minutes=minutes),
    )


@pytest.fixture
def other(db):
    return ProjectFactory(name="other", is_public=True)


@pytest.fixture
def trail(private_project, other, role_members):
    AuditEvent.objects.all().delete()  # setting up members recorded events of its own
    return [
        _event(private_project, "alice", "create", 1, "secret/app:v1"),
        _event(private_project, "bob", "pull", 2, "secret/app:v1"),
        _event(other, "bob", "delete", 3, "other/db:v2"),
    ]


def _as(client, user):
    """Authenticated without a login, which would add a record of its own."""
    client.force_authenticate(user)
    return client


def _ids(response):
    return [row["id"] for row in response.json()]


def test_system_admin_sees_every_record_newest_first_in_harbors_shape(api_client, admin, trail):
    response = _as(api_client, admin).get("/api/v2.0/audit-logs")

    assert response.status_code == 200
    assert _ids(response) == [e.pk for e in reversed(trail)]
    assert response["X-Total-Count"] == "3"
    row = response.json()[0]
    assert {k: row[k] for k in ("username", "resource", "resource_type", "operation")} == {
        "username": "bob",
        "resource": "other/db:v2",
        "resource_type": "artifact",
        "operation": "delete",
    }
    assert row["op_time"].startswith("2026-03-01T08:03:00")
    assert row["operation_result"] is True


def test_a_project_admin_sees_only_its_projects_records(api_client, trail, private_project):
    owner = UserFactory(username="owner")
    member_set_role(project=private_project, role=Role.PROJECT_ADMIN, user=owner, actor=None)
    AuditEvent.objects.filter(operation="create", resource_type="member").delete()

    response = _as(api_client, owner).get("/api/v2.0/audit-logs")

    assert _ids(response) == [trail[1].pk, trail[0].pk]


def test_a_user_without_admin_projects_sees_nothing(api_client, alice, trail):
    response = _as(api_client, alice).get("/api/v2.0/audit-logs")

    assert response.status_code == 200
    assert response.json() == []


def test_anonymous_is_401(api_client, trail):
    assert api_client.get("/api/v2.0/audit-logs").status_code == 401


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("username=bob", [2, 1]),
        ("operation={create delete}", [2, 0]),
        ("resource=~secret", [1, 0]),
        ("op_time=[2026-03-01 08:01:30~2026-03-01 08:02:30]", [1]),
    ],
)
def test_harbor_queries_filter(api_client, admin, trail, q, expected):
    response = _as(api_client, admin).get("/api/v2.0/audit-logs", {"q": q})

    assert _ids(response) == [trail[i].pk for i in expected]


def test_sort_by_username_then_time(api_client, admin, trail):
    response = _as(api_client, admin).get("/api/v2.0/audit-logs", {"sort": "username,-op_time"})

    assert _ids(response) == [trail[0].pk, trail[2].pk, trail[1].pk]


@pytest.mark.parametrize("params", [{"q": "password=x"}, {"q": "op_time=[yesterday~]"}, {"sort": "secret"}])
def test_bad_query_or_sort_is_400(api_client, admin, trail, params):
    response = _as(api_client, admin).get("/api/v2.0/audit-logs", params)

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "BAD_REQUEST"


def test_project_logs_for_a_guest(api_client, role_members, trail):
    response = _as(api_client, role_members[Role.GUEST]).get("/api/v2.0/projects/secret/logs")

    assert _ids(response) == [trail[1].pk, trail[0].pk]


def test_project_logs_are_forbidden_to_a_limited_guest(api_client, role_members, trail):
    response = _as(api_client, role_members[Role.LIMITED_GUEST]).get("/api/v2.0/projects/secret/logs")

    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "FORBIDDEN"


def test_a_private_projects_logs_do_not_exist_for_an_outsider(api_client, role_members, trail):
    response = _as(api_client, role_members[None]).get("/api/v2.0/projects/secret/logs")

    assert response.status_code == 404


def test_a_public_projects_logs_need_guest(api_client, role_members, trail):
    response = _as(api_client, role_members[None]).get("/api/v2.0/projects/other/logs")

    assert response.status_code == 403


def test_csv_export_streams_the_same_selection(api_client, admin, trail):
    response = _as(api_client, admin).get("/api/v2.0/audit-logs/export", {"q": "username=bob"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
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
    assert [r[5] for r in rows[1:]] == ["other/db:v2", "secret/app:v1"]


def test_csv_export_defuses_formulas(api_client, admin, other):
    _event(other, "bob", "create", 1, resource="=HYPERLINK(1)")

    response = _as(api_client, admin).get("/api/v2.0/audit-logs/export")

    assert "'=HYPERLINK(1)" in b"".join(response.streaming_content).decode()


def test_project_csv_export_needs_guest(api_client, role_members, trail):
    client = _as(api_client, role_members[Role.LIMITED_GUEST])

    assert client.get("/api/v2.0/projects/secret/logs/export").status_code == 403
