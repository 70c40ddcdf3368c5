"""tags/list and _catalog, with n/last pagination and Link headers."""

from __future__ import annotations

import pytest

from tests.conftest import RegistryClient, bearer
from tests.factories import ArtifactFactory, RepositoryFactory, TagFactory
from tests.support.registry import errors

pytestmark = pytest.mark.django_db


@pytest.fixture
def tagged(library):
    repository = RepositoryFactory(project=library, name="library/app")
    artifact = ArtifactFactory(repository=repository)
    for name in ["v3", "latest", "v1", "v2", "alpha"]:
        TagFactory(repository=repository, artifact=artifact, name=name)
    return repository


def test_tags_list_is_lexically_sorted(admin_client, tagged):
    response = admin_client.get("/v2/library/app/tags/list")

    assert response.status_code == 200
    assert response.json() == {"name": "library/app", "tags": ["alpha", "latest", "v1", "v2", "v3"]}
    assert "Link" not in response


def test_tags_list_pages_with_n_and_last(admin_client, tagged):
    first = admin_client.get("/v2/library/app/tags/list?n=2")
    second = admin_client.get("/v2/library/app/tags/list?n=2&last=latest")
    last = admin_client.get("/v2/library/app/tags/list?n=2&last=v2")

    assert first.json()["tags"] == ["alpha", "latest"]
    assert first["Link"] == '</v2/library/app/tags/list?n=2&last=latest>; rel="next"'
    assert second.json()["tags"] == ["v1", "v2"]
    assert last.json()["tags"] == ["v3"]
    assert "Link" not in last


def test_tags_list_n_zero_is_empty(admin_client, tagged):
    assert admin_client.get("/v2/library/app/tags/list?n=0").json()["tags"] == []


@pytest.mark.parametrize("n", ["-1", "many"])
def test_tags_list_bad_n_is_refused(admin_client, tagged, n):
    response = admin_client.get(f"/v2/library/app/tags/list?n={n}")

    assert response.status_code == 400
    assert errors(response) == ["PAGINATION_NUMBER_INVALID"]


def test_tags_list_of_unknown_repository_is_name_unknown(admin_client, library):
    assert errors(admin_client.get("/v2/library/none/tags/list")) == ["NAME_UNKNOWN"]


def test_tags_list_costs_two_queries_with_a_token(tagged, django_assert_num_queries):
    client = RegistryClient(
        bearer("admin", [{"type": "repository", "name": "library/app", "actions": ["pull"]}])
    )

    with django_assert_num_queries(2):  # the repository, then one page of tags
        response = client.get("/v2/library/app/tags/list?n=100")

    assert response.status_code == 200


def test_catalog_pages_repositories(admin_client, library):
    for name in ["library/c", "library/a", "library/b"]:
        RepositoryFactory(project=library, name=name)

    first = admin_client.get("/v2/_catalog?n=2")
    second = admin_client.get("/v2/_catalog?n=2&last=library/b")

    assert first.json() == {"repositories": ["library/a", "library/b"]}
    assert first["Link"] == '</v2/_catalog?n=2&last=library%2Fb>; rel="next"'
    assert second.json() == {"repositories": ["library/c"]}


def test_anonymous_catalog_shows_only_public_projects(anon_client, library, private_project):
    RepositoryFactory(project=library, name="library/open")
    RepositoryFactory(project=private_project, name="secret/hidden")

    response = anon_client.get("/v2/_catalog")

    assert response.json() == {"repositories": ["library/open"]}


def test_tags_list_is_in_byte_order_whatever_the_database_locale(admin_client, library):
    repository = RepositoryFactory(project=library, name="library/cased")
    artifact = ArtifactFactory(repository=repository)
    for name in ["b", "B", "a", "A", "_x", "1"]:
        TagFactory(repository=repository, artifact=artifact, name=name)

    first = admin_client.get("/v2/library/cased/tags/list?n=3")
    rest = admin_client.get("/v2/library/cased/tags/list?n=10&last=A")

    assert first.json()["tags"] == ["1", "A", "B"]
    assert rest.json()["tags"] == ["B", "_x", "a", "b"]


def test_catalog_is_in_byte_order(admin_client, library):
    for name in ["library/a-b", "library/a.b", "library/a/b", "library/a_b", "library/ab"]:
        RepositoryFactory(project=library, name=name)

    response = admin_client.get("/v2/_catalog")

    assert response.json()["repositories"] == sorted(
        ["library/a-b", "library/a.b", "library/a/b", "library/a_b", "library/ab"]
    )
