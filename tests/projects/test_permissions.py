"""Harbor's role x action matrix, decided by projects.permissions."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, Group

from projects.models import Role
from projects.permissions import Action, can, project_actions, projects_visible_to
from projects.services.members import member_remove, member_set_role
from tests.factories import ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db

A = Action
# Written out from Harbor's permission matrix (not derived from ROLE_ACTIONS, so it can disagree).
EXPECTED = {
    Role.LIMITED_GUEST: {A.PULL},
    Role.GUEST: {A.PULL, A.READ_MEMBERS, A.READ_LOGS},
    Role.DEVELOPER: {A.PULL, A.READ_MEMBERS, A.READ_LOGS, A.PUSH},
    Role.MAINTAINER: {A.PULL, A.READ_MEMBERS, A.READ_LOGS, A.PUSH, A.DELETE, A.MANAGE_RULES},
    Role.PROJECT_ADMIN: set(Action),
    None: set(),
}


@pytest.mark.parametrize("role", list(EXPECTED))
@pytest.mark.parametrize("action", list(Action))
def test_role_action_matrix(role_members, private_project, role, action):
    assert can(role_members[role], action, private_project) == (action in EXPECTED[role])


def test_project_actions_cost_one_query(role_members, private_project, django_assert_num_queries):
    developer = role_members[Role.DEVELOPER]

    with django_assert_num_queries(1):
        actions = project_actions(developer, private_project)

    assert actions == EXPECTED[Role.DEVELOPER]


def test_system_admin_may_do_everything_without_a_query(admin, private_project, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert project_actions(admin, private_project) == set(Action)


def test_anyone_pulls_from_a_public_project_and_nothing_more(library):
    assert project_actions(AnonymousUser(), library) == {A.PULL}
    assert project_actions(UserFactory(username="stranger"), library) == {A.PULL}


def test_a_disabled_user_keeps_no_rights(role_members, private_project):
    admin_of_project = role_members[Role.PROJECT_ADMIN]
    admin_of_project.is_active = False

    assert project_actions(admin_of_project, private_project) == set()


def test_group_members_get_the_group_role(private_project):
    group = Group.objects.create(name="ops")
    dave = UserFactory(username="dave")
    dave.groups.add(group)

    member_set_role(project=private_project, role=Role.MAINTAINER, group=group, actor=None)

    assert project_actions(dave, private_project) == EXPECTED[Role.MAINTAINER]


def test_user_and_group_roles_add_up(private_project):
    group = Group.objects.create(name="readers")
    erin = UserFactory(username="erin")
    erin.groups.add(group)
    member_set_role(project=private_project, role=Role.GUEST, group=group, actor=None)

    member_set_role(project=private_project, role=Role.DEVELOPER, user=erin, actor=None)

    assert A.PUSH in project_actions(erin, private_project)


def test_changing_a_role_replaces_its_permissions(role_members, private_project):
    maintainer = role_members[Role.MAINTAINER]

    member_set_role(project=private_project, role=Role.GUEST, user=maintainer, actor=None)

    assert project_actions(maintainer, private_project) == EXPECTED[Role.GUEST]


def test_removing_a_member_removes_every_right(role_members, private_project):
    developer = role_members[Role.DEVELOPER]

    member_remove(member=developer.memberships.get(), actor=None)

    assert project_actions(developer, private_project) == set()


def test_roles_are_per_project(role_members, private_project):
    other = ProjectFactory(name="other")

    assert project_actions(role_members[Role.PROJECT_ADMIN], other) == set()


def test_visible_projects(role_members, private_project, library):
    ProjectFactory(name="hidden")

    assert set(projects_visible_to(role_members[Role.LIMITED_GUEST]).values_list("name", flat=True)) == {
        "secret",
        "library",
    }
    assert set(projects_visible_to(role_members[None]).values_list("name", flat=True)) == {"library"}
    assert set(projects_visible_to(AnonymousUser()).values_list("name", flat=True)) == {"library"}
