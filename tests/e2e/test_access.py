"""Who may push and pull, with real clients: database users by role, a robot account, an outsider."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

import pytest

from tests.support import skopeo as sk
from tests.support.commands import Client
from tests.support.live_server import LiveServer
from tests.support.oci import make_image, read_layout, write_layout

pytestmark = pytest.mark.e2e

PASSWORD = "Team-" + secrets.token_hex(6) + "A1"

# Run in the server's environment: the same services the API and the admin site use.
SETUP = """
import json
from projects.models import Role
from projects.permissions import Action
from projects.services.members import member_set_role
from projects.services.projects import project_create
from projects.services.robots import Grant, robot_create
from projects.models import User
admin = User.objects.get(username="admin")
team = project_create(name="{project}", is_public=False, owner=admin)
for name, role in [("dev", Role.DEVELOPER), ("guest", Role.GUEST), ("outsider", None)]:
    user = User.objects.create_user(username=f"{project}-" + name, password="{password}")
    if role is not None:
        member_set_role(project=team, role=role, user=user, actor=admin)
robot, secret = robot_create(creator=admin, name="ci", project=team,
                             grants=[Grant(team, frozenset({{Action.PULL, Action.PUSH}}))])
print(json.dumps({{"robot": robot.username, "secret": secret}}))
"""


@dataclass(frozen=True)
class Team:
    project: str
    robot: str
    robot_secret: str

    def user(self, name: str) -> str:
        return f"{self.project}-{name}"


@pytest.fixture(scope="module")
def team(live_registry: LiveServer) -> Team:
    project = "team-" + secrets.token_hex(3)
    out = live_registry.manage("shell", "-c", SETUP.format(project=project, password=PASSWORD)).stdout
    robot = json.loads(out.strip().splitlines()[-1])
    return Team(project=project, robot=robot["robot"], robot_secret=robot["secret"])


def push(skopeo: Client, server: LiveServer, layout: str, reference: str, creds: str):
    return skopeo(
        "copy",
        "--dest-tls-verify=false",
        "--dest-creds",
        creds,
        layout,
        sk.remote(server, reference),
        check=False,
        timeout=120,
    )


def pull(skopeo: Client, server: LiveServer, reference: str, destination: str, creds: str | None):
    auth = ["--src-creds", creds] if creds else ["--src-no-creds"]
    return skopeo(
        "copy",
        "--src-tls-verify=false",
        *auth,
        sk.remote(server, reference),
        destination,
        check=False,
        timeout=120,
    )


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory):
    image = make_image(seed="access", layer_count=1)
    return image, sk.oci(write_layout(tmp_path_factory.mktemp("access") / "in", [image], tag="v1"), "v1")


def test_a_developer_pushes_and_a_guest_pulls_the_same_image(skopeo, live_registry, team, layout, tmp_path):
    image, source = layout

    pushed = push(skopeo, live_registry, source, f"{team.project}/app:v1", f"{team.user('dev')}:{PASSWORD}")
    pulled = pull(
        skopeo,
        live_registry,
        f"{team.project}/app:v1",
        sk.oci(tmp_path / "out", "v1"),
        f"{team.user('guest')}:{PASSWORD}",
    )

    assert pushed.returncode == 0, pushed.stderr
    assert pulled.returncode == 0, pulled.stderr
    assert read_layout(tmp_path / "out", "v1").digest == image.digest


def test_a_guest_cannot_push(skopeo, live_registry, team, layout):
    _image, source = layout

    result = push(
        skopeo, live_registry, source, f"{team.project}/guest:v1", f"{team.user('guest')}:{PASSWORD}"
    )

    assert result.returncode != 0
    assert "unauthorized" in result.stderr.lower() or "denied" in result.stderr.lower()


@pytest.mark.parametrize("creds", ["outsider", None], ids=["outsider", "anonymous"])
def test_a_private_project_is_closed_to_non_members(skopeo, live_registry, team, layout, tmp_path, creds):
    _image, source = layout
    assert (
        push(
            skopeo, live_registry, source, f"{team.project}/closed:v1", f"{team.user('dev')}:{PASSWORD}"
        ).returncode
        == 0
    )

    result = pull(
        skopeo,
        live_registry,
        f"{team.project}/closed:v1",
        sk.oci(tmp_path / "out", "v1"),
        f"{team.user(creds)}:{PASSWORD}" if creds else None,
    )

    assert result.returncode != 0


def test_a_robot_pushes_with_docker_login_credentials(skopeo, podman, live_registry, team, layout, tmp_path):
    image, source = layout

    login = podman(
        "login",
        "--username",
        team.robot,
        "--password-stdin",
        live_registry.host,
        input=team.robot_secret,
        check=False,
    )
    pushed = push(
        skopeo, live_registry, source, f"{team.project}/robot:v1", f"{team.robot}:{team.robot_secret}"
    )
    pulled = pull(
        skopeo,
        live_registry,
        f"{team.project}/robot:v1",
        sk.oci(tmp_path / "out", "v1"),
        f"{team.robot}:{team.robot_secret}",
    )

    assert login.returncode == 0, login.stderr
    assert pushed.returncode == 0, pushed.stderr
    assert pulled.returncode == 0, pulled.stderr
    assert read_layout(tmp_path / "out", "v1").digest == image.digest


def test_a_robot_cannot_reach_another_project(skopeo, live_registry, team, layout):
    _image, source = layout

    result = push(
        skopeo, live_registry, source, "library/robot-elsewhere:v1", f"{team.robot}:{team.robot_secret}"
    )

    assert result.returncode != 0
