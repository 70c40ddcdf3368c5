"""Actors and content for the admin site: two private projects, `alpha` and `beta`, and staff users
with a role in `alpha` only; each project holds a repository with a tagged artifact."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from images.models import Artifact, Repository, Tag
from projects.models import Project, Role
from projects.services.members import member_set_role
from tests.factories import ArtifactFactory, ProjectFactory, RepositoryFactory, TagFactory, UserFactory


@pytest.fixture
def alpha(db) -> Project:
    return ProjectFactory(name="alpha")


@pytest.fixture
def beta(db) -> Project:
    return ProjectFactory(name="beta")


def _member(username: str, project: Project, role: Role, *, staff: bool = True):
    user = UserFactory(username=username, is_staff=staff)
    member_set_role(project=project, role=role, user=user, actor=None)
    return user


@pytest.fixture
def alpha_admin(alpha):
    """Staff, Project Admin of alpha."""
    return _member("pat", alpha, Role.PROJECT_ADMIN)


@pytest.fixture
def alpha_maintainer(alpha):
    return _member("max", alpha, Role.MAINTAINER)


@pytest.fixture
def alpha_developer(alpha):
    return _member("dev", alpha, Role.DEVELOPER)


@pytest.fixture
def alpha_guest(alpha):
    return _member("gus", alpha, Role.GUEST)


@pytest.fixture
def non_staff_admin(alpha):
    """Project Admin of alpha without the staff flag: no admin site for it."""
    return _member("nora", alpha, Role.PROJECT_ADMIN, staff=False)


@dataclass
class Content:
    repository: Repository
    artifact: Artifact
    tag: Tag


def _content(project: Project, name: str) -> Content:
    repository = RepositoryFactory(project=project, name=f"{project.name}/{name}")
    artifact = ArtifactFactory(repository=repository)
    tag = TagFactory(artifact=artifact, repository=repository, name="latest")
    return Content(repository, artifact, tag)


@pytest.fixture
def alpha_content(alpha) -> Content:
    return _content(alpha, "app")


@pytest.fixture
def beta_content(beta) -> Content:
    return _content(beta, "tool")


@pytest.fixture
def login_as(db):
    """A Django test client logged in (session) as `user`, from 192.0.2.7."""

    def make(user) -> Client:
        client = Client(REMOTE_ADDR="192.0.2.7")
        client.force_login(user)
        return client

    return make
