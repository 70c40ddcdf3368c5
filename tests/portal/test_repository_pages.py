"""A repository's page: its artifacts with tags, sizes, times, types and pull commands."""

from __future__ import annotations

import pytest

from tests.portal.conftest import text

pytestmark = pytest.mark.django_db

APP = "/projects/alpha/repositories/app/"


def test_a_repository_lists_its_images_not_their_accessories(as_user, content):
    response = as_user("gus").get(APP)

    artifacts = list(response.context["page"])
    assert [artifact.digest for artifact in artifacts] == [content.app.images["1.0"].digest]
    assert [tag.name for tag in artifacts[0].tags.all()] == ["1.0", "latest"]
    assert artifacts[0].referrer_count == 2


def test_an_index_is_listed_without_its_children(as_user, content):
    response = as_user("gus").get("/projects/alpha/repositories/multi/")

    assert [artifact.digest for artifact in response.context["page"]] == [content.multi_index]


def test_an_artifact_shows_its_size_human_readable_and_its_times(as_user, content):
    body = text(as_user("gus").get(APP))

    assert "KB" in body
    assert "Push time" in body and "Pull time" in body
    assert "Never" in body  # not pulled yet


def test_an_artifact_shows_what_it_is(as_user, content):
    body = text(as_user("gus").get("/projects/alpha/repositories/multi/"))

    assert "Image index" in body
    assert "application/vnd.oci.image.index.v1+json" in body


def test_pull_commands_for_docker_and_podman_name_the_request_host(as_user, content, settings):
    settings.ALLOWED_HOSTS = ["registry.test"]

    body = text(as_user("gus").get(APP, HTTP_HOST="registry.test"))

    assert "docker pull registry.test/alpha/app:1.0" in body
    assert "podman pull registry.test/alpha/app:latest" in body
    assert 'data-copy="docker pull registry.test/alpha/app:1.0"' in body


def test_pull_commands_name_the_external_url_when_it_is_set(as_user, content, settings):
    settings.EXTERNAL_URL = "https://harbor.example.com"

    body = text(as_user("gus").get(APP))

    assert "docker pull harbor.example.com/alpha/app:1.0" in body


def test_an_untagged_artifact_is_pulled_by_digest(as_user, content):
    from images.services.manifests import manifest_delete

    for tag in ("1.0", "latest"):
        manifest_delete(repository_name="alpha/app", reference=tag)

    body = text(as_user("gus").get(APP))

    assert f"docker pull testserver/alpha/app@{content.app.images['1.0'].digest}" in body


@pytest.mark.parametrize(("username", "offered"), [("pat", True), ("max", True), ("root", True)])
def test_delete_actions_are_offered_to_who_may_delete(as_user, content, username, offered):
    body = text(as_user(username).get(APP))

    assert ("/-/tags/latest/delete/" in body) is offered
    assert (f"/-/artifacts/{content.app.images['1.0'].digest}/delete/" in body) is offered


@pytest.mark.parametrize("username", ["dev", "gus", "lim"])
def test_delete_actions_are_absent_for_who_may_not_delete(as_user, content, username):
    body = text(as_user(username).get(APP))

    assert "/delete/" not in body
    assert "Delete tag" not in body


def test_delete_actions_are_absent_for_anonymous_visitors_of_a_public_project(as_user, content):
    body = text(as_user(None).get("/projects/library/repositories/nginx/"))

    assert "docker pull testserver/library/nginx:stable" in body
    assert "/delete/" not in body


@pytest.mark.parametrize("username", [None, "carol"])
def test_a_private_repository_is_not_found_for_those_who_may_not_see_it(as_user, content, username):
    response = as_user(username).get(APP)

    assert response.status_code == 404


def test_an_unknown_repository_is_not_found(as_user, content):
    response = as_user("pat").get("/projects/alpha/repositories/nothing/")

    assert response.status_code == 404


def test_a_repository_path_with_several_components_opens(as_user, content):
    from tests.conftest import RegistryClient, basic_auth
    from tests.support.oci import make_image
    from tests.support.registry import push_image

    push_image(RegistryClient(basic_auth("root")), "alpha/team/tools/jq", "1.7", make_image(seed="jq"))

    response = as_user("gus").get("/projects/alpha/repositories/team/tools/jq/")

    assert response.status_code == 200
    assert "docker pull testserver/alpha/team/tools/jq:1.7" in text(response)


def test_the_page_costs_a_fixed_number_of_queries(as_user, content, django_assert_max_num_queries):
    from tests.conftest import RegistryClient, basic_auth
    from tests.support.oci import make_image
    from tests.support.registry import push_image

    registry = RegistryClient(basic_auth("root"))
    for number in range(6):
        push_image(registry, "alpha/app", f"v{number}", make_image(seed=f"more{number}", layer_count=1))
    client = as_user("gus")

    with django_assert_max_num_queries(9):
        response = client.get(APP)

    assert len(response.context["page"]) == 7


def test_a_tagged_child_of_an_index_is_listed_too(as_user, content):
    from tests.conftest import RegistryClient, basic_auth
    from tests.support.registry import push_manifest

    child = content.multi_children[0]
    push_manifest(
        RegistryClient(basic_auth("root")), "alpha/multi", "amd64-only", child.manifest, child.media_type
    )

    response = as_user("gus").get("/projects/alpha/repositories/multi/")

    assert {artifact.digest for artifact in response.context["page"]} == {content.multi_index, child.digest}
