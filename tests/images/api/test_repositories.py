"""Repositories: list (q, sort, paging), read, describe, delete; /repositories."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from images.models import Artifact, Blob, Repository, RepositoryBlob, Tag
from projects.models import Role
from tests.images.api.conftest import as_user, push_index
from tests.support.oci import make_image
from tests.support.registry import push_image

pytestmark = pytest.mark.django_db

SECRET = "/api/v2.0/projects/secret/repositories"


def test_list_gives_harbors_repository_shape(api_client, admin, secret_app):
    response = as_user(api_client, admin).get(SECRET)

    assert response.status_code == 200
    assert response["X-Total-Count"] == "1"
    [repository] = response.json()
    assert repository["name"] == "secret/app"
    assert repository["artifact_count"] == 2
    assert repository["pull_count"] == 0
    assert repository["project_id"] == Repository.objects.get().project_id
    assert set(repository) == {
        "id",
        "project_id",
        "name",
        "description",
        "artifact_count",
        "pull_count",
        "creation_time",
        "update_time",
    }


@pytest.fixture
def three(admin_client, private_project):
    for name in ("secret/alpha", "secret/beta", "secret/team/gamma"):
        push_image(admin_client, name, "v1", make_image(layer_count=1, seed=name))
    return ["secret/alpha", "secret/beta", "secret/team/gamma"]


def test_list_is_newest_first_by_default(api_client, admin, three):
    response = as_user(api_client, admin).get(SECRET)

    assert [r["name"] for r in response.json()] == list(reversed(three))


def test_list_filters_by_fuzzy_name_and_sorts_by_name(api_client, admin, three):
    response = as_user(api_client, admin).get(SECRET, {"q": "name=~a", "sort": "name"})

    assert [r["name"] for r in response.json()] == three


def test_list_pages(api_client, admin, three):
    response = as_user(api_client, admin).get(SECRET, {"page": 2, "page_size": 2, "sort": "name"})

    assert [r["name"] for r in response.json()] == ["secret/team/gamma"]
    assert response["X-Total-Count"] == "3"
    assert 'rel="prev"' in response["Link"]


@pytest.mark.parametrize(
    "params", [{"q": "color=red"}, {"sort": "size"}, {"page_size": "x"}, {"page": "0"}, {"q": "name=[a~b]"}]
)
def test_bad_list_parameters_are_400(api_client, admin, three, params):
    response = as_user(api_client, admin).get(SECRET, params)

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "BAD_REQUEST"


def test_get_a_repository_whose_name_has_a_slash_encoded_twice(api_client, admin, three):
    response = as_user(api_client, admin).get(f"{SECRET}/team%252Fgamma")

    assert response.status_code == 200
    assert response.json()["name"] == "secret/team/gamma"


def test_get_an_unknown_repository_is_404(api_client, admin, three):
    response = as_user(api_client, admin).get(f"{SECRET}/nothing")

    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "NOT_FOUND"


def test_put_changes_the_description_and_is_audited(api_client, role_members, secret_app):
    developer = role_members[Role.DEVELOPER]

    response = as_user(api_client, developer).put(f"{SECRET}/app", {"description": "Our app"}, format="json")

    assert response.status_code == 200
    assert Repository.objects.get(name="secret/app").description == "Our app"
    event = AuditEvent.objects.get()
    assert (event.actor, event.operation, event.resource_type, event.resource, event.project_name) == (
        "developer",
        "update",
        "repository",
        "secret/app",
        "secret",
    )


def test_put_with_a_description_that_is_not_a_string_is_400(api_client, admin, secret_app):
    response = as_user(api_client, admin).put(f"{SECRET}/app", {"description": ["x"]}, format="json")

    assert response.status_code == 400


def test_delete_removes_the_repository_its_artifacts_and_tags_but_not_the_blobs(
    api_client, role_members, secret_app, admin_client
):
    blobs = set(RepositoryBlob.objects.values_list("blob_id", flat=True))

    response = as_user(api_client, role_members[Role.MAINTAINER]).delete(f"{SECRET}/app")

    assert response.status_code == 200
    assert not Repository.objects.filter(name="secret/app").exists()
    assert not Artifact.objects.exists() and not Tag.objects.exists()
    assert set(Blob.objects.values_list("id", flat=True)) >= blobs
    assert AuditEvent.objects.get().resource == "secret/app"
    assert admin_client.get("/v2/secret/app/manifests/v1").status_code == 404


def test_delete_a_repository_holding_an_index_and_its_children(
    api_client, admin, admin_client, private_project
):
    push_index(
        admin_client, "secret/multi", "v1", [make_image(seed="a"), make_image(seed="b", architecture="arm64")]
    )

    response = as_user(api_client, admin).delete(f"{SECRET}/multi")

    assert response.status_code == 200
    assert not Artifact.objects.exists()


def test_a_repository_can_be_pushed_again_after_its_deletion(api_client, admin, admin_client, secret_app):
    as_user(api_client, admin).delete(f"{SECRET}/app")

    push_image(admin_client, "secret/app", "v1", secret_app["v1"])

    assert admin_client.get("/v2/secret/app/manifests/v1").status_code == 200


ALL = "/api/v2.0/repositories"


def test_all_repositories_for_a_system_admin(api_client, admin, secret_app, public_web):
    response = as_user(api_client, admin).get(ALL, {"sort": "name"})

    assert [r["name"] for r in response.json()] == ["library/web", "secret/app"]


def test_all_repositories_for_others_are_those_they_may_see(api_client, role_members, secret_app, public_web):
    member = as_user(api_client, role_members[Role.LIMITED_GUEST]).get(ALL, {"sort": "name"})
    outsider = as_user(api_client, role_members[None]).get(ALL, {"sort": "name"})

    assert [r["name"] for r in member.json()] == ["library/web", "secret/app"]
    assert [r["name"] for r in outsider.json()] == ["library/web"]


def test_all_repositories_for_anonymous_are_the_public_ones(api_client, secret_app, public_web):
    response = api_client.get(ALL)

    assert response.status_code == 200
    assert [r["name"] for r in response.json()] == ["library/web"]
