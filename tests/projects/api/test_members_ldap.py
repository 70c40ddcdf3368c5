"""Adding LDAP users and groups harborpy has not seen yet as project members (a real slapd)."""

from __future__ import annotations

import pytest

from projects.models import ProjectMember, Role, User, UserGroup
from projects.permissions import Action, project_actions
from projects.services.ldap import ldap_users_import
from tests.support.slapd import group_dn, user_dn

pytestmark = pytest.mark.django_db

MEMBERS = "/api/v2.0/projects/secret/members"


@pytest.fixture
def project_admin(role_members):
    return role_members[Role.PROJECT_ADMIN]


def test_an_ldap_user_is_imported_when_added_by_name(ldap_server, api_as, project_admin, private_project):
    response = api_as(project_admin).post(
        MEMBERS, {"role_id": Role.DEVELOPER, "member_user": {"username": "cleo"}}, format="json"
    )

    cleo = User.objects.get(username="cleo")
    assert response.status_code == 201
    assert cleo.ldap_dn == user_dn("cleo")
    assert ProjectMember.objects.get(project=private_project, user=cleo).role == Role.DEVELOPER


def test_a_name_the_directory_does_not_know_is_404(ldap_server, api_as, project_admin):
    response = api_as(project_admin).post(
        MEMBERS, {"role_id": Role.DEVELOPER, "member_user": {"username": "nobody"}}, format="json"
    )

    assert response.status_code == 404
    assert not User.objects.filter(username="nobody").exists()


def test_an_ldap_group_is_mirrored_when_added_by_dn_and_grants_its_users(
    ldap_server, api_as, project_admin, private_project, admin
):
    response = api_as(project_admin).post(
        MEMBERS,
        {
            "role_id": Role.DEVELOPER,
            "member_group": {"ldap_group_dn": "CN=QA, OU=groups, DC=example, DC=org"},
        },
        format="json",
    )
    ldap_users_import(uids=["dora"], actor=admin)  # dora is in qa: her first login would do the same

    group = UserGroup.objects.get(ldap_group_dn=group_dn("qa"))
    assert response.status_code == 201
    assert group.group.name == "qa"
    assert ProjectMember.objects.get(project=private_project, group=group.group).role == Role.DEVELOPER
    assert Action.PUSH in project_actions(User.objects.get(username="dora"), private_project)


@pytest.mark.parametrize("dn", [group_dn("nothere"), "cn=qa,ou=elsewhere,dc=example,dc=org"])
def test_a_dn_the_directory_does_not_have_is_404(ldap_server, api_as, project_admin, dn):
    response = api_as(project_admin).post(
        MEMBERS, {"role_id": Role.GUEST, "member_group": {"ldap_group_dn": dn}}, format="json"
    )

    assert response.status_code == 404
    assert not UserGroup.objects.exists()
