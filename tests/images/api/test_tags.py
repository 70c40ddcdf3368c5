"""Tags of an artifact: list (q, sort, paging), add (409 when the repository has it), remove."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from images.models import Tag
from tests.images.api.conftest import artifacts_url, as_user

pytestmark = pytest.mark.django_db

V1_TAGS = f"{artifacts_url('secret', 'app')}/v1/tags"


def test_list_gives_the_artifacts_tags_newest_first(api_client, admin, secret_app):
    response = as_user(api_client, admin).get(V1_TAGS)

    assert response.status_code == 200
    assert response["X-Total-Count"] == "2"
    assert [t["name"] for t in response.json()] == ["latest", "v1"]


def test_list_filters_sorts_and_pages(api_client, admin, secret_app):
    client = as_user(api_client, admin)

    fuzzy = client.get(V1_TAGS, {"q": "name=~lat"})
    paged = client.get(V1_TAGS, {"sort": "name", "page": 2, "page_size": 1})

    assert [t["name"] for t in fuzzy.json()] == ["latest"]
    assert [t["name"] for t in paged.json()] == ["v1"]


@pytest.mark.parametrize("params", [{"q": "colour=red"}, {"sort": "size"}, {"page": "x"}])
def test_bad_list_parameters_are_400(api_client, admin, secret_app, params):
    assert as_user(api_client, admin).get(V1_TAGS, params).status_code == 400


def test_create_adds_a_tag_and_is_audited(api_client, admin, admin_client, secret_app):
    response = as_user(api_client, admin).post(V1_TAGS, {"name": "stable"}, format="json")

    assert response.status_code == 201
    assert response["Location"].endswith("/artifacts/v1/tags/stable")
    assert admin_client.get("/v2/secret/app/manifests/stable").content == secret_app["v1"].manifest
    event = AuditEvent.objects.exclude(operation="pull").get()
    assert (event.operation, event.resource_type, event.resource) == ("create", "tag", "secret/app:stable")


@pytest.mark.parametrize("name", ["v2", "latest"])
def test_create_of_a_tag_the_repository_has_is_409(api_client, admin, secret_app, name):
    response = as_user(api_client, admin).post(V1_TAGS, {"name": name}, format="json")

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "CONFLICT"
    assert Tag.objects.get(name="v2").artifact.digest == secret_app["v2"].digest


@pytest.mark.parametrize(
    "body", [{"name": "-bad"}, {"name": "a" * 129}, {"name": ""}, {}, {"name": "a b"}, []]
)
def test_create_with_an_invalid_name_is_400(api_client, admin, secret_app, body):
    response = as_user(api_client, admin).post(V1_TAGS, body, format="json")

    assert response.status_code == 400
    assert not AuditEvent.objects.exists()


def test_create_on_an_unknown_artifact_is_404(api_client, admin, secret_app):
    response = as_user(api_client, admin).post(
        f"{artifacts_url('secret', 'app')}/v9/tags", {"name": "x"}, format="json"
    )

    assert response.status_code == 404


def test_delete_removes_only_the_tag(api_client, admin, admin_client, secret_app):
    response = as_user(api_client, admin).delete(f"{V1_TAGS}/latest")

    assert response.status_code == 200
    assert admin_client.get("/v2/secret/app/manifests/latest").status_code == 404
    assert admin_client.get("/v2/secret/app/manifests/v1").status_code == 200
    event = AuditEvent.objects.exclude(operation="pull").get()
    assert (event.operation, event.resource_type, event.resource) == ("delete", "tag", "secret/app:latest")


def test_delete_of_a_tag_of_another_artifact_is_404(api_client, admin, secret_app):
    response = as_user(api_client, admin).delete(f"{V1_TAGS}/v2")

    assert response.status_code == 404
    assert Tag.objects.filter(name="v2").exists()
