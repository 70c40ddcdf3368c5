"""/api/v2.0/configurations: admins read every setting and change the editable ones."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from projects.permissions import system_settings

pytestmark = pytest.mark.django_db


def test_an_admin_reads_the_configuration_in_harbors_shape(api_client, admin, settings):
    settings.REGISTRY_TOKEN_EXPIRATION = 1800

    response = api_client.as_user(admin).get("/api/v2.0/configurations")

    assert response.status_code == 200
    assert response.json() == {
        "auth_mode": {"value": "db_auth", "editable": False},
        "project_creation_restriction": {"value": "everyone", "editable": True},
        "self_registration": {"value": False, "editable": True},
        "token_expiration": {"value": 30, "editable": False},
    }


def test_a_normal_user_may_not_read_the_configuration(api_client, alice):
    assert api_client.as_user(alice).get("/api/v2.0/configurations").status_code == 403


def test_anonymous_may_not_read_the_configuration(api_client):
    assert api_client.get("/api/v2.0/configurations").status_code == 401


def test_an_admin_changes_settings(api_client, admin):
    body = {"self_registration": True, "project_creation_restriction": "adminonly"}

    response = api_client.as_user(admin).put(
        "/api/v2.0/configurations", body, format="json", REMOTE_ADDR="10.9.8.7"
    )

    assert response.status_code == 200
    current = system_settings()
    assert (current.self_registration, current.project_creation_restriction) == (True, "adminonly")
    event = AuditEvent.objects.get(resource_type="configuration")
    assert (event.actor, event.operation, event.address, event.detail) == (
        "admin",
        "update",
        "10.9.8.7",
        body,
    )
    assert api_client.get("/api/v2.0/configurations").json()["self_registration"]["value"] is True


def test_the_change_shows_in_systeminfo_at_once(api_client, admin):
    api_client.as_user(admin).put("/api/v2.0/configurations", {"self_registration": True}, format="json")

    api_client.credentials()
    assert api_client.get("/api/v2.0/systeminfo").json()["self_registration"] is True


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"auth_mode": "ldap_auth"}, "auth_mode"),
        ({"token_expiration": 10}, "token_expiration"),
        ({"oidc_endpoint": "https://idp"}, "oidc_endpoint"),
        ({"actor": "x"}, "actor"),
        ({"address": "x"}, "address"),
    ],
)
def test_read_only_or_unknown_keys_are_400_naming_the_key(api_client, admin, body, named):
    response = api_client.as_user(admin).put("/api/v2.0/configurations", body, format="json")

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["code"] == "BAD_REQUEST"
    assert named in error["message"]
    assert error["detail"] == {"keys": [named]}


@pytest.mark.parametrize(
    "body",
    [
        {"self_registration": "true"},
        {"self_registration": None},
        {"project_creation_restriction": "nobody"},
        {"project_creation_restriction": ["everyone"]},
        ["self_registration"],
        "self_registration",
    ],
)
def test_bad_values_or_bodies_are_400(api_client, admin, body):
    response = api_client.as_user(admin).put("/api/v2.0/configurations", body, format="json")

    assert response.status_code == 400
    assert system_settings().self_registration is False


def test_malformed_json_is_400(api_client, admin):
    response = api_client.as_user(admin).put(
        "/api/v2.0/configurations", "{nope", content_type="application/json"
    )

    assert response.status_code == 400


def test_a_normal_user_may_not_change_settings(api_client, alice):
    response = api_client.as_user(alice).put(
        "/api/v2.0/configurations", {"self_registration": True}, format="json"
    )

    assert response.status_code == 403
    assert system_settings().self_registration is False


def test_anonymous_may_not_change_settings(api_client):
    response = api_client.put("/api/v2.0/configurations", {"self_registration": True}, format="json")

    assert response.status_code == 401
    assert system_settings().self_registration is False
