"""The admin site's questions to projects.permissions: who enters, which projects one works on."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, Group

from projects.models import Role
from projects.permissions import (
    Action,
    can_search_principals,
    can_use_admin_site,
    holds,
    projects_administered_by,
    projects_granting,
)
from projects.services.members import member_set_role
from projects.services.robots import Grant, robot_create
from tests.factories import ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_staff_users_enter_the_admin_site():
    assert can_use_admin_site(UserFactory(username="sam", is_staff=True))


@pytest.mark.parametrize(
    "principal",
    [
        lambda: UserFactory(username="sam"),
        lambda: UserFactory(username="off", is_staff=True, is_active=False),
        lambda: AnonymousUser(),
    ],
    ids=["not-staff", "disabled", "anonymous"],
)
def test_others_do_not_enter_the_admin_site(principal):
    assert not can_use_admin_site(principal())


def test_a_robot_never_enters_the_admin_site(admin, library):
    robot, _secret = robot_create(
        creator=admin, name="ci", grants=[Grant(project=library, actions=frozenset({Action.PULL}))]
    )

    assert not can_use_admin_site(robot)


def test_a_public_project_grants_nothing_in_the_admin(role_members, private_project, library):
    guest = role_members[Role.GUEST]

    assert list(projects_granting(guest, Action.PULL)) == [private_project]
    assert not holds(guest, Action.PULL, library.pk)


def test_roles_given_to_a_group_count(private_project):
    ops = Group.objects.create(name="ops")
    member_set_role(project=private_project, role=Role.MAINTAINER, group=ops, actor=None)
    user = UserFactory(username="gina")
    user.groups.add(ops)

    assert holds(user, Action.DELETE, private_project.pk)
    assert not holds(user, Action.ADMIN, private_project.pk)


def test_a_system_admin_holds_everything_everywhere(admin, private_project):
    assert holds(admin, Action.ADMIN, private_project.pk)
    assert set(projects_granting(admin, Action.ADMIN)) == {private_project}


def test_projects_administered_by_a_project_admin(role_members, private_project):
    ProjectFactory(name="other")

    assert list(projects_administered_by(role_members[Role.PROJECT_ADMIN])) == [private_project]
    assert not projects_administered_by(role_members[Role.MAINTAINER]).exists()


def test_only_those_who_administer_a_project_search_users(role_members, admin):
    assert can_search_principals(admin)
    assert can_search_principals(role_members[Role.PROJECT_ADMIN])
    assert not can_search_principals(role_members[Role.MAINTAINER])
    assert not can_search_principals(role_members[None])
