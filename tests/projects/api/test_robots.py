"""/api/v2.0/robots[/{robot_id}]: Harbor's robot accounts (v2)."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
from django.utils import timezone

from audit.models import AuditEvent
from projects.models import Robot, Role
from projects.permissions import Action, project_actions
from projects.services.robots import Grant, robot_create
from tests.conftest import basic_auth
from tests.factories import ProjectFactory
from tests.projects.api.conftest import error_code

pytestmark = pytest.mark.django_db

ROBOT_FIELDS = {
    "id",
    "name",
    "description",
    "level",
    "duration",
    "editable",
    "disable",
    "expires_at",
    "permissions",
    "creator_type",
    "creator_ref",
    "creation_time",
    "update_time",
}


def access(*items: str) -> list[dict[str, str]]:
    return [dict(zip(("resource", "action"), item.split(":"), strict=True)) for item in items]


def project_robot(namespace: str = "secret", *items: str, name: str = "ci", **extra) -> dict:
    return {
        "name": name,
        "level": "project",
        "duration": -1,
        "permissions": [
            {"kind": "project", "namespace": namespace, "access": access(*items or ("repository:pull",))}
        ],
        **extra,
    }


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


@pytest.fixture
def ci_robot(project_admin, private_project) -> Robot:
    robot, _secret = robot_create(
        creator=project_admin,
        name="ci",
        project=private_project,
        grants=[Grant(private_project, frozenset({Action.PULL, Action.PUSH}))],
        description="builds",
        expires_at=timezone.now() + timedelta(days=30),
    )
    return robot


# --- POST /robots -------------------------------------------------------------------------------


def test_a_project_admin_creates_a_project_robot_that_can_log_in(
    api_as, project_admin, private_project, client
):
    response = api_as(project_admin).post(
        "/api/v2.0/robots", project_robot("secret", "repository:pull", "repository:push"), format="json"
    )

    body = response.json()
    robot = Robot.objects.get(pk=body["id"])
    assert response.status_code == 201
    assert response["Location"] == f"/api/v2.0/robots/{robot.pk}"
    assert set(body) == {"id", "name", "secret", "creation_time", "expires_at"}
    assert body["name"] == "robot$secret+ci"
    assert body["expires_at"] == -1
    assert robot.project == private_project
    assert token_actions(client, body["name"], body["secret"]) == ["pull", "push"]
    assert AuditEvent.objects.filter(
        operation="create", resource_type="robot", resource="robot$secret+ci"
    ).exists()


@pytest.mark.parametrize(
    ("items", "actions"),
    [
        (("repository:pull",), {Action.PULL}),
        (("repository:push",), {Action.PUSH}),
        (("repository:delete",), {Action.DELETE}),
        (("artifact:delete",), {Action.DELETE}),
        (("tag:delete", "repository:delete"), {Action.DELETE}),
        (("member:read",), {Action.READ_MEMBERS}),
        (("member:list",), {Action.READ_MEMBERS}),
        (("log:list",), {Action.READ_LOGS}),
    ],
)
def test_harbor_access_items_map_to_actions(api_as, project_admin, private_project, items, actions):
    response = api_as(project_admin).post("/api/v2.0/robots", project_robot("secret", *items), format="json")

    robot = Robot.objects.get(pk=response.json()["id"])
    assert project_actions(robot, private_project) == actions


@pytest.mark.parametrize(
    "item", ["artifact:read", "project:update", "robot:create", "scan:create", "repository:*"]
)
def test_an_access_item_without_an_action_is_400_naming_it(api_as, project_admin, item):
    response = api_as(project_admin).post(
        "/api/v2.0/robots", project_robot("secret", "repository:pull", item), format="json"
    )

    assert response.status_code == 400
    assert item in response.json()["errors"][0]["message"]
    assert not Robot.objects.exists()


def test_a_duration_in_days_sets_the_expiry(api_as, project_admin):
    before = timezone.now()

    response = api_as(project_admin).post("/api/v2.0/robots", project_robot(duration=7), format="json")

    expires_at = Robot.objects.get().expires_at
    assert before + timedelta(days=7) <= expires_at <= timezone.now() + timedelta(days=7)
    assert response.json()["expires_at"] == int(expires_at.timestamp())


@pytest.mark.parametrize("duration", [0, None])
def test_no_duration_is_the_configured_default(api_as, project_admin, settings, duration):
    settings.ROBOT_TOKEN_DURATION_DAYS = 3
    body = project_robot(duration=duration)

    api_as(project_admin).post("/api/v2.0/robots", body, format="json")

    robot = Robot.objects.get()
    assert robot.expires_at - robot.created_at == pytest.approx(timedelta(days=3), abs=timedelta(seconds=5))


def test_a_system_admin_creates_a_system_robot_over_several_projects(api_as, admin, private_project, library):
    body = {
        "name": "sync",
        "level": "system",
        "duration": -1,
        "permissions": [
            {"kind": "project", "namespace": "secret", "access": access("repository:pull")},
            {"kind": "project", "namespace": "library", "access": access("repository:push")},
        ],
    }

    response = api_as(admin).post("/api/v2.0/robots", body, format="json")

    robot = Robot.objects.get(pk=response.json()["id"])
    assert response.json()["name"] == "robot$sync"
    assert robot.project is None
    assert project_actions(robot, private_project) == {Action.PULL}
    assert project_actions(robot, library) == {Action.PULL, Action.PUSH}


def test_a_system_robot_may_cover_every_project(api_as, admin, client):
    body = {
        "name": "all",
        "level": "system",
        "duration": -1,
        "permissions": [{"kind": "project", "namespace": "*", "access": access("repository:pull")}],
    }

    created = api_as(admin).post("/api/v2.0/robots", body, format="json").json()
    ProjectFactory(name="later")

    assert token_actions(client, created["name"], created["secret"], "later/app") == ["pull"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        project_robot(name="Bad Name"),
        project_robot(name="a+b"),
        project_robot(level="global"),
        project_robot(duration=-2),
        project_robot(duration=2**31),
        project_robot(duration=3_000_000),  # past year 9999
        project_robot(duration="week"),
        project_robot(permissions=[]),
        project_robot(permissions="all"),
        project_robot(permissions=[{"kind": "project", "namespace": "secret", "access": []}]),
        project_robot(permissions=[{"kind": "system", "namespace": "/", "access": access("project:create")}]),
        project_robot(
            permissions=[{"kind": "project", "namespace": "*", "access": access("repository:pull")}]
        ),
        project_robot(
            permissions=[
                {"kind": "project", "namespace": "secret", "access": access("repository:pull")},
                {"kind": "project", "namespace": "secret", "access": access("repository:push")},
            ]
        ),
        project_robot(
            permissions=[
                {
                    "kind": "project",
                    "namespace": "secret",
                    "access": [{"resource": "repository", "action": "pull", "effect": "deny"}],
                }
            ]
        ),
    ],
)
def test_bad_robot_requests_are_400(api_as, project_admin, body):
    response = api_as(project_admin).post("/api/v2.0/robots", body, format="json")

    assert response.status_code == 400
    assert error_code(response) == "BAD_REQUEST"
    assert not Robot.objects.exists()


def test_a_taken_name_is_409(api_as, project_admin, ci_robot):
    response = api_as(project_admin).post("/api/v2.0/robots", project_robot(name="ci"), format="json")

    assert response.status_code == 409


@pytest.mark.parametrize("role", [Role.DEVELOPER, Role.MAINTAINER])
def test_below_project_admin_no_robots_are_created(api_as, role_members, role):
    response = api_as(role_members[role]).post("/api/v2.0/robots", project_robot(), format="json")

    assert response.status_code == 403
    assert not Robot.objects.exists()


def test_a_project_admin_cannot_create_a_system_robot(api_as, project_admin):
    body = {**project_robot(), "level": "system"}

    response = api_as(project_admin).post("/api/v2.0/robots", body, format="json")

    assert response.status_code == 403


def test_a_robot_in_an_unknown_project_is_404(api_as, project_admin):
    response = api_as(project_admin).post("/api/v2.0/robots", project_robot("nope"), format="json")

    assert response.status_code == 404


# --- GET /robots --------------------------------------------------------------------------------


def test_project_robots_are_listed_as_harbors_ui_asks(api_as, role_members, private_project, ci_robot):
    response = api_as(role_members[Role.GUEST]).get(
        f"/api/v2.0/robots?q=Level=project,ProjectID={private_project.pk}"
    )

    assert response.status_code == 200
    assert response["X-Total-Count"] == "1"
    robot = response.json()[0]
    assert set(robot) == ROBOT_FIELDS
    assert robot["name"] == "robot$secret+ci"
    assert robot["level"] == "project"
    assert robot["description"] == "builds"
    assert robot["duration"] == 30
    assert robot["editable"] is True
    assert robot["disable"] is False
    assert robot["expires_at"] == int(ci_robot.expires_at.timestamp())
    assert robot["creator_ref"] == role_members[Role.PROJECT_ADMIN].pk
    assert robot["permissions"] == [
        {
            "kind": "project",
            "namespace": "secret",
            "access": [
                {"resource": "repository", "action": "pull", "effect": "allow"},
                {"resource": "repository", "action": "push", "effect": "allow"},
            ],
        }
    ]
    assert "secret" not in {key for key in robot if key != "permissions"}


def test_project_robots_are_listed_with_plain_parameters_too(
    api_as, project_admin, private_project, ci_robot
):
    response = api_as(project_admin).get(f"/api/v2.0/robots?level=project&project_id={private_project.pk}")

    assert [r["name"] for r in response.json()] == ["robot$secret+ci"]


def test_without_a_level_system_robots_are_listed_for_system_admins(api_as, admin, ci_robot, library):
    robot_create(creator=admin, name="sync", grants=[Grant(library, frozenset({Action.PULL}))])

    response = api_as(admin).get("/api/v2.0/robots")

    assert [r["name"] for r in response.json()] == ["robot$sync"]


def test_only_system_admins_list_system_robots(api_as, project_admin):
    response = api_as(project_admin).get("/api/v2.0/robots")

    assert response.status_code == 403


def test_robots_are_filtered_by_name(api_as, project_admin, private_project, ci_robot):
    robot_create(
        creator=project_admin,
        name="deploy",
        project=private_project,
        grants=[Grant(private_project, frozenset({Action.PULL}))],
    )

    response = api_as(project_admin).get(
        f"/api/v2.0/robots?q=Level=project,ProjectID={private_project.pk},name=~dep"
    )

    assert [r["name"] for r in response.json()] == ["robot$secret+deploy"]


def test_listing_robots_costs_a_fixed_number_of_queries(
    api_client, project_admin, private_project, django_assert_max_num_queries
):
    for n in range(15):
        robot_create(
            creator=project_admin,
            name=f"r{n}",
            project=private_project,
            grants=[Grant(private_project, frozenset({Action.PULL}))],
        )
    api_client.force_authenticate(project_admin)

    with django_assert_max_num_queries(5):  # the project, the caller's actions, count, page, permissions
        response = api_client.get(
            f"/api/v2.0/robots?q=Level=project,ProjectID={private_project.pk}&page_size=50"
        )

    assert len(response.json()) == 15


@pytest.mark.parametrize(
    "query",
    [
        "q=Level=galaxy",
        "q=Level=project",
        "q=Level=project,ProjectID=abc",
        "q=Level=~proj,ProjectID=1",
        "q=Level=project,ProjectID=99999999999999999999",
        "level=project&project_id=x",
        "q=Level",
    ],
)
def test_bad_robot_list_queries_are_400(api_as, project_admin, query):
    response = api_as(project_admin).get(f"/api/v2.0/robots?{query}")

    assert response.status_code == 400


def test_a_limited_guest_does_not_see_the_robots(api_as, role_members, private_project):
    response = api_as(role_members[Role.LIMITED_GUEST]).get(
        f"/api/v2.0/robots?q=Level=project,ProjectID={private_project.pk}"
    )

    assert response.status_code == 403


# --- GET/PUT/PATCH/DELETE /robots/{robot_id} --------------------------------------------------


def test_a_guest_reads_a_project_robot(api_as, role_members, ci_robot):
    response = api_as(role_members[Role.GUEST]).get(f"/api/v2.0/robots/{ci_robot.pk}")

    assert response.status_code == 200
    assert response.json()["name"] == "robot$secret+ci"


def test_a_limited_guest_may_not_read_a_robot(api_as, role_members, ci_robot):
    response = api_as(role_members[Role.LIMITED_GUEST]).get(f"/api/v2.0/robots/{ci_robot.pk}")

    assert response.status_code == 403


@pytest.mark.parametrize(("robot_id", "status"), [("abc", 400), ("1e3", 400), ("0", 404), ("424242", 404)])
def test_bad_or_unknown_robot_ids(api_as, project_admin, robot_id, status):
    response = api_as(project_admin).get(f"/api/v2.0/robots/{robot_id}")

    assert response.status_code == status


def test_a_project_admin_updates_a_robot(api_as, project_admin, private_project, ci_robot, client):
    body = project_robot(
        "secret", "repository:pull", name="robot$secret+ci", description="reads only", disable=False
    )

    response = api_as(project_admin).put(f"/api/v2.0/robots/{ci_robot.pk}", body, format="json")

    ci_robot.refresh_from_db()
    assert response.status_code == 200
    assert ci_robot.description == "reads only"
    assert ci_robot.expires_at is None
    assert project_actions(ci_robot, private_project) == {Action.PULL}
    assert AuditEvent.objects.filter(operation="update", resource="robot$secret+ci").exists()


def test_an_update_accepts_the_short_name_and_may_disable(api_as, project_admin, ci_robot):
    body = project_robot("secret", "repository:pull", name="ci", disable=True)
    body.pop("duration")

    api_as(project_admin).put(f"/api/v2.0/robots/{ci_robot.pk}", body, format="json")

    ci_robot.refresh_from_db()
    assert ci_robot.disabled is True
    assert ci_robot.expires_at is not None  # no duration: the expiry stays


def test_a_new_duration_counts_from_the_robots_creation(api_as, project_admin, ci_robot):
    body = project_robot("secret", "repository:pull", name="ci", duration=90)

    api_as(project_admin).put(f"/api/v2.0/robots/{ci_robot.pk}", body, format="json")

    ci_robot.refresh_from_db()
    assert ci_robot.expires_at == ci_robot.created_at + timedelta(days=90)


@pytest.mark.parametrize(
    "change",
    [
        {"name": "other"},
        {"level": "system"},
        {"permissions": []},
        {"permissions": [{"kind": "project", "namespace": "secret", "access": access("project:delete")}]},
    ],
)
def test_bad_robot_updates_are_400(api_as, project_admin, ci_robot, change):
    body = {**project_robot("secret", "repository:pull", name="ci"), **change}

    response = api_as(project_admin).put(f"/api/v2.0/robots/{ci_robot.pk}", body, format="json")

    assert response.status_code == 400


def test_a_robot_cannot_move_to_another_project(api_as, admin, ci_robot):
    ProjectFactory(name="other")
    body = project_robot("other", "repository:pull", name="ci")

    response = api_as(admin).put(f"/api/v2.0/robots/{ci_robot.pk}", body, format="json")

    assert response.status_code == 400


def test_a_developer_cannot_update_a_robot(api_as, role_members, ci_robot):
    body = project_robot("secret", "repository:pull", "repository:delete", name="ci")

    response = api_as(role_members[Role.DEVELOPER]).put(
        f"/api/v2.0/robots/{ci_robot.pk}", body, format="json"
    )

    assert response.status_code == 403


def test_refreshing_returns_a_new_secret_once(api_as, project_admin, ci_robot, client):
    response = api_as(project_admin).patch(f"/api/v2.0/robots/{ci_robot.pk}", {}, format="json")

    secret = response.json()["secret"]
    assert response.status_code == 200
    assert len(secret) == 32
    assert token_actions(client, "robot$secret+ci", secret) == ["pull", "push"]
    assert AuditEvent.objects.filter(operation="refresh", resource="robot$secret+ci").exists()


def test_a_chosen_secret_is_set_and_not_echoed(api_as, project_admin, ci_robot, client):
    response = api_as(project_admin).patch(
        f"/api/v2.0/robots/{ci_robot.pk}", {"secret": "Chosen123"}, format="json"
    )

    assert response.json() == {"secret": ""}
    assert token_actions(client, "robot$secret+ci", "Chosen123") == ["pull", "push"]


@pytest.mark.parametrize("secret", ["short1A", "alllowercase1", "NoDigitsHere", ["Chosen123"]])
def test_a_weak_or_malformed_secret_is_400(api_as, project_admin, ci_robot, secret):
    response = api_as(project_admin).patch(
        f"/api/v2.0/robots/{ci_robot.pk}", {"secret": secret}, format="json"
    )

    assert response.status_code == 400


def test_a_guest_cannot_refresh_a_secret(api_as, role_members, ci_robot):
    response = api_as(role_members[Role.GUEST]).patch(f"/api/v2.0/robots/{ci_robot.pk}", {}, format="json")

    assert response.status_code == 403


def test_a_project_admin_deletes_a_robot(api_as, project_admin, ci_robot):
    response = api_as(project_admin).delete(f"/api/v2.0/robots/{ci_robot.pk}")

    assert response.status_code == 200
    assert not Robot.objects.exists()
    assert AuditEvent.objects.filter(operation="delete", resource="robot$secret+ci").exists()


def test_a_guest_cannot_delete_a_robot(api_as, role_members, ci_robot):
    response = api_as(role_members[Role.GUEST]).delete(f"/api/v2.0/robots/{ci_robot.pk}")

    assert response.status_code == 403
    assert Robot.objects.exists()


def test_anonymous_callers_are_asked_to_log_in(api_as, ci_robot):
    response = api_as(None).get(f"/api/v2.0/robots/{ci_robot.pk}")

    assert response.status_code == 401
