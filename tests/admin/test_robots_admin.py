"""Robot accounts in the admin site: managed by their project's admins through the robot services,
their secret shown once."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.hashers import check_password

from audit.models import AuditEvent
from projects.models import Robot, RobotPermission
from projects.permissions import Action
from projects.services.robots import Grant, robot_create
from tests.admin.pages import listed, offered_actions, page_messages, submitted

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/projects/robot/"
ADD = "/admin/projects/robot/add/"
SECRET = re.compile(r"The secret of (\S+) is (\S+) — copy it now: it is not shown again\.")


def _robot(creator, project, name: str, actions=(Action.PULL,)) -> Robot:
    robot, _secret = robot_create(
        creator=creator,
        name=name,
        project=project,
        grants=[Grant(project=project, actions=frozenset(actions))],
    )
    return robot


@pytest.fixture
def alpha_robot(admin, alpha):
    return _robot(admin, alpha, "ci")


@pytest.fixture
def beta_robot(admin, beta):
    return _robot(admin, beta, "deploy")


@pytest.fixture
def system_robot(admin, alpha, beta):
    robot, _secret = robot_create(
        creator=admin,
        name="mirror",
        grants=[
            Grant(project=alpha, actions=frozenset({Action.PULL})),
            Grant(project=beta, actions=frozenset({Action.PULL})),
        ],
    )
    return robot


def test_a_project_admin_lists_its_projects_robots_only(
    login_as, alpha_admin, alpha_robot, beta_robot, system_robot
):
    assert listed(login_as(alpha_admin).get(CHANGELIST)) == [alpha_robot]


def test_a_system_admin_lists_every_robot(login_as, admin, alpha_robot, beta_robot, system_robot):
    assert set(listed(login_as(admin).get(CHANGELIST))) == {alpha_robot, beta_robot, system_robot}


def test_a_guest_sees_the_robots_but_is_offered_no_action(login_as, alpha_guest, alpha_robot):
    client = login_as(alpha_guest)

    assert listed(client.get(CHANGELIST)) == [alpha_robot]
    assert offered_actions(client.get(CHANGELIST)) == set()
    assert client.get(ADD).status_code == 403


def test_a_project_admin_is_offered_refresh_and_deletion(login_as, alpha_admin, alpha_robot):
    assert offered_actions(login_as(alpha_admin).get(CHANGELIST)) == {"refresh_secret", "delete_selected"}


def test_a_system_robot_is_a_404_for_a_project_admin(login_as, alpha_admin, system_robot):
    assert login_as(alpha_admin).get(f"/admin/projects/robot/{system_robot.pk}/change/").status_code == 404


def test_a_project_admin_creates_a_robot_and_sees_its_secret_once(login_as, alpha_admin, alpha):
    client = login_as(alpha_admin)

    created = client.post(
        ADD,
        {"name": "builder", "project": alpha.pk, "permissions": [Action.PULL, Action.PUSH]},
        follow=True,
    )
    next_page = client.get(CHANGELIST)

    robot = Robot.objects.get(username="robot$alpha+builder")
    shown = [SECRET.search(message) for message in page_messages(created)]
    (secret,) = [match.group(2) for match in shown if match]
    assert check_password(secret, robot.secret_hash)
    assert secret not in next_page.text
    assert RobotPermission.objects.get(robot=robot).actions == sorted([Action.PULL, Action.PUSH])
    event = AuditEvent.objects.get(resource_type="robot", operation="create")
    assert (event.actor, event.resource, event.address) == ("pat", robot.username, "192.0.2.7")


def test_a_project_admin_cannot_create_a_robot_in_another_project(login_as, alpha_admin, beta):
    response = login_as(alpha_admin).post(
        ADD, {"name": "sneaky", "project": beta.pk, "permissions": [Action.PULL]}
    )

    assert response.status_code == 200  # the form again: beta is no choice
    assert "Select a valid choice" in response.text
    assert not Robot.objects.exists()


def test_the_services_refusal_comes_back_on_the_form(login_as, alpha_admin, admin, alpha):
    _robot(admin, alpha, "taken")

    response = login_as(alpha_admin).post(
        ADD, {"name": "taken", "project": alpha.pk, "permissions": [Action.PULL]}
    )

    assert response.status_code == 200
    assert "A robot account taken already exists." in response.text
    assert Robot.objects.count() == 1


def test_a_system_admin_creates_a_system_robot_over_several_projects(login_as, admin, alpha, beta):
    login_as(admin).post(
        ADD, {"name": "mirror", "permissions": [Action.PULL], "grant_projects": [alpha.pk, beta.pk]}
    )

    robot = Robot.objects.get(username="robot$mirror")
    assert robot.project is None
    assert set(RobotPermission.objects.filter(robot=robot).values_list("project__name", flat=True)) == {
        "alpha",
        "beta",
    }


def test_a_system_robot_needs_its_projects(login_as, admin):
    response = login_as(admin).post(ADD, {"name": "mirror", "permissions": [Action.PULL]})

    assert response.status_code == 200
    assert "Choose the projects of the system robot account." in response.text


def test_a_project_admin_disables_a_robot_through_the_service(login_as, alpha_admin, alpha_robot):
    client = login_as(alpha_admin)
    url = f"/admin/projects/robot/{alpha_robot.pk}/change/"
    data = submitted(client.get(url), disabled=True)

    response = client.post(url, data)

    assert response.status_code == 302
    assert Robot.objects.get(pk=alpha_robot.pk).disabled
    assert AuditEvent.objects.filter(resource_type="robot", operation="update", actor="pat").exists()


def test_a_project_admin_changes_a_robots_permissions(login_as, alpha_admin, alpha_robot):
    client = login_as(alpha_admin)
    url = f"/admin/projects/robot/{alpha_robot.pk}/change/"
    data = submitted(client.get(url), permissions=[Action.PULL, Action.DELETE])

    client.post(url, data)

    assert RobotPermission.objects.get(robot=alpha_robot).actions == sorted([Action.DELETE, Action.PULL])


def test_refreshing_a_secret_shows_the_new_one_once(login_as, alpha_admin, alpha_robot):
    old_hash = alpha_robot.secret_hash

    response = login_as(alpha_admin).post(
        CHANGELIST, {"action": "refresh_secret", "_selected_action": [alpha_robot.pk]}, follow=True
    )

    robot = Robot.objects.get(pk=alpha_robot.pk)
    (match,) = [m for m in map(SECRET.search, page_messages(response)) if m]
    assert robot.secret_hash != old_hash
    assert check_password(match.group(2), robot.secret_hash)
    assert AuditEvent.objects.filter(resource_type="robot", operation="refresh").count() == 1


def test_a_project_admin_deletes_a_robot_through_the_service(login_as, alpha_admin, alpha_robot):
    response = login_as(alpha_admin).post(f"/admin/projects/robot/{alpha_robot.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Robot.objects.exists()
    assert AuditEvent.objects.filter(
        resource_type="robot", operation="delete", resource=alpha_robot.username
    ).exists()


def test_the_secret_hash_is_never_shown(login_as, admin, alpha_robot):
    response = login_as(admin).get(f"/admin/projects/robot/{alpha_robot.pk}/change/")

    assert alpha_robot.secret_hash not in response.text


def test_a_system_admin_creates_a_robot_covering_every_project(login_as, admin, alpha):
    login_as(admin).post(ADD, {"name": "scanner", "permissions": [Action.PULL], "every_project": "on"})

    robot = Robot.objects.get(username="robot$scanner")
    grant = RobotPermission.objects.get(robot=robot)
    assert grant.project is None and grant.actions == [Action.PULL]


def test_a_robot_covering_every_project_keeps_it_when_its_permissions_change(login_as, admin):
    robot, _secret = robot_create(
        creator=admin, name="scanner", grants=[Grant(project=None, actions=frozenset({Action.PULL}))]
    )
    client = login_as(admin)
    url = f"/admin/projects/robot/{robot.pk}/change/"

    client.post(url, submitted(client.get(url), permissions=[Action.PULL, Action.PUSH]))

    grant = RobotPermission.objects.get(robot=robot)
    assert grant.project is None and grant.actions == sorted([Action.PULL, Action.PUSH])
