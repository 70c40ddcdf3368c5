"""/api/v2.0/projects/{project_name_or_id}/members[/{mid}]: Harbor's project members."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from audit.models import AuditEvent
from projects.models import ProjectMember, Role, UserGroup
from projects.permissions import Action, project_actions
from projects.services.members import member_set_role
from tests.factories import ProjectFactory, UserFactory
from tests.projects.api.conftest import error_code

pytestmark = pytest.mark.django_db

MEMBERS = "/api/v2.0/projects/secret/members"


@pytest.fixture
def project_admin(role_members):
    return role_members[Role.PROJECT_ADMIN]


@pytest.fixture
def ldap_group(db) -> UserGroup:
    group = Group.objects.create(name="developers")
    return UserGroup.objects.create(
        group=group, group_type=UserGroup.Type.LDAP, ldap_group_dn="cn=developers,ou=groups,dc=example,dc=org"
    )


def member_of(project, user) -> ProjectMember:
    return ProjectMember.objects.get(project=project, user=user)


# --- GET members ----------------------------------------------------------------------------


def test_members_are_listed_by_name_in_harbors_shape(api_as, role_members, private_project):
    response = api_as(role_members[Role.GUEST]).get(MEMBERS)

    assert response.status_code == 200
    assert response["X-Total-Count"] == "5"
    assert [m["entity_name"] for m in response.json()] == [
        "developer",
        "guest",
        "limitedguest",
        "maintainer",
        "projectadmin",
    ]
    developer = role_members[Role.DEVELOPER]
    assert response.json()[0] == {
        "id": member_of(private_project, developer).pk,
        "project_id": private_project.pk,
        "entity_name": "developer",
        "role_name": "developer",
        "role_id": Role.DEVELOPER,
        "entity_id": developer.pk,
        "entity_type": "u",
    }


def test_role_names_are_harbors(api_as, role_members):
    response = api_as(role_members[Role.GUEST]).get(MEMBERS)

    assert {m["role_id"]: m["role_name"] for m in response.json()} == {
        1: "projectAdmin",
        2: "developer",
        3: "guest",
        4: "maintainer",
        5: "limitedGuest",
    }


def test_a_group_member_is_shown_with_its_user_group_id(api_as, role_members, private_project, ldap_group):
    member_set_role(project=private_project, role=Role.DEVELOPER, group=ldap_group.group, actor=None)

    response = api_as(role_members[Role.GUEST]).get(f"{MEMBERS}?entityname=develop")

    assert [(m["entity_name"], m["entity_type"], m["entity_id"]) for m in response.json()] == [
        ("developer", "u", role_members[Role.DEVELOPER].pk),
        ("developers", "g", ldap_group.pk),
    ]


def test_members_are_paged(api_as, role_members):
    response = api_as(role_members[Role.GUEST]).get(f"{MEMBERS}?page=2&page_size=2")

    assert [m["entity_name"] for m in response.json()] == ["limitedguest", "maintainer"]
    assert response["X-Total-Count"] == "5"
    assert 'rel="next"' in response["Link"]


def test_listing_members_costs_a_fixed_number_of_queries(
    api_client, role_members, private_project, django_assert_max_num_queries
):
    for n in range(20):
        group = Group.objects.create(name=f"g{n}")
        UserGroup.objects.create(group=group, group_type=UserGroup.Type.HTTP)
        member_set_role(project=private_project, role=Role.GUEST, group=group, actor=None)
    api_client.force_authenticate(role_members[Role.GUEST])

    with django_assert_max_num_queries(4):  # the project, the caller's actions, count, page
        response = api_client.get(f"{MEMBERS}?page_size=100")

    assert len(response.json()) == 25


def test_one_member_is_read_by_id(api_as, role_members, private_project):
    member = member_of(private_project, role_members[Role.MAINTAINER])

    response = api_as(role_members[Role.GUEST]).get(f"{MEMBERS}/{member.pk}")

    assert response.json()["entity_name"] == "maintainer"


def test_a_member_of_another_project_is_404_here(api_as, role_members, admin):
    other = ProjectFactory(name="other")
    elsewhere = member_set_role(project=other, role=Role.GUEST, user=UserFactory(username="x"), actor=None)

    response = api_as(role_members[Role.PROJECT_ADMIN]).get(f"{MEMBERS}/{elsewhere.pk}")

    assert response.status_code == 404


@pytest.mark.parametrize("mid", ["abc", "1.5", "0x10"])
def test_a_member_id_that_is_not_a_number_is_400(api_as, project_admin, mid):
    response = api_as(project_admin).get(f"{MEMBERS}/{mid}")

    assert response.status_code == 400


@pytest.mark.parametrize("mid", ["0", "-3", "99999999999999999999"])
def test_a_member_id_out_of_range_is_404(api_as, project_admin, mid):
    response = api_as(project_admin).get(f"{MEMBERS}/{mid}")

    assert response.status_code == 404


# --- POST members ---------------------------------------------------------------------------


def test_a_project_admin_adds_a_user_by_name(api_as, project_admin, private_project):
    dave = UserFactory(username="dave")

    response = api_as(project_admin).post(
        MEMBERS, {"role_id": Role.DEVELOPER, "member_user": {"username": "dave"}}, format="json"
    )

    member = member_of(private_project, dave)
    assert response.status_code == 201
    assert response["Location"] == f"{MEMBERS}/{member.pk}"
    assert member.role == Role.DEVELOPER
    assert project_actions(dave, private_project) == {
        Action.PULL,
        Action.PUSH,
        Action.READ_MEMBERS,
        Action.READ_LOGS,
    }
    assert AuditEvent.objects.filter(
        actor="projectadmin", operation="create", resource_type="member", resource="dave"
    ).exists()


def test_the_location_keeps_the_project_as_the_caller_named_it(api_as, project_admin, private_project):
    UserFactory(username="dave")

    response = api_as(project_admin).post(
        f"/api/v2.0/projects/{private_project.pk}/members",
        {"role_id": Role.GUEST, "member_user": {"username": "dave"}},
        format="json",
    )

    assert response["Location"].startswith(f"/api/v2.0/projects/{private_project.pk}/members/")


def test_a_user_is_added_by_id(api_as, project_admin, private_project):
    dave = UserFactory(username="dave")

    api_as(project_admin).post(
        MEMBERS, {"role_id": Role.GUEST, "member_user": {"user_id": dave.pk}}, format="json"
    )

    assert member_of(private_project, dave).role == Role.GUEST


@pytest.mark.parametrize(
    "member_group",
    [
        lambda g: {"id": g.pk},
        lambda g: {"group_name": "developers"},
        lambda g: {"group_name": "developers", "group_type": 1},
        lambda g: {"ldap_group_dn": "CN=developers,ou=groups,dc=example,dc=org"},
    ],
    ids=["id", "name", "name-and-type", "ldap-dn"],
)
def test_a_group_is_added(api_as, project_admin, private_project, ldap_group, member_group):
    response = api_as(project_admin).post(
        MEMBERS, {"role_id": Role.MAINTAINER, "member_group": member_group(ldap_group)}, format="json"
    )

    assert response.status_code == 201
    assert ProjectMember.objects.get(project=private_project, group=ldap_group.group).role == Role.MAINTAINER


def test_adding_a_member_again_is_409(api_as, project_admin, role_members, private_project):
    response = api_as(project_admin).post(
        MEMBERS, {"role_id": Role.PROJECT_ADMIN, "member_user": {"username": "guest"}}, format="json"
    )

    assert response.status_code == 409
    assert member_of(private_project, role_members[Role.GUEST]).role == Role.GUEST


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"role_id": 3, "member_user": {"username": "nobody"}}, 404),
        ({"role_id": 3, "member_group": {"group_name": "nobody"}}, 404),
        ({"role_id": 3, "member_group": {"group_name": "developers", "group_type": 2}}, 404),
        ({"role_id": 3, "member_group": {"ldap_group_dn": "cn=nobody,dc=example,dc=org"}}, 404),
        ({"role_id": 3, "member_user": {"user_id": 424242}}, 400),
        ({"role_id": 3, "member_group": {"id": 424242}}, 400),
        ({"role_id": 3}, 400),
        ({"role_id": 3, "member_user": {}}, 400),
        ({"role_id": 9, "member_user": {"username": "dave"}}, 400),
        ({"role_id": "admin", "member_user": {"username": "dave"}}, 400),
        ({"member_user": {"username": "dave"}}, 400),
        ({"role_id": 3, "member_user": "dave"}, 400),
        ({"role_id": 3, "member_user": {"user_id": "x"}}, 400),
        ({"role_id": 3, "member_group": {"group_type": 7, "group_name": "developers"}}, 400),
    ],
)
def test_bad_member_requests(api_as, project_admin, ldap_group, body, status):
    UserFactory(username="dave")

    response = api_as(project_admin).post(MEMBERS, body, format="json")

    assert response.status_code == status
    assert not ProjectMember.objects.filter(user__username="dave").exists()


@pytest.mark.parametrize("role", [Role.DEVELOPER, Role.MAINTAINER])
def test_only_project_admins_add_members(api_as, role_members, role):
    UserFactory(username="dave")

    response = api_as(role_members[role]).post(
        MEMBERS, {"role_id": Role.GUEST, "member_user": {"username": "dave"}}, format="json"
    )

    assert response.status_code == 403
    assert error_code(response) == "FORBIDDEN"


# --- PUT and DELETE members -------------------------------------------------------------------


def test_a_project_admin_changes_a_role_and_the_rights_follow(
    api_as, project_admin, role_members, private_project
):
    guest = role_members[Role.GUEST]
    member = member_of(private_project, guest)

    response = api_as(project_admin).put(
        f"{MEMBERS}/{member.pk}", {"role_id": Role.MAINTAINER}, format="json"
    )

    assert response.status_code == 200
    assert member_of(private_project, guest).role == Role.MAINTAINER
    assert Action.DELETE in project_actions(guest, private_project)
    assert AuditEvent.objects.filter(operation="update", resource_type="member", resource="guest").exists()


@pytest.mark.parametrize("body", [{}, {"role_id": 0}, {"role_id": 6}, {"role_id": None}, {"role_id": [1]}])
def test_bad_role_changes_are_400(api_as, project_admin, role_members, private_project, body):
    member = member_of(private_project, role_members[Role.GUEST])

    response = api_as(project_admin).put(f"{MEMBERS}/{member.pk}", body, format="json")

    assert response.status_code == 400
    assert member_of(private_project, role_members[Role.GUEST]).role == Role.GUEST


def test_a_project_admin_removes_a_member_and_its_rights(
    api_as, project_admin, role_members, private_project
):
    developer = role_members[Role.DEVELOPER]
    member = member_of(private_project, developer)

    response = api_as(project_admin).delete(f"{MEMBERS}/{member.pk}")

    assert response.status_code == 200
    assert not ProjectMember.objects.filter(pk=member.pk).exists()
    assert project_actions(developer, private_project) == set()
    assert AuditEvent.objects.filter(
        operation="delete", resource_type="member", resource="developer"
    ).exists()


def test_removing_a_group_takes_the_rights_of_its_users(api_as, project_admin, private_project, ldap_group):
    dave = UserFactory(username="dave")
    dave.groups.add(ldap_group.group)
    member = member_set_role(project=private_project, role=Role.DEVELOPER, group=ldap_group.group, actor=None)

    api_as(project_admin).delete(f"{MEMBERS}/{member.pk}")

    assert project_actions(dave, private_project) == set()


def test_a_project_admin_may_remove_itself_harbor_does_not_keep_a_last_admin(
    api_as, project_admin, private_project, admin
):
    member = member_of(private_project, project_admin)

    removed = api_as(project_admin).delete(f"{MEMBERS}/{member.pk}")
    after = api_as(project_admin).get("/api/v2.0/projects/secret")
    restored = api_as(admin).post(
        MEMBERS, {"role_id": Role.PROJECT_ADMIN, "member_user": {"username": "projectadmin"}}, format="json"
    )

    assert removed.status_code == 200
    assert after.status_code == 404
    assert restored.status_code == 201  # a system admin can always appoint a new one


def test_removing_an_unknown_member_is_404(api_as, project_admin):
    response = api_as(project_admin).delete(f"{MEMBERS}/424242")

    assert response.status_code == 404
