"""/api/v2.0/projects and /api/v2.0/projects/{project_name_or_id}: Harbor's project resource."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from audit.models import AuditEvent
from projects.models import UNLIMITED, Project, ProjectMember, Role, SystemSettings
from projects.permissions import Action, project_actions
from projects.services.members import member_set_role
from projects.services.robots import Grant, robot_create
from tests.factories import ProjectFactory, RepositoryFactory, UserFactory
from tests.projects.api.conftest import error_code

pytestmark = pytest.mark.django_db

PROJECT_FIELDS = {
    "project_id",
    "name",
    "owner_id",
    "owner_name",
    "registry_id",
    "creation_time",
    "update_time",
    "deleted",
    "togglable",
    "current_user_role_id",
    "current_user_role_ids",
    "repo_count",
    "metadata",
    "cve_allowlist",
}


def names(response) -> list[str]:
    return [project["name"] for project in response.json()]


# --- GET /projects ------------------------------------------------------------------------------


def test_anonymous_callers_list_public_projects_only(api_as, library, private_project):
    response = api_as(None).get("/api/v2.0/projects")

    assert response.status_code == 200
    assert names(response) == ["library"]
    assert response["X-Total-Count"] == "1"


def test_members_list_public_projects_and_their_own(api_as, role_members, library):
    ProjectFactory(name="elsewhere")

    response = api_as(role_members[Role.LIMITED_GUEST]).get("/api/v2.0/projects")

    assert names(response) == ["library", "secret"]


def test_system_admins_list_every_project(api_as, admin, library, private_project):
    ProjectFactory(name="elsewhere")

    response = api_as(admin).get("/api/v2.0/projects")

    assert names(response) == ["elsewhere", "library", "secret"]


def test_a_listed_project_has_harbors_shape(api_as, role_members, private_project):
    owner = UserFactory(username="olga")
    private_project.owner = owner
    private_project.save()
    RepositoryFactory(project=private_project, name="secret/app")

    project = api_as(role_members[Role.DEVELOPER]).get("/api/v2.0/projects").json()[0]

    assert set(project) == PROJECT_FIELDS
    assert project["project_id"] == private_project.pk
    assert project["owner_id"] == owner.pk
    assert project["owner_name"] == "olga"
    assert project["metadata"] == {"public": "false"}
    assert project["repo_count"] == 1
    assert project["current_user_role_id"] == Role.DEVELOPER
    assert project["current_user_role_ids"] == [Role.DEVELOPER]
    assert project["registry_id"] is None
    assert project["deleted"] is False
    assert project["togglable"] is False
    assert project["creation_time"].endswith("Z")


def test_roles_through_groups_count_and_the_strongest_is_the_current_role(api_as, private_project):
    group = Group.objects.create(name="ops")
    dave = UserFactory(username="dave")
    dave.groups.add(group)
    member_set_role(project=private_project, role=Role.GUEST, user=dave, actor=None)
    member_set_role(project=private_project, role=Role.MAINTAINER, group=group, actor=None)

    project = api_as(dave).get("/api/v2.0/projects").json()[0]

    assert project["current_user_role_ids"] == [Role.GUEST, Role.MAINTAINER]
    assert project["current_user_role_id"] == Role.MAINTAINER


def test_project_admins_and_system_admins_may_toggle_visibility(api_as, role_members, admin, private_project):
    as_project_admin = api_as(role_members[Role.PROJECT_ADMIN]).get("/api/v2.0/projects").json()[0]
    as_system_admin = api_as(admin).get("/api/v2.0/projects").json()[0]

    assert as_project_admin["togglable"] is True
    assert as_system_admin["togglable"] is True
    assert as_system_admin["current_user_role_ids"] == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("name=ib", ["library"]),
        ("public=true", ["library"]),
        ("public=false", ["alpha", "secret"]),
        ("owner=olga", ["alpha"]),
        ("q=name%3D~ecr", ["secret"]),
        ("q=name%3Dlibrary", ["library"]),
        ("q=public%3Dfalse,name%3D~a", ["alpha"]),
        ("q=name%3D%7Balpha%20library%7D", ["alpha", "library"]),
        ("sort=-name", ["secret", "library", "alpha"]),
        ("sort=-creation_time", ["alpha", "library", "secret"]),
    ],
)
def test_list_filters_and_sorting(api_as, admin, private_project, library, query, expected):
    ProjectFactory(name="alpha", owner=UserFactory(username="olga"))

    response = api_as(admin).get(f"/api/v2.0/projects?{query}")

    assert names(response) == expected


def test_anonymous_callers_asking_for_private_projects_get_none(api_as, private_project):
    response = api_as(None).get("/api/v2.0/projects?public=false")

    assert response.json() == []
    assert response["X-Total-Count"] == "0"


def test_the_list_is_paged_with_harbors_headers(api_as, admin):
    for n in range(12):
        ProjectFactory(name=f"p{n:02d}")

    response = api_as(admin).get("/api/v2.0/projects?page=2&page_size=5")

    assert names(response) == [f"p{n:02d}" for n in range(5, 10)]
    assert response["X-Total-Count"] == "12"
    assert 'rel="prev"' in response["Link"]
    assert 'rel="next"' in response["Link"]


@pytest.mark.parametrize(
    "query",
    [
        "public=maybe",
        "with_detail=perhaps",
        "q=name",
        "q=unknown%3Dx",
        "sort=unknown",
        "q=project_id%3Dabc",
        "q=project_id%3D99999999999999999999999",
        "q=public%3D~tr",
        "q=name%3D%5Ba%5D",
        "page=abc",
        "page=99999999999999999999",
    ],
)
def test_bad_list_queries_are_400(api_as, admin, library, query):
    response = api_as(admin).get(f"/api/v2.0/projects?{query}")

    assert response.status_code == 400
    assert error_code(response) == "BAD_REQUEST"


def test_a_huge_page_size_is_capped_not_refused(api_as, admin, library):
    response = api_as(admin).get("/api/v2.0/projects?page_size=99999999999999999999")

    assert response.status_code == 200
    assert names(response) == ["library"]


def test_listing_costs_a_fixed_number_of_queries(api_client, django_assert_max_num_queries):
    user = UserFactory(username="busy")
    group = Group.objects.create(name="team")
    user.groups.add(group)
    for n in range(30):
        project = ProjectFactory(name=f"p{n:02d}", is_public=n % 3 == 0)
        member_set_role(project=project, role=Role.DEVELOPER, user=user, actor=None)
        member_set_role(project=project, role=Role.GUEST, group=group, actor=None)
        RepositoryFactory(project=project, name=f"p{n:02d}/app")
    api_client.force_authenticate(user)

    with django_assert_max_num_queries(3):  # count, page, the caller's roles on the page
        response = api_client.get("/api/v2.0/projects?page_size=100")

    assert len(response.json()) == 30
    assert {p["repo_count"] for p in response.json()} == {1}


# --- HEAD /projects -----------------------------------------------------------------------------


def test_head_says_whether_a_name_is_taken(api_as, alice, private_project):
    taken = api_as(alice).head("/api/v2.0/projects?project_name=secret")
    free = api_as(alice).head("/api/v2.0/projects?project_name=free")

    assert taken.status_code == 200
    assert free.status_code == 404
    assert free.content == b""


def test_head_needs_a_name(api_as, alice):
    response = api_as(alice).head("/api/v2.0/projects")

    assert response.status_code == 400


def test_head_needs_a_login(api_as, library):
    response = api_as(None).head("/api/v2.0/projects?project_name=library")

    assert response.status_code == 401


# --- POST /projects -----------------------------------------------------------------------------


def test_a_user_creates_a_project_and_becomes_its_admin(api_as, alice):
    response = api_as(alice).post("/api/v2.0/projects", {"project_name": "mine"}, format="json")

    project = Project.objects.get(name="mine")
    assert response.status_code == 201
    assert response["Location"] == f"/api/v2.0/projects/{project.pk}"
    assert response.content == b""
    assert project.owner == alice
    assert project.is_public is False
    assert project.storage_limit == UNLIMITED
    assert project_actions(alice, project) == set(Action)
    assert AuditEvent.objects.filter(operation="create", resource_type="project", resource="mine").exists()


def test_the_location_may_name_the_project(api_as, alice):
    response = api_as(alice).post(
        "/api/v2.0/projects", {"project_name": "mine"}, format="json", HTTP_X_RESOURCE_NAME_IN_LOCATION="true"
    )

    assert response["Location"] == "/api/v2.0/projects/mine"


@pytest.mark.parametrize(
    ("body", "public"),
    [
        ({"metadata": {"public": "true"}}, True),
        ({"public": True}, True),
        ({"public": True, "metadata": {"public": "false"}}, False),
        ({"metadata": {"public": "false", "auto_scan": "true"}}, False),
    ],
)
def test_visibility_comes_from_metadata_or_the_deprecated_flag(api_as, alice, body, public):
    api_as(alice).post("/api/v2.0/projects", {"project_name": "mine", **body}, format="json")

    assert Project.objects.get(name="mine").is_public is public


def test_a_system_admin_chooses_the_quota(api_as, admin):
    api_as(admin).post("/api/v2.0/projects", {"project_name": "big", "storage_limit": 1024}, format="json")

    assert Project.objects.get(name="big").storage_limit == 1024


def test_a_user_cannot_choose_a_quota_it_is_ignored_as_in_harbor(api_as, alice):
    response = api_as(alice).post(
        "/api/v2.0/projects", {"project_name": "big", "storage_limit": 1024}, format="json"
    )

    assert response.status_code == 201
    assert Project.objects.get(name="big").storage_limit == UNLIMITED


def test_an_existing_name_is_409(api_as, alice, private_project):
    response = api_as(alice).post("/api/v2.0/projects", {"project_name": "secret"}, format="json")

    assert response.status_code == 409
    assert error_code(response) == "CONFLICT"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"project_name": "Bad Name"},
        {"project_name": "-dash"},
        {"project_name": "x" * 256},
        {"project_name": ["list"]},
        {"project_name": "ok", "public": "maybe"},
        {"project_name": "ok", "metadata": {"public": "yes"}},
        {"project_name": "ok", "metadata": "public"},
        {"project_name": "ok", "storage_limit": "lots"},
        {"project_name": "ok", "storage_limit": -2},
        {"project_name": "ok", "storage_limit": 2**64},
        {"project_name": "ok", "registry_id": 1},
    ],
)
def test_bad_project_requests_are_400(api_as, alice, body):
    response = api_as(alice).post("/api/v2.0/projects", body, format="json")

    assert response.status_code == 400
    assert error_code(response) == "BAD_REQUEST"
    assert not Project.objects.filter(name="ok").exists()


def test_a_body_that_is_not_an_object_is_400(api_as, alice):
    response = api_as(alice).post("/api/v2.0/projects", [1, 2], format="json")

    assert response.status_code == 400


def test_when_only_admins_create_projects_users_get_403(api_as, alice, admin):
    SystemSettings.objects.create(
        pk=1, project_creation_restriction=SystemSettings.ProjectCreation.ADMIN_ONLY
    )

    refused = api_as(alice).post("/api/v2.0/projects", {"project_name": "mine"}, format="json")
    allowed = api_as(admin).post("/api/v2.0/projects", {"project_name": "theirs"}, format="json")

    assert refused.status_code == 403
    assert error_code(refused) == "FORBIDDEN"
    assert allowed.status_code == 201


def test_anonymous_callers_cannot_create_projects(api_as):
    response = api_as(None).post("/api/v2.0/projects", {"project_name": "mine"}, format="json")

    assert response.status_code == 401


def test_robots_cannot_create_projects(api_as, admin, library):
    robot, secret = robot_create(creator=admin, name="r", grants=[Grant(library, frozenset({Action.PUSH}))])

    response = api_as(robot, secret).post("/api/v2.0/projects", {"project_name": "mine"}, format="json")

    assert response.status_code == 403


# --- GET /projects/{project_name_or_id} ---------------------------------------------------------


def test_a_project_is_found_by_name_and_by_id(api_as, role_members, private_project):
    client = api_as(role_members[Role.GUEST])

    by_name = client.get("/api/v2.0/projects/secret")
    by_id = client.get(f"/api/v2.0/projects/{private_project.pk}")

    assert by_name.status_code == by_id.status_code == 200
    assert by_name.json() == by_id.json()
    assert set(by_name.json()) == PROJECT_FIELDS


def test_a_numeric_name_needs_x_is_resource_name(api_as, admin):
    numeric = ProjectFactory(name="123")
    other = ProjectFactory(name="other")
    Project.objects.filter(pk=other.pk).update(id=123)

    as_id = api_as(admin).get("/api/v2.0/projects/123")
    as_name = api_as(admin).get("/api/v2.0/projects/123", HTTP_X_IS_RESOURCE_NAME="true")

    assert as_id.json()["name"] == "other"
    assert as_name.json()["project_id"] == numeric.pk


def test_x_is_resource_name_false_still_treats_a_non_number_as_a_name(api_as, admin, library):
    response = api_as(admin).get("/api/v2.0/projects/library", HTTP_X_IS_RESOURCE_NAME="false")

    assert response.json()["name"] == "library"


def test_a_bad_x_is_resource_name_is_400(api_as, admin, library):
    response = api_as(admin).get("/api/v2.0/projects/library", HTTP_X_IS_RESOURCE_NAME="maybe")

    assert response.status_code == 400


@pytest.mark.parametrize("name_or_id", ["0", "-1", "99999999999999999999", "424242", "nope"])
def test_unknown_projects_are_404(api_as, admin, name_or_id):
    response = api_as(admin).get(f"/api/v2.0/projects/{name_or_id}")

    assert response.status_code == 404
    assert error_code(response) == "NOT_FOUND"


def test_anonymous_callers_read_public_projects(api_as, library):
    response = api_as(None).get("/api/v2.0/projects/library")

    assert response.status_code == 200
    assert response.json()["current_user_role_ids"] == []


# --- PUT /projects/{project_name_or_id} ---------------------------------------------------------


def test_a_project_admin_makes_the_project_public(api_as, role_members, private_project):
    response = api_as(role_members[Role.PROJECT_ADMIN]).put(
        "/api/v2.0/projects/secret", {"metadata": {"public": "true"}}, format="json"
    )

    private_project.refresh_from_db()
    assert response.status_code == 200
    assert private_project.is_public is True
    assert AuditEvent.objects.filter(operation="update", resource="secret", detail={"public": True}).exists()


def test_the_name_cannot_be_changed_it_is_ignored(api_as, role_members, private_project):
    api_as(role_members[Role.PROJECT_ADMIN]).put(
        "/api/v2.0/projects/secret", {"project_name": "other"}, format="json"
    )

    assert Project.objects.filter(name="secret").exists()


def test_a_project_admin_cannot_change_the_quota(api_as, role_members, private_project):
    response = api_as(role_members[Role.PROJECT_ADMIN]).put(
        "/api/v2.0/projects/secret", {"storage_limit": 10}, format="json"
    )

    private_project.refresh_from_db()
    assert response.status_code == 403
    assert private_project.storage_limit == UNLIMITED


def test_sending_back_the_current_quota_is_not_a_change(api_as, role_members, private_project):
    response = api_as(role_members[Role.PROJECT_ADMIN]).put(
        "/api/v2.0/projects/secret",
        {"storage_limit": UNLIMITED, "metadata": {"public": "true"}},
        format="json",
    )

    assert response.status_code == 200


def test_a_system_admin_changes_the_quota(api_as, admin, private_project):
    response = api_as(admin).put("/api/v2.0/projects/secret", {"storage_limit": 10}, format="json")

    private_project.refresh_from_db()
    assert response.status_code == 200
    assert private_project.storage_limit == 10


@pytest.mark.parametrize(
    "body",
    [{"metadata": {"public": "TRUE"}}, {"public": "x"}, {"storage_limit": "ten"}, {"storage_limit": -5}],
)
def test_bad_updates_are_400(api_as, admin, private_project, body):
    response = api_as(admin).put("/api/v2.0/projects/secret", body, format="json")

    assert response.status_code == 400


# --- DELETE /projects/{project_name_or_id} and _deletable -------------------------------------


def test_a_project_admin_deletes_an_empty_project(api_as, role_members, private_project):
    response = api_as(role_members[Role.PROJECT_ADMIN]).delete(f"/api/v2.0/projects/{private_project.pk}")

    assert response.status_code == 200
    assert not Project.objects.filter(name="secret").exists()
    assert not ProjectMember.objects.exists()
    assert AuditEvent.objects.filter(operation="delete", resource_type="project", resource="secret").exists()


def test_a_project_with_repositories_cannot_be_deleted(api_as, admin, private_project):
    RepositoryFactory(project=private_project, name="secret/app")

    response = api_as(admin).delete("/api/v2.0/projects/secret")

    assert response.status_code == 412
    assert error_code(response) == "PRECONDITION"
    assert Project.objects.filter(name="secret").exists()


def test_deletable_says_why_not(api_as, admin, private_project):
    empty = api_as(admin).get("/api/v2.0/projects/secret/_deletable").json()
    RepositoryFactory(project=private_project, name="secret/app")
    full = api_as(admin).get("/api/v2.0/projects/secret/_deletable").json()

    assert empty == {"deletable": True, "message": ""}
    assert full["deletable"] is False
    assert "repositories" in full["message"]
