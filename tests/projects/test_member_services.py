"""projects.services.members: adding members (the role changes are in test_permissions.py)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from harborpy.errors import BadRequest, Conflict
from projects.models import ProjectMember, Role
from projects.permissions import Action, project_actions
from projects.services.members import member_add
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_member_add_grants_the_roles_actions(private_project, alice):
    member = member_add(project=private_project, role=Role.GUEST, user=alice, actor=None)

    assert member.role == Role.GUEST
    assert project_actions(alice, private_project) == {Action.PULL, Action.READ_MEMBERS, Action.READ_LOGS}


def test_member_add_refuses_a_member_twice(private_project, alice):
    member_add(project=private_project, role=Role.GUEST, user=alice, actor=None)

    with pytest.raises(Conflict):
        member_add(project=private_project, role=Role.PROJECT_ADMIN, user=alice, actor=None)

    assert ProjectMember.objects.get(user=alice).role == Role.GUEST


def test_member_add_refuses_a_group_twice(private_project):
    group = Group.objects.create(name="ops")
    member_add(project=private_project, role=Role.GUEST, group=group, actor=None)

    with pytest.raises(Conflict):
        member_add(project=private_project, role=Role.GUEST, group=group, actor=None)


def test_member_add_needs_a_user_or_a_group(private_project):
    with pytest.raises(BadRequest):
        member_add(project=private_project, role=Role.GUEST, actor=None)


def test_member_add_refuses_an_unknown_role(private_project):
    with pytest.raises(BadRequest):
        member_add(project=private_project, role=9, user=UserFactory(username="x"), actor=None)
