"""Harbor's role x action matrix, end to end: through the token service and /v2/, and the REST API.

Every caller acts on the private project `secret`: a member of each role, a logged-in user with no
role (carol), an anonymous caller and a system admin. The expected statuses are written out by
hand from Harbor's permission matrix, not derived from projects.permissions, so the two can disagree.
On /v2/ a token without the scope is a 401 (the distribution spec's "insufficient scope") and a
project the caller cannot see does not exist (404); on the API a project the caller cannot see
is a 404, a forbidden action on one it sees a 403, and an anonymous caller is asked to log in (401).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from rest_framework.test import APIClient

from projects.models import Project, Role
from tests.conftest import RegistryClient, basic_auth
from tests.factories import UserFactory
from tests.support.oci import Image, make_image, sha256
from tests.support.registry import push_image

pytestmark = pytest.mark.django_db

LG, G, D, M, PA = Role.LIMITED_GUEST, Role.GUEST, Role.DEVELOPER, Role.MAINTAINER, Role.PROJECT_ADMIN
OUTSIDER, ANONYMOUS, SYSADMIN = "non-member", "anonymous", "system admin"
CALLERS = [LG, G, D, M, PA, OUTSIDER, ANONYMOUS, SYSADMIN]


def row(lg: int, g: int, d: int, m: int, pa: int, outsider: int, anonymous: int, sysadmin: int) -> dict:
    return dict(zip(CALLERS, [lg, g, d, m, pa, outsider, anonymous, sysadmin], strict=True))


# action -> expected status for each caller
MATRIX = {
    "v2: pull a manifest": row(200, 200, 200, 200, 200, 404, 401, 200),
    "v2: push a blob": row(401, 401, 201, 201, 201, 404, 401, 201),
    "v2: delete a manifest": row(401, 401, 401, 202, 202, 404, 401, 202),
    "api: get the project": row(200, 200, 200, 200, 200, 404, 401, 200),
    "api: read the project summary": row(200, 200, 200, 200, 200, 404, 401, 200),
    "api: list the members": row(403, 200, 200, 200, 200, 404, 401, 200),
    "api: get a member": row(403, 200, 200, 200, 200, 404, 401, 200),
    "api: add a member": row(403, 403, 403, 403, 201, 404, 401, 201),
    "api: change a member's role": row(403, 403, 403, 403, 200, 404, 401, 200),
    "api: remove a member": row(403, 403, 403, 403, 200, 404, 401, 200),
    "api: update the project": row(403, 403, 403, 403, 200, 404, 401, 200),
    "api: ask whether the project is deletable": row(403, 403, 403, 403, 200, 404, 401, 200),
    "api: delete the project": row(403, 403, 403, 403, 200, 404, 401, 200),
    "api: list the project's robots": row(403, 200, 200, 200, 200, 404, 401, 200),
    "api: create a robot in the project": row(403, 403, 403, 403, 201, 404, 401, 201),
    "api: create a project": row(201, 201, 201, 201, 201, 201, 401, 201),
}


@dataclass
class Caller:
    username: str | None  # None: anonymous
    project: Project
    image: Image | None

    def token(self, actions: str) -> str:
        headers = {"HTTP_AUTHORIZATION": basic_auth(self.username)} if self.username else {}
        response = Client().get(
            f"/service/token?service=harbor-registry&scope=repository:secret/app:{actions}", **headers
        )
        assert response.status_code == 200
        return response.json()["token"]

    def registry(self, actions: str) -> RegistryClient:
        return RegistryClient(f"Bearer {self.token(actions)}")

    def api(self) -> APIClient:
        client = APIClient()
        if self.username:
            client.credentials(HTTP_AUTHORIZATION=basic_auth(self.username))
        return client


def _member_id(caller: Caller) -> int:
    return caller.project.members.get(user__username="bystander").pk


ACTIONS: dict[str, Callable[[Caller], object]] = {
    "v2: pull a manifest": lambda c: c.registry("pull").get(
        "/v2/secret/app/manifests/v1", HTTP_ACCEPT=c.image.media_type
    ),
    "v2: push a blob": lambda c: c.registry("pull,push").post(
        f"/v2/secret/app/blobs/uploads/?digest={sha256(b'new layer')}",
        data=b"new layer",
        content_type="application/octet-stream",
    ),
    "v2: delete a manifest": lambda c: c.registry("delete").delete(
        f"/v2/secret/app/manifests/{c.image.digest}"
    ),
    "api: get the project": lambda c: c.api().get("/api/v2.0/projects/secret"),
    "api: read the project summary": lambda c: c.api().get("/api/v2.0/projects/secret/summary"),
    "api: list the members": lambda c: c.api().get("/api/v2.0/projects/secret/members"),
    "api: get a member": lambda c: c.api().get(f"/api/v2.0/projects/secret/members/{_member_id(c)}"),
    "api: add a member": lambda c: c.api().post(
        "/api/v2.0/projects/secret/members",
        {"role_id": Role.GUEST, "member_user": {"username": "newcomer"}},
        format="json",
    ),
    "api: change a member's role": lambda c: c.api().put(
        f"/api/v2.0/projects/secret/members/{_member_id(c)}", {"role_id": Role.DEVELOPER}, format="json"
    ),
    "api: remove a member": lambda c: c.api().delete(f"/api/v2.0/projects/secret/members/{_member_id(c)}"),
    "api: update the project": lambda c: c.api().put(
        "/api/v2.0/projects/secret", {"metadata": {"public": "true"}}, format="json"
    ),
    "api: ask whether the project is deletable": lambda c: c.api().get(
        "/api/v2.0/projects/secret/_deletable"
    ),
    "api: delete the project": lambda c: c.api().delete("/api/v2.0/projects/secret"),
    "api: list the project's robots": lambda c: c.api().get(
        f"/api/v2.0/robots?q=Level=project,ProjectID={c.project.pk}"
    ),
    "api: create a robot in the project": lambda c: c.api().post(
        "/api/v2.0/robots",
        {
            "name": "ci",
            "level": "project",
            "duration": -1,
            "permissions": [
                {
                    "kind": "project",
                    "namespace": "secret",
                    "access": [{"resource": "repository", "action": "pull"}],
                }
            ],
        },
        format="json",
    ),
    "api: create a project": lambda c: c.api().post(
        "/api/v2.0/projects", {"project_name": "fresh"}, format="json"
    ),
}


@pytest.fixture
def caller_of(role_members, admin, private_project):
    from projects.services.members import member_set_role

    UserFactory(username="newcomer")
    member_set_role(
        project=private_project, role=Role.GUEST, user=UserFactory(username="bystander"), actor=None
    )

    def make(who: object, image: Image | None) -> Caller:
        if who == ANONYMOUS:
            return Caller(None, private_project, image)
        if who == SYSADMIN:
            return Caller(admin.username, private_project, image)
        user = role_members[None] if who == OUTSIDER else role_members[who]
        return Caller(user.username, private_project, image)

    return make


def _label(value: object) -> str:
    return value.label.replace(" ", "-").lower() if isinstance(value, Role) else str(value).replace(" ", "-")


@pytest.mark.parametrize("action", list(MATRIX), ids=lambda a: a.replace(" ", "-"))
@pytest.mark.parametrize("who", CALLERS, ids=_label)
def test_role_action_matrix(caller_of, admin, action, who):
    image = None
    if action.startswith("v2:"):
        image = make_image(layer_count=1)
        push_image(RegistryClient(basic_auth(admin.username)), "secret/app", "v1", image)
    caller = caller_of(who, image)

    response = ACTIONS[action](caller)

    assert response.status_code == MATRIX[action][who], response.content
