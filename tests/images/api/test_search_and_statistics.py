"""/search and /statistics: what the caller may see, in Harbor's shapes."""

from __future__ import annotations

import pytest

from images.models import Blob
from projects.models import Role
from tests.images.api.conftest import as_user

pytestmark = pytest.mark.django_db

SEARCH = "/api/v2.0/search"
STATISTICS = "/api/v2.0/statistics"


@pytest.fixture
def content(secret_app, public_web):
    return None


@pytest.mark.parametrize(
    ("q", "projects", "repositories"),
    [
        ("ECR", ["secret"], ["secret/app"]),
        ("web", [], ["library/web"]),
        ("r", ["library", "secret"], ["library/web", "secret/app"]),
    ],
)
def test_search_finds_projects_and_repositories_by_part_of_their_name(
    api_client, admin, content, q, projects, repositories
):
    response = as_user(api_client, admin).get(SEARCH, {"q": q})

    assert response.status_code == 200
    body = response.json()
    assert [p["name"] for p in body["project"]] == projects
    assert [r["repository_name"] for r in body["repository"]] == repositories


def test_search_results_in_harbors_shapes(api_client, admin, content):
    body = as_user(api_client, admin).get(SEARCH, {"q": "secret"}).json()

    [project] = body["project"]
    assert project["repo_count"] == 1
    assert project["metadata"] == {"public": "false"}
    assert project["project_id"] > 0 and project["deleted"] is False
    [repository] = body["repository"]
    assert repository == {
        "project_id": project["project_id"],
        "project_name": "secret",
        "project_public": False,
        "repository_name": "secret/app",
        "pull_count": 0,
        "artifact_count": 2,
    }


def test_search_shows_outsiders_and_anonymous_only_public_content(api_client, role_members, content):
    outsider = as_user(api_client, role_members[None]).get(SEARCH, {"q": "/"}).json()
    api_client.force_authenticate(None)
    anonymous = api_client.get(SEARCH, {"q": "/"}).json()

    assert [r["repository_name"] for r in outsider["repository"]] == ["library/web"]
    assert anonymous == outsider


def test_search_shows_members_their_private_content(api_client, role_members, content):
    body = as_user(api_client, role_members[Role.LIMITED_GUEST]).get(SEARCH, {"q": "/"}).json()

    assert [r["repository_name"] for r in body["repository"]] == ["library/web", "secret/app"]


@pytest.mark.parametrize("params", [{}, {"q": ""}])
def test_search_without_q_is_400(api_client, admin, params):
    assert as_user(api_client, admin).get(SEARCH, params).status_code == 400


def test_statistics_of_a_system_admin_include_the_totals(api_client, admin, content):
    response = as_user(api_client, admin).get(STATISTICS)

    assert response.json() == {
        "private_project_count": 1,
        "private_repo_count": 1,
        "public_project_count": 1,
        "public_repo_count": 1,
        "total_project_count": 2,
        "total_repo_count": 2,
        "total_storage_consumption": sum(Blob.objects.values_list("size", flat=True)),
    }


@pytest.mark.parametrize(("role", "private"), [(Role.GUEST, 1), (None, 0)])
def test_statistics_of_others_count_their_private_projects_and_no_totals(
    api_client, role_members, content, role, private
):
    response = as_user(api_client, role_members[role]).get(STATISTICS)

    assert response.json() == {
        "private_project_count": private,
        "private_repo_count": private,
        "public_project_count": 1,
        "public_repo_count": 1,
        "total_project_count": 0,
        "total_repo_count": 0,
        "total_storage_consumption": 0,
    }


def test_statistics_need_a_login(api_client, content):
    assert api_client.get(STATISTICS).status_code == 401
