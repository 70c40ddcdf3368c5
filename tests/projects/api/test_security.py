"""The REST API's boundaries: other projects, other roles, robots, anonymous callers, names and ids.

A project the caller cannot see is a 404 whatever it asks (the API must not tell which private
projects exist); one it sees is a 403 for what its role does not allow; an anonymous caller is
asked to log in (401) whether the project exists or not.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from projects.models import Project, ProjectMember, Robot, Role
from projects.permissions import Action
from projects.services.members import member_set_role
from projects.services.robots import Grant, robot_create
from tests.factories import ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_of_a(db):
    """Ann, project admin of project `a` only."""
    ann = UserFactory(username="ann")
    member_set_role(project=ProjectFactory(name="a"), role=Role.PROJECT_ADMIN, user=ann, actor=None)
    return ann


@pytest.fixture
def project_b(request, db) -> Project:
    """Project `b` with a member and a robot of its own; private unless parametrized "public"."""
    b = ProjectFactory(name="b", is_public=getattr(request, "param", "private") == "public")
    owner = UserFactory(username="bob")
    member_set_role(project=b, role=Role.PROJECT_ADMIN, user=owner, actor=None)
    robot_create(creator=owner, name="ci", project=b, grants=[Grant(b, frozenset({Action.PULL}))])
    return b


def b_robot(permissions_namespace: str = "b") -> dict:
    return {
        "name": "mine",
        "level": "project",
        "duration": -1,
        "permissions": [
            {
                "kind": "project",
                "namespace": permissions_namespace,
                "access": [{"resource": "repository", "action": "pull"}],
            }
        ],
    }


def requests_on(b: Project) -> dict:
    member = ProjectMember.objects.get(project=b)
    robot = Robot.objects.get(project=b)
    return {
        "get project": ("get", f"/api/v2.0/projects/{b.pk}", None),
        "update project": ("put", f"/api/v2.0/projects/{b.pk}", {"metadata": {"public": "true"}}),
        "delete project": ("delete", f"/api/v2.0/projects/{b.pk}", None),
        "deletable": ("get", f"/api/v2.0/projects/{b.pk}/_deletable", None),
        "summary": ("get", f"/api/v2.0/projects/{b.pk}/summary", None),
        "list members": ("get", f"/api/v2.0/projects/{b.pk}/members", None),
        "get member": ("get", f"/api/v2.0/projects/{b.pk}/members/{member.pk}", None),
        "add member": (
            "post",
            f"/api/v2.0/projects/{b.pk}/members",
            {"role_id": Role.PROJECT_ADMIN, "member_user": {"username": "ann"}},
        ),
        "change member": ("put", f"/api/v2.0/projects/{b.pk}/members/{member.pk}", {"role_id": Role.GUEST}),
        "remove member": ("delete", f"/api/v2.0/projects/{b.pk}/members/{member.pk}", None),
        "list robots": ("get", f"/api/v2.0/robots?q=Level=project,ProjectID={b.pk}", None),
        "create robot": ("post", "/api/v2.0/robots", b_robot()),
        "get robot": ("get", f"/api/v2.0/robots/{robot.pk}", None),
        "update robot": ("put", f"/api/v2.0/robots/{robot.pk}", {**b_robot(), "name": "ci"}),
        "refresh robot secret": ("patch", f"/api/v2.0/robots/{robot.pk}", {}),
        "delete robot": ("delete", f"/api/v2.0/robots/{robot.pk}", None),
    }


def send(client: APIClient, method: str, url: str, body: dict | None):
    return (
        getattr(client, method)(url, body, format="json")
        if body is not None
        else getattr(client, method)(url)
    )


REQUESTS = [
    "get project",
    "update project",
    "delete project",
    "deletable",
    "summary",
    "list members",
    "get member",
    "add member",
    "change member",
    "remove member",
    "list robots",
    "create robot",
    "get robot",
    "update robot",
    "refresh robot secret",
    "delete robot",
]

# What ann, admin of another project, gets on b when b is public: she sees it, may read it only.
ON_PUBLIC_B = {"get project": 200, "summary": 200}


def unchanged(b: Project, *, public: bool) -> bool:
    """b is as the fixture made it: same visibility, its admin, its robot, and ann is no member."""
    return (
        Project.objects.filter(pk=b.pk, is_public=public).exists()
        and ProjectMember.objects.get(project=b, user__username="bob").role == Role.PROJECT_ADMIN
        and Robot.objects.filter(project=b).count() == 1
        and not ProjectMember.objects.filter(project=b, user__username="ann").exists()
    )


@pytest.mark.parametrize("what", REQUESTS)
def test_an_admin_of_another_project_finds_nothing_in_a_private_project(api_as, admin_of_a, project_b, what):
    method, url, body = requests_on(project_b)[what]

    response = send(api_as(admin_of_a), method, url, body)

    assert response.status_code == 404
    assert unchanged(project_b, public=False)


@pytest.mark.parametrize("project_b", ["public"], indirect=True)
@pytest.mark.parametrize("what", REQUESTS)
def test_an_admin_of_another_project_only_reads_a_public_project(api_as, admin_of_a, project_b, what):
    method, url, body = requests_on(project_b)[what]

    response = send(api_as(admin_of_a), method, url, body)

    assert response.status_code == ON_PUBLIC_B.get(what, 403)
    assert unchanged(project_b, public=True)


@pytest.mark.parametrize("what", REQUESTS)
def test_anonymous_callers_are_asked_to_log_in(api_as, project_b, what):
    method, url, body = requests_on(project_b)[what]

    response = send(api_as(None), method, url, body)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="harborpy"'
    assert unchanged(project_b, public=False)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v2.0/projects/secret",
        "/api/v2.0/projects/nothere",
        "/api/v2.0/projects/secret/summary",
        "/api/v2.0/projects/nothere/summary",
        "/api/v2.0/projects/424242",
    ],
)
def test_anonymous_callers_cannot_tell_a_private_project_from_a_missing_one(api_as, private_project, url):
    response = api_as(None).get(url)

    assert response.status_code == 401


def test_a_private_project_and_a_missing_one_look_the_same_to_an_outsider(
    api_as, role_members, private_project
):
    outsider = api_as(role_members[None])

    private = outsider.get(f"/api/v2.0/projects/{private_project.pk}")
    missing = outsider.get(f"/api/v2.0/projects/{private_project.pk + 1000}")

    assert private.status_code == missing.status_code == 404
    assert private.json()["errors"][0]["message"].replace(str(private_project.pk), "N") == missing.json()[
        "errors"
    ][0]["message"].replace(str(private_project.pk + 1000), "N")


def test_a_robots_404_does_not_name_its_project(api_as, admin_of_a, project_b):
    robot = Robot.objects.get(project=project_b)

    response = api_as(admin_of_a).get(f"/api/v2.0/robots/{robot.pk}")

    assert "b" not in response.json()["errors"][0]["message"].replace("Robot", "").replace("robot", "")


# --- No more rights than the creator ---------------------------------------------------------


@pytest.mark.parametrize("project_b", ["public"], indirect=True)
def test_a_project_admin_cannot_create_a_robot_in_a_project_it_only_sees(api_as, admin_of_a, project_b):
    response = api_as(admin_of_a).post("/api/v2.0/robots", b_robot("b"), format="json")

    assert response.status_code == 403
    assert not Robot.objects.filter(name="mine").exists()


@pytest.mark.parametrize("namespace", ["a", "*"])
def test_a_project_admin_cannot_create_a_system_robot(api_as, admin_of_a, namespace):
    body = {**b_robot(namespace), "level": "system"}

    response = api_as(admin_of_a).post("/api/v2.0/robots", body, format="json")

    assert response.status_code == 403
    assert not Robot.objects.exists()


@pytest.mark.parametrize("project_b", ["public"], indirect=True)
def test_a_project_robot_cannot_be_stretched_to_another_project(api_as, admin_of_a, project_b):
    created = api_as(admin_of_a).post("/api/v2.0/robots", b_robot("a"), format="json").json()
    body = {
        **b_robot("a"),
        "name": "mine",
        "permissions": [
            *b_robot("a")["permissions"],
            {"kind": "project", "namespace": "b", "access": [{"resource": "repository", "action": "pull"}]},
        ],
    }

    response = api_as(admin_of_a).put(f"/api/v2.0/robots/{created['id']}", body, format="json")

    assert response.status_code == 400
    assert list(Robot.objects.get(pk=created["id"]).permissions.values_list("project__name", flat=True)) == [
        "a"
    ]


@pytest.mark.parametrize("item", ["project:update", "member:create", "robot:create"])
def test_no_robot_is_given_rights_over_the_project_itself(api_as, admin_of_a, item):
    body = b_robot("a")
    resource, action = item.split(":")
    body["permissions"][0]["access"].append({"resource": resource, "action": action})

    response = api_as(admin_of_a).post("/api/v2.0/robots", body, format="json")

    assert response.status_code == 400
    assert not Robot.objects.exists()


# --- Roles below project admin --------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.LIMITED_GUEST, Role.GUEST, Role.DEVELOPER, Role.MAINTAINER])
def test_a_member_cannot_raise_its_own_role(api_as, role_members, private_project, role):
    user = role_members[role]
    member = ProjectMember.objects.get(project=private_project, user=user)

    response = api_as(user).put(
        f"/api/v2.0/projects/secret/members/{member.pk}", {"role_id": Role.PROJECT_ADMIN}, format="json"
    )

    assert response.status_code == 403
    assert ProjectMember.objects.get(pk=member.pk).role == role


def test_a_developer_cannot_add_members_or_itself_as_admin(api_as, role_members, private_project):
    developer = role_members[Role.DEVELOPER]
    UserFactory(username="friend")
    client = api_as(developer)

    friend = client.post(
        "/api/v2.0/projects/secret/members",
        {"role_id": Role.GUEST, "member_user": {"username": "friend"}},
        format="json",
    )
    itself = client.post(
        "/api/v2.0/projects/secret/members",
        {"role_id": Role.PROJECT_ADMIN, "member_user": {"user_id": developer.pk}},
        format="json",
    )

    assert friend.status_code == itself.status_code == 403
    assert not ProjectMember.objects.filter(user__username="friend").exists()
    assert ProjectMember.objects.get(user=developer).role == Role.DEVELOPER


def test_a_maintainer_cannot_remove_the_project_admin(api_as, role_members, private_project):
    admin_member = ProjectMember.objects.get(project=private_project, user=role_members[Role.PROJECT_ADMIN])

    response = api_as(role_members[Role.MAINTAINER]).delete(
        f"/api/v2.0/projects/secret/members/{admin_member.pk}"
    )

    assert response.status_code == 403
    assert ProjectMember.objects.filter(pk=admin_member.pk).exists()


# --- Names and ids ---------------------------------------------------------------------------


@pytest.fixture
def numeric_name(admin_of_a) -> tuple[Project, Project]:
    """Ann administers a project named "123"; project id 123 is someone else's private project."""
    named = ProjectFactory(name="123")
    member_set_role(project=named, role=Role.PROJECT_ADMIN, user=admin_of_a, actor=None)
    other = ProjectFactory(name="hidden")
    Project.objects.filter(pk=other.pk).update(id=123)
    return named, Project.objects.get(pk=123)


def test_a_numeric_name_is_an_id_unless_the_header_says_name(api_as, admin_of_a, numeric_name):
    named, _hidden = numeric_name
    client = api_as(admin_of_a)

    as_id = client.get("/api/v2.0/projects/123")
    as_name = client.get("/api/v2.0/projects/123", HTTP_X_IS_RESOURCE_NAME="true")

    assert as_id.status_code == 404
    assert as_name.json()["project_id"] == named.pk


def test_deleting_by_a_numeric_name_without_the_header_targets_the_id(api_as, admin_of_a, numeric_name):
    client = api_as(admin_of_a)

    by_id = client.delete("/api/v2.0/projects/123")
    by_name = client.delete("/api/v2.0/projects/123", HTTP_X_IS_RESOURCE_NAME="true")

    assert by_id.status_code == 404
    assert by_name.status_code == 200
    assert list(Project.objects.filter(name__in=["123", "hidden"]).values_list("name", flat=True)) == [
        "hidden"
    ]


def test_members_of_a_numeric_name_follow_the_same_rule(api_as, admin_of_a, numeric_name):
    client = api_as(admin_of_a)

    as_id = client.get("/api/v2.0/projects/123/members")
    as_name = client.get("/api/v2.0/projects/123/members", HTTP_X_IS_RESOURCE_NAME="1")

    assert as_id.status_code == 404
    assert [m["entity_name"] for m in as_name.json()] == ["ann"]


# --- Robots and other principals ------------------------------------------------------------


@pytest.fixture
def robot_with_secret(role_members, private_project) -> tuple[Robot, str]:
    return robot_create(
        creator=role_members[Role.PROJECT_ADMIN],
        name="reader",
        project=private_project,
        grants=[Grant(private_project, frozenset({Action.PULL, Action.READ_MEMBERS}))],
    )


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("get", "/api/v2.0/robots", None),
        ("get", "/api/v2.0/robots?q=Level=project,ProjectID={project}", None),
        ("post", "/api/v2.0/robots", "create"),
        ("get", "/api/v2.0/robots/{robot}", None),
        ("patch", "/api/v2.0/robots/{robot}", {}),
        ("delete", "/api/v2.0/robots/{robot}", None),
    ],
)
def test_robots_may_not_use_the_robots_api(api_as, robot_with_secret, private_project, method, url, body):
    robot, secret = robot_with_secret
    url = url.format(project=private_project.pk, robot=robot.pk)
    if body == "create":
        body = b_robot("secret")

    response = send(api_as(robot, secret), method, url, body)

    assert response.status_code == 403
    assert Robot.objects.filter(pk=robot.pk).exists()


def test_a_robot_reads_what_its_permissions_allow_and_changes_nothing(api_as, robot_with_secret):
    robot, secret = robot_with_secret
    client = api_as(robot, secret)
    UserFactory(username="friend")

    members = client.get("/api/v2.0/projects/secret/members")
    add = client.post(
        "/api/v2.0/projects/secret/members",
        {"role_id": Role.GUEST, "member_user": {"username": "friend"}},
        format="json",
    )
    update = client.put("/api/v2.0/projects/secret", {"metadata": {"public": "true"}}, format="json")

    assert members.status_code == 200
    assert add.status_code == update.status_code == 403


def test_a_disabled_user_is_not_authenticated(api_as, role_members):
    admin_of_secret = role_members[Role.PROJECT_ADMIN]
    admin_of_secret.is_active = False
    admin_of_secret.save()

    response = api_as(admin_of_secret).get("/api/v2.0/projects/secret")

    assert response.status_code == 401


def test_session_writes_need_the_csrf_token(role_members):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(role_members[Role.PROJECT_ADMIN])

    response = client.delete("/api/v2.0/projects/secret")

    assert response.status_code == 403
    assert Project.objects.filter(name="secret").exists()
