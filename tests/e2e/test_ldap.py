"""LDAP users with a real client: skopeo logs in and pushes as a user whose nested LDAP group is
Developer of a private project, and an LDAP user with no role there cannot pull.

The live gunicorn gets its LDAP configuration from HARBORPY_LDAP_* environment variables, as a
deployment does, and talks to the test slapd.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator

import pytest

from tests.support import skopeo as sk
from tests.support.commands import Client
from tests.support.live_server import LiveServer, serve
from tests.support.oci import make_image, read_layout, write_layout
from tests.support.slapd import PASSWORD, Slapd, group_dn, harborpy_environment

pytestmark = pytest.mark.e2e

# Run in the server's environment: the LDAP group `developers` (bob is in it through `backend`)
# becomes Developer of a new private project.
SETUP = """
from projects.models import Role, User
from projects.services.ldap import ldap_usergroup_ensure
from projects.services.members import member_set_role
from projects.services.projects import project_create
admin = User.objects.get(username="admin")
team = project_create(name="{project}", is_public=False, owner=admin)
group = ldap_usergroup_ensure(dn="{group}", name="developers")
member_set_role(project=team, role=Role.DEVELOPER, group=group.group, actor=admin)
"""


@pytest.fixture(scope="module")
def ldap_registry(slapd: Slapd, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """harborpy under gunicorn with LDAP logins against the test slapd."""
    slapd.reset()
    with serve(
        base_dir=tmp_path_factory.mktemp("live-server-ldap"),
        database_url=os.environ.get("DATABASE_URL") or None,
        environment=harborpy_environment(slapd),
    ) as server:
        yield server


@pytest.fixture(scope="module")
def project(ldap_registry: LiveServer) -> str:
    name = "ldap-team-" + secrets.token_hex(3)
    ldap_registry.manage("shell", "-c", SETUP.format(project=name, group=group_dn("developers")))
    return name


@pytest.fixture(scope="module")
def skopeo_ldap(skopeo_binary: str, tmp_path_factory: pytest.TempPathFactory) -> Client:
    """skopeo with a policy accepting unsigned images and a private auth file for `skopeo login`."""
    base = tmp_path_factory.mktemp("skopeo-ldap")
    policy = base / "policy.json"
    policy.write_text(json.dumps({"default": [{"type": "insecureAcceptAnything"}]}))
    (base / "auth.json").write_text(json.dumps({"auths": {}}))
    (base / "tmp").mkdir()
    env = {**os.environ, "REGISTRY_AUTH_FILE": str(base / "auth.json"), "TMPDIR": str(base / "tmp")}
    return Client((skopeo_binary, "--policy", str(policy)), env)


@pytest.fixture(scope="module")
def image_layout(tmp_path_factory: pytest.TempPathFactory):
    image = make_image(seed="ldap", layer_count=2)
    return image, sk.oci(write_layout(tmp_path_factory.mktemp("ldap-image") / "in", [image], tag="v1"), "v1")


def test_an_ldap_user_of_a_nested_developer_group_pushes_and_pulls(
    skopeo_ldap, ldap_registry, project, image_layout, tmp_path
):
    image, source = image_layout
    reference = sk.remote(ldap_registry, f"{project}/app:v1")

    login = skopeo_ldap(
        "login",
        "--tls-verify=false",
        "--username",
        "bob",
        "--password-stdin",
        ldap_registry.host,
        input=PASSWORD,
    )
    pushed = skopeo_ldap("copy", "--dest-tls-verify=false", source, reference, check=False)
    pulled = skopeo_ldap(
        "copy", "--src-tls-verify=false", reference, sk.oci(tmp_path / "out", "v1"), check=False
    )

    assert login.returncode == 0, login.stderr
    assert pushed.returncode == 0, pushed.stderr
    assert pulled.returncode == 0, pulled.stderr
    assert read_layout(tmp_path / "out", "v1").digest == image.digest


def test_an_ldap_user_without_a_role_cannot_pull(skopeo_ldap, ldap_registry, project, image_layout, tmp_path):
    _image, source = image_layout
    reference = sk.remote(ldap_registry, f"{project}/closed:v1")
    pushed = skopeo_ldap(
        "copy", "--dest-tls-verify=false", "--dest-creds", f"bob:{PASSWORD}", source, reference, check=False
    )
    assert pushed.returncode == 0, pushed.stderr

    pulled = skopeo_ldap(
        "copy",
        "--src-tls-verify=false",
        "--src-creds",
        f"cleo:{PASSWORD}",
        reference,
        sk.oci(tmp_path / "out", "v1"),
        check=False,
    )

    assert pulled.returncode != 0
    # cleo's credentials are good: the private project is hidden from her, as from any outsider.
    assert "name unknown" in pulled.stderr.lower(), pulled.stderr


def test_a_wrong_ldap_password_is_refused_at_login(skopeo_ldap, ldap_registry):
    login = skopeo_ldap(
        "login",
        "--tls-verify=false",
        "--username",
        "bob",
        "--password-stdin",
        ldap_registry.host,
        input="not-the-password",
        check=False,
    )

    assert login.returncode != 0
