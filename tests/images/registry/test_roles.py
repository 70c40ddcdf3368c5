"""Roles through the token service and /v2/: what each role is granted, and what it can then do."""

from __future__ import annotations

import jwt
import pytest

from projects.models import Role
from tests.conftest import RegistryClient, basic_auth
from tests.support.oci import make_image
from tests.support.registry import errors, push_image

pytestmark = pytest.mark.django_db

# Registry actions each role is granted on a repository of a private project it belongs to.
GRANTED = {
    Role.LIMITED_GUEST: ["pull"],
    Role.GUEST: ["pull"],
    Role.DEVELOPER: ["pull", "push"],
    Role.MAINTAINER: ["delete", "pull", "push"],
    Role.PROJECT_ADMIN: ["delete", "pull", "push"],
    None: [],
}


@pytest.fixture
def image(admin_client, private_project):
    image = make_image(layer_count=1)
    push_image(admin_client, "secret/app", "v1", image)
    return image


@pytest.mark.parametrize("role", list(GRANTED))
def test_token_grants_by_role(client, role_members, role):
    user = role_members[role]

    response = client.get(
        "/service/token?service=harbor-registry&scope=repository:secret/app:pull,push,delete",
        HTTP_AUTHORIZATION=basic_auth(user.username),
    )

    access = jwt.decode(response.json()["token"], options={"verify_signature": False})["access"]
    assert access == [{"type": "repository", "name": "secret/app", "actions": GRANTED[role]}]


@pytest.mark.parametrize("role", list(GRANTED))
def test_v2_by_role_with_basic_credentials(role_members, image, role):
    client = RegistryClient(basic_auth(role_members[role].username))

    pull = client.head("/v2/secret/app/manifests/v1")
    push = client.post("/v2/secret/app/blobs/uploads/")
    delete = client.delete("/v2/secret/app/manifests/v1")

    if role is None:  # not a member: the private project does not exist for carol
        assert [pull.status_code, push.status_code, delete.status_code] == [404, 404, 404]
        assert errors(push) == ["NAME_UNKNOWN"]
        return
    assert pull.status_code == 200
    assert push.status_code == (202 if "push" in GRANTED[role] else 403)
    assert delete.status_code == (202 if "delete" in GRANTED[role] else 403)


def test_anonymous_callers_are_asked_to_log_in_for_a_private_project(anon_client, image):
    response = anon_client.head("/v2/secret/app/manifests/v1")

    assert response.status_code == 401


def test_a_mount_needs_pull_on_the_source_project(client, role_members, image, library):
    developer = role_members[Role.DEVELOPER]
    layer = next(iter(image.blobs))

    token = client.get(
        "/service/token?service=harbor-registry&scope=repository:library/copy:pull,push"
        "&scope=repository:secret/app:pull",
        HTTP_AUTHORIZATION=basic_auth(role_members[None].username),
    ).json()["token"]
    outsider = RegistryClient(f"Bearer {token}").post(
        f"/v2/library/copy/blobs/uploads/?mount={layer}&from=secret/app"
    )
    token = client.get(
        "/service/token?service=harbor-registry&scope=repository:secret/copy:pull,push"
        "&scope=repository:secret/app:pull",
        HTTP_AUTHORIZATION=basic_auth(developer.username),
    ).json()["token"]
    member = RegistryClient(f"Bearer {token}").post(
        f"/v2/secret/copy/blobs/uploads/?mount={layer}&from=secret/app"
    )

    assert outsider.status_code in (401, 403)  # no push on library: not even a session
    assert member.status_code == 201


@pytest.mark.parametrize(("role", "sees_secret"), [(Role.LIMITED_GUEST, True), (None, False)])
def test_the_catalog_lists_only_what_the_caller_can_see(role_members, image, library, role, sees_secret):
    push_image(RegistryClient(basic_auth("admin")), "library/open", "v1", make_image(layer_count=1))

    response = RegistryClient(basic_auth(role_members[role].username)).get("/v2/_catalog")

    expected = ["library/open", "secret/app"] if sees_secret else ["library/open"]
    assert response.json()["repositories"] == expected


def test_the_catalog_through_a_token_is_scoped_to_its_subject(client, role_members, image, library):
    token = client.get(
        "/service/token?service=harbor-registry&scope=registry:catalog:*",
        HTTP_AUTHORIZATION=basic_auth(role_members[None].username),
    ).json()["token"]

    response = RegistryClient(f"Bearer {token}").get("/v2/_catalog")

    assert "secret/app" not in response.json()["repositories"]


@pytest.mark.parametrize("role", [Role.DEVELOPER, None])
def test_a_token_costs_one_query_once_the_credential_is_remembered(
    client, role_members, private_project, django_assert_num_queries, role
):
    url = "/service/token?service=harbor-registry&scope=repository:secret/app:pull,push"
    authorization = basic_auth(role_members[role].username)
    client.get(url, HTTP_AUTHORIZATION=authorization)  # verifies the password (and records the login)

    with django_assert_num_queries(1):
        response = client.get(url, HTTP_AUTHORIZATION=authorization)

    assert response.status_code == 200
