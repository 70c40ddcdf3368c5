"""Robot accounts: never more than their creator, usable with docker login, never beyond their list."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
from django.utils import timezone

from audit.models import AuditEvent
from harborpy.errors import BadRequest, Conflict, Denied
from projects.models import Role
from projects.permissions import (
    Action,
    actions_delegable,
    project_actions,
    projects_visible_to,
    projects_with_action,
)
from projects.services.robots import Grant, robot_create, robot_delete, robot_refresh_secret, robot_update
from tests.conftest import RegistryClient, basic_auth
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def token_actions(client, username: str, secret: str, repository: str = "secret/app") -> list[str] | int:
    response = client.get(
        f"/service/token?service=harbor-registry&scope=repository:{repository}:pull,push,delete",
        HTTP_AUTHORIZATION=basic_auth(username, secret),
    )
    if response.status_code != 200:
        return response.status_code
    return jwt.decode(response.json()["token"], options={"verify_signature": False})["access"][0]["actions"]


@pytest.fixture
def project_admin(role_members):
    return role_members[Role.PROJECT_ADMIN]


def test_a_project_admin_creates_a_project_robot_named_like_harbor(project_admin, private_project):
    robot, secret = robot_create(
        creator=project_admin,
        name="ci",
        project=private_project,
        grants=[Grant(private_project, frozenset({Action.PULL, Action.PUSH}))],
    )

    assert robot.username == "robot$secret+ci"
    assert len(secret) == 32
    assert secret not in robot.secret_hash
    assert AuditEvent.objects.filter(operation="create", resource="robot$secret+ci").exists()


def test_a_robot_can_never_get_more_than_its_creator(role_members, private_project):
    developer = role_members[Role.DEVELOPER]

    with pytest.raises(Denied):
        robot_create(
            creator=developer,
            name="x",
            project=private_project,
            grants=[Grant(private_project, frozenset({Action.PULL}))],
        )  # developers manage no robots
    with pytest.raises(Denied):
        robot_create(creator=developer, name="y", grants=[Grant(private_project, frozenset({Action.PULL}))])


def test_a_system_robot_needs_a_system_admin_and_may_span_projects(
    admin, project_admin, private_project, library
):
    robot, _secret = robot_create(
        creator=admin,
        name="sync",
        grants=[Grant(private_project, frozenset({Action.PULL})), Grant(library, frozenset({Action.PUSH}))],
    )

    assert robot.username == "robot$sync"
    assert project_actions(robot, private_project) == {Action.PULL}
    assert project_actions(robot, library) == {Action.PULL, Action.PUSH}  # library is public
    with pytest.raises(Denied):
        robot_create(
            creator=project_admin, name="sys", grants=[Grant(private_project, frozenset({Action.PULL}))]
        )


def test_a_project_robot_acts_only_in_its_project(project_admin, private_project):
    other = ProjectFactory(name="other")

    with pytest.raises(BadRequest):
        robot_create(
            creator=project_admin,
            name="r",
            project=private_project,
            grants=[Grant(other, frozenset({Action.PULL}))],
        )


def test_robot_names_are_unique(project_admin, private_project):
    grant = [Grant(private_project, frozenset({Action.PULL}))]
    robot_create(creator=project_admin, name="ci", project=private_project, grants=grant)

    with pytest.raises(Conflict):
        robot_create(creator=project_admin, name="ci", project=private_project, grants=grant)


def test_docker_login_as_a_robot_gets_its_permissions_only(client, project_admin, private_project):
    robot, secret = robot_create(
        creator=project_admin,
        name="puller",
        project=private_project,
        grants=[Grant(private_project, frozenset({Action.PULL}))],
    )

    assert token_actions(client, robot.username, secret) == ["pull"]
    assert token_actions(client, robot.username, secret, "library/app") == []
    assert RegistryClient(basic_auth(robot.username, secret)).get("/v2/").status_code == 200


@pytest.mark.parametrize(
    "change",
    [{"disabled": True}, {"expires_at": timezone.now() - timedelta(minutes=1)}],
    ids=["disabled", "expired"],
)
def test_a_disabled_or_expired_robot_cannot_log_in(client, project_admin, private_project, change):
    robot, secret = robot_create(
        creator=project_admin,
        name="temp",
        project=private_project,
        grants=[Grant(private_project, frozenset({Action.PULL}))],
    )
    assert token_actions(client, robot.username, secret) == ["pull"]  # remembered now

    robot_update(robot=robot, actor=project_admin, **change)

    assert token_actions(client, robot.username, secret) == 401


def test_a_refreshed_secret_replaces_the_old_one_at_once(client, project_admin, private_project):
    robot, old = robot_create(
        creator=project_admin,
        name="rot",
        project=private_project,
        grants=[Grant(private_project, frozenset({Action.PULL}))],
    )
    assert token_actions(client, robot.username, old) == ["pull"]

    new = robot_refresh_secret(robot=robot, actor=project_admin)

    assert token_actions(client, robot.username, old) == 401
    assert token_actions(client, robot.username, new) == ["pull"]


def test_a_deleted_robot_cannot_log_in(client, project_admin, private_project):
    robot, secret = robot_create(
        creator=project_admin,
        name="gone",
        project=private_project,
        grants=[Grant(private_project, frozenset({Action.PULL}))],
    )
    token_actions(client, robot.username, secret)

    robot_delete(robot=robot, actor=project_admin)

    assert token_actions(client, "robot$secret+gone", secret) == 401


def test_robots_cannot_use_the_admin_site(client, project_admin, private_project):
    robot, secret = robot_create(
        creator=project_admin,
        name="ui",
        project=private_project,
        grants=[Grant(private_project, frozenset({Action.PULL}))],
    )

    response = client.post("/admin/login/", {"username": robot.username, "password": secret})

    assert response.status_code == 200  # the login form again, not a redirect into the site
    assert "_auth_user_id" not in client.session


def test_a_system_robot_covering_every_project_acts_in_projects_created_later(admin, client):
    robot, secret = robot_create(creator=admin, name="all", grants=[Grant(None, frozenset({Action.PULL}))])

    later = ProjectFactory(name="later")

    assert token_actions(client, robot.username, secret, "later/app") == ["pull"]
    assert list(projects_visible_to(robot)) == [later]


def test_a_grant_in_every_project_adds_to_the_grant_in_one(admin, private_project):
    robot, _secret = robot_create(
        creator=admin,
        name="mixed",
        grants=[Grant(None, frozenset({Action.PULL})), Grant(private_project, frozenset({Action.PUSH}))],
    )

    assert project_actions(robot, private_project) == {Action.PULL, Action.PUSH}


def test_only_a_system_admin_may_delegate_rights_in_every_project(admin, project_admin):
    assert actions_delegable(admin, None, set(Action))
    assert not actions_delegable(project_admin, None, {Action.PULL})


def test_a_project_robot_cannot_cover_every_project(project_admin, private_project):
    with pytest.raises(BadRequest):
        robot_create(
            creator=project_admin,
            name="wide",
            project=private_project,
            grants=[Grant(None, frozenset({Action.PULL}))],
        )


def test_a_system_robot_covering_every_project_may_act_in_each(admin, private_project, library):
    robot, _secret = robot_create(
        creator=admin, name="pusher", grants=[Grant(None, frozenset({Action.PUSH}))]
    )

    assert set(projects_with_action(robot, Action.PUSH)) == {private_project, library}
    assert list(projects_with_action(robot, Action.DELETE)) == []
