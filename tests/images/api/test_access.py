"""Who may do what: Harbor's role matrix over the content API, 404 for what the caller cannot see,
403 for what it sees but may not do, 401 for anonymous callers where logging in would help."""

from __future__ import annotations

import pytest

from images.models import Label
from projects.models import Role
from projects.permissions import Action
from projects.services.robots import Grant, robot_create
from tests.conftest import basic_auth
from tests.images.api.conftest import as_user

pytestmark = pytest.mark.django_db

APP = "/api/v2.0/projects/secret/repositories/app"
DEVELOPER_AND_ABOVE = {Role.DEVELOPER, Role.MAINTAINER, Role.PROJECT_ADMIN}
MAINTAINER_AND_ABOVE = {Role.MAINTAINER, Role.PROJECT_ADMIN}
MEMBERS = [Role.LIMITED_GUEST, Role.GUEST, Role.DEVELOPER, Role.MAINTAINER, Role.PROJECT_ADMIN]


def _status(granted: set, role, success: int) -> int:
    if role is None:
        return 404  # carol is not a member: the private project does not exist for her
    return success if role in granted else 403


@pytest.fixture
def label(private_project):
    return Label.objects.create(name="qa", scope="p", project=private_project)


# (method, path, body, roles granted, success status)
OPERATIONS = {
    "list repositories": ("get", "/api/v2.0/projects/secret/repositories", None, set(MEMBERS), 200),
    "get repository": ("get", APP, None, set(MEMBERS), 200),
    "list artifacts": ("get", f"{APP}/artifacts", None, set(MEMBERS), 200),
    "get artifact": ("get", f"{APP}/artifacts/v1", None, set(MEMBERS), 200),
    "list tags": ("get", f"{APP}/artifacts/v1/tags", None, set(MEMBERS), 200),
    "list accessories": ("get", f"{APP}/artifacts/v1/accessories", None, set(MEMBERS), 200),
    "describe repository": ("put", APP, {"description": "x"}, DEVELOPER_AND_ABOVE, 200),
    "create tag": ("post", f"{APP}/artifacts/v1/tags", {"name": "new"}, DEVELOPER_AND_ABOVE, 201),
    "copy artifact": ("post", f"{APP}2/artifacts?from=secret/app:v1", None, DEVELOPER_AND_ABOVE, 201),
    "add label": ("post", f"{APP}/artifacts/v1/labels", "label", DEVELOPER_AND_ABOVE, 200),
    "delete tag": ("delete", f"{APP}/artifacts/v1/tags/latest", None, MAINTAINER_AND_ABOVE, 200),
    "delete artifact": ("delete", f"{APP}/artifacts/v2", None, MAINTAINER_AND_ABOVE, 200),
    "delete repository": ("delete", APP, None, MAINTAINER_AND_ABOVE, 200),
}


@pytest.mark.parametrize("operation", list(OPERATIONS))
@pytest.mark.parametrize("role", [*MEMBERS, None])
def test_role_matrix(api_client, role_members, secret_app, label, operation, role):
    method, path, body, granted, success = OPERATIONS[operation]
    if body == "label":
        body = {"id": label.pk}

    response = getattr(as_user(api_client, role_members[role]), method)(path, body, format="json")

    assert response.status_code == _status(granted, role, success), response.content
    if response.status_code >= 400:
        expected = {403: "FORBIDDEN", 404: "NOT_FOUND"}[response.status_code]
        assert response.json()["errors"][0]["code"] == expected


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_anonymous_callers_of_a_private_project_are_asked_to_log_in(api_client, secret_app, label, operation):
    method, path, body, _granted, _success = OPERATIONS[operation]

    response = getattr(api_client, method)(path, {"id": label.pk} if body == "label" else body, format="json")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="harborpy"'


def test_a_missing_project_is_404_for_a_user_and_401_for_anonymous(api_client, alice, db):
    assert api_client.get("/api/v2.0/projects/nowhere/repositories").status_code == 401
    assert as_user(api_client, alice).get("/api/v2.0/projects/nowhere/repositories").status_code == 404


WEB = "/api/v2.0/projects/library/repositories/web"


@pytest.mark.parametrize(
    "path",
    [
        WEB,
        f"{WEB}/artifacts",
        f"{WEB}/artifacts/v1",
        f"{WEB}/artifacts/v1/tags",
        "/api/v2.0/projects/library/repositories",
    ],
)
def test_anonymous_callers_may_read_a_public_project(api_client, public_web, path):
    response = api_client.get(path)

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("delete", f"{WEB}/artifacts/v1", None),
        ("post", f"{WEB}/artifacts/v1/tags", {"name": "x"}),
        ("put", WEB, {"description": "x"}),
    ],
)
def test_anonymous_writes_to_a_public_project_are_401(api_client, public_web, method, path, body):
    response = getattr(api_client, method)(path, body, format="json")

    assert response.status_code == 401


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("delete", f"{WEB}/artifacts/v1", None),
        ("post", f"{WEB}/artifacts/v1/tags", {"name": "x"}),
        ("put", WEB, {"description": "x"}),
    ],
)
def test_outsiders_may_read_but_not_change_a_public_project(
    api_client, alice, public_web, method, path, body
):
    response = getattr(as_user(api_client, alice), method)(path, body, format="json")

    assert response.status_code == 403


def test_basic_credentials_work_as_well(api_client, role_members, secret_app):
    response = api_client.as_user(role_members[Role.GUEST]).get(f"{APP}/artifacts")

    assert response.status_code == 200
    assert response["X-Total-Count"] == "2"


def test_a_robot_acts_with_its_own_permissions(api_client, admin, secret_app, private_project):
    robot, secret = robot_create(
        creator=admin,
        name="ci",
        project=private_project,
        grants=[Grant(project=private_project, actions=frozenset({Action.PULL}))],
    )
    api_client.credentials(HTTP_AUTHORIZATION=basic_auth(robot.username, secret))

    read = api_client.get(f"{APP}/artifacts")
    delete = api_client.delete(f"{APP}/artifacts/v2")

    assert (read.status_code, delete.status_code) == (200, 403)
