"""Actors and content of the portal's tests.

Projects: `alpha` (private) with one member per role, `library` (public, no members) and `beta`
(private, nobody's). Users: `root` (system admin), `pat` (Project Admin), `max` (Maintainer),
`dev` (Developer), `gus` (Guest), `lim` (Limited Guest) of alpha, `carol` (no role anywhere).
Content is pushed through /v2/: alpha/app (an image tagged 1.0 and latest, with an SBOM and a cosign
signature), alpha/multi (an index over linux/amd64 and linux/arm64, tagged 2.0), library/nginx
(tagged stable) and beta/tool (tagged v1).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from projects.models import Project, Role
from projects.services.members import member_set_role
from tests.conftest import RegistryClient, basic_auth
from tests.factories import ProjectFactory, UserFactory
from tests.support.content import Pushed, push_app, push_multi_platform
from tests.support.oci import Image, make_image
from tests.support.registry import push_image

ROLES = {
    "pat": Role.PROJECT_ADMIN,
    "max": Role.MAINTAINER,
    "dev": Role.DEVELOPER,
    "gus": Role.GUEST,
    "lim": Role.LIMITED_GUEST,
}


@pytest.fixture
def alpha(db) -> Project:
    return ProjectFactory(name="alpha", is_public=False)


@pytest.fixture
def beta(db) -> Project:
    return ProjectFactory(name="beta", is_public=False)


@pytest.fixture
def people(alpha, library, beta) -> dict[str, object]:
    users: dict[str, object] = {"root": UserFactory(username="root", is_superuser=True, is_staff=True)}
    for username, role in ROLES.items():
        users[username] = UserFactory(username=username)
        member_set_role(project=alpha, role=role, user=users[username], actor=None)
    users["carol"] = UserFactory(username="carol")
    return users


@dataclass
class Content:
    app: Pushed
    multi_index: str
    multi_children: list[Image]
    nginx: Image
    tool: Image


@pytest.fixture
def content(people) -> Content:
    client = RegistryClient(basic_auth("root"))
    app = push_app(client, "alpha/app", seed="app")
    multi_index, children = push_multi_platform(client, "alpha/multi", "2.0", seed="multi")
    nginx = make_image(seed="nginx")
    push_image(client, "library/nginx", "stable", nginx)
    tool = make_image(seed="tool")
    push_image(client, "beta/tool", "v1", tool)
    return Content(app, multi_index, children, nginx, tool)


@pytest.fixture
def as_user(people):
    """A test client logged in as one of `people` (None: anonymous), from 192.0.2.7."""

    def make(username: str | None) -> Client:
        client = Client(REMOTE_ADDR="192.0.2.7")
        if username is not None:
            client.force_login(people[username])
        return client

    return make


def text(response) -> str:
    return response.content.decode()
