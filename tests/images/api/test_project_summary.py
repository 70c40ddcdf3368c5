"""/api/v2.0/projects/{project_name_or_id}/summary: repositories, members by role, storage quota."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from projects.models import Role
from tests.conftest import basic_auth
from tests.factories import BlobFactory, ProjectFactory, RepositoryFactory

pytestmark = pytest.mark.django_db


def client_as(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=basic_auth(user.username))
    return client


def test_a_member_sees_repositories_members_by_role_and_the_quota(role_members, private_project):
    private_project.storage_limit = 10_000
    private_project.save()
    app, web = (RepositoryFactory(project=private_project, name=f"secret/{n}") for n in ("app", "web"))
    BlobFactory(data=b"x" * 100, repository=app)
    BlobFactory(data=b"x" * 100, repository=web)  # the same blob: counted once
    BlobFactory(data=b"y" * 50, repository=web)

    response = client_as(role_members[Role.GUEST]).get("/api/v2.0/projects/secret/summary")

    assert response.status_code == 200
    assert response.json() == {
        "repo_count": 2,
        "project_admin_count": 1,
        "maintainer_count": 1,
        "developer_count": 1,
        "guest_count": 1,
        "limited_guest_count": 1,
        "quota": {"hard": {"storage": 10_000}, "used": {"storage": 150}},
    }


def test_blobs_of_other_projects_do_not_count(role_members, private_project):
    other = ProjectFactory(name="other")
    BlobFactory(data=b"z" * 70, repository=RepositoryFactory(project=other, name="other/app"))

    response = client_as(role_members[Role.GUEST]).get(f"/api/v2.0/projects/{private_project.pk}/summary")

    assert response.json()["quota"] == {"hard": {"storage": -1}, "used": {"storage": 0}}


def test_a_limited_guest_does_not_see_the_member_counts(role_members, private_project):
    response = client_as(role_members[Role.LIMITED_GUEST]).get("/api/v2.0/projects/secret/summary")

    assert set(response.json()) == {"repo_count", "quota"}


def test_anonymous_callers_read_the_summary_of_a_public_project(library):
    response = client_as().get("/api/v2.0/projects/library/summary")

    assert response.status_code == 200
    assert "project_admin_count" not in response.json()


def test_the_summary_of_a_project_the_caller_cannot_see_is_404(role_members, private_project):
    response = client_as(role_members[None]).get("/api/v2.0/projects/secret/summary")

    assert response.status_code == 404


def test_anonymous_callers_are_asked_to_log_in_for_a_private_project(private_project):
    response = client_as().get("/api/v2.0/projects/secret/summary")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="harborpy"'
