"""/api/v2.0/ldap/: ping, user and group search, user import, against a real slapd."""

from __future__ import annotations

import sys

import pytest

from projects.models import User, UserGroup
from tests.factories import UserFactory
from tests.support.slapd import PASSWORD, ROOT_DN, group_dn, user_dn

pytestmark = pytest.mark.django_db

DOWN = "ldap://127.0.0.1:1/"


@pytest.fixture
def as_admin(api_client, admin):
    return api_client.as_user(admin)


@pytest.fixture
def down(settings):
    """The configured directory is a port nobody listens on."""
    settings.LDAP_URL = DOWN
    settings.LDAP_TIMEOUT = 1


def error_of(response) -> dict:
    return response.json()["errors"][0]


# --- /ldap/ping -----------------------------------------------------------------------------------


def test_ping_with_the_system_configuration_succeeds(as_admin, ldap_server):
    response = as_admin.post("/api/v2.0/ldap/ping", {}, format="json")

    assert response.status_code == 200
    assert response.json()["success"] is True
    assert ldap_server.url in response.json()["message"]


def test_ping_without_a_body_uses_the_system_configuration(as_admin, ldap_server):
    response = as_admin.post("/api/v2.0/ldap/ping")

    assert response.json()["success"] is True


def test_ping_with_a_wrong_password_says_the_bind_was_refused(as_admin, ldap_server):
    response = as_admin.post(
        "/api/v2.0/ldap/ping", {"ldap_search_dn": ROOT_DN, "ldap_search_password": "wrong"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["success"] is False
    assert "refused the bind DN" in response.json()["message"]


def test_ping_of_an_unreachable_server_says_so(as_admin, ldap_server):
    response = as_admin.post(
        "/api/v2.0/ldap/ping", {"ldap_url": DOWN, "ldap_connection_timeout": 1}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["success"] is False
    assert "cannot be reached" in response.json()["message"]


def test_ping_accepts_host_and_port_without_a_scheme(as_admin, ldap_server):
    response = as_admin.post(
        "/api/v2.0/ldap/ping",
        {
            "ldap_url": f"127.0.0.1:{ldap_server.port}",
            "ldap_search_dn": ROOT_DN,
            "ldap_search_password": ldap_server.root_password,
        },
        format="json",
    )

    assert response.json()["success"] is True


def test_ping_never_sends_the_configured_password_to_another_server(as_admin, ldap_server):
    # The same slapd under another URL: were the configured password sent, the bind would work.
    response = as_admin.post(
        "/api/v2.0/ldap/ping", {"ldap_url": f"ldap://localhost:{ldap_server.port}/"}, format="json"
    )

    assert response.json()["success"] is False


def test_ping_tests_a_given_configuration_while_ldap_is_off(as_admin, ldap_server, settings):
    settings.LDAP_ENABLED = False
    settings.LDAP_URL = ""

    response = as_admin.post(
        "/api/v2.0/ldap/ping",
        {"ldap_url": ldap_server.url, "ldap_search_dn": user_dn("bob"), "ldap_search_password": PASSWORD},
        format="json",
    )

    assert response.json()["success"] is True


def test_ping_while_ldap_is_off_and_no_url_is_given_says_it_is_not_configured(as_admin, settings, slapd):
    settings.LDAP_ENABLED = False
    settings.LDAP_URL = ""

    response = as_admin.post("/api/v2.0/ldap/ping", {}, format="json")

    assert response.status_code == 200
    assert response.json()["success"] is False
    assert "not configured" in response.json()["message"]


def test_ping_rejects_a_url_that_is_not_ldap(as_admin, ldap_server):
    response = as_admin.post("/api/v2.0/ldap/ping", {"ldap_url": "http://example.org"}, format="json")

    assert response.status_code == 400
    assert error_of(response)["code"] == "BAD_REQUEST"


def test_ping_rejects_an_unknown_scope(as_admin, ldap_server):
    response = as_admin.post("/api/v2.0/ldap/ping", {"ldap_scope": 7}, format="json")

    assert response.status_code == 400


def test_ping_is_for_system_admins(api_client, alice, ldap_server):
    response = api_client.as_user(alice).post("/api/v2.0/ldap/ping", {}, format="json")

    assert response.status_code == 403
    assert error_of(response)["code"] == "FORBIDDEN"


def test_ping_needs_authentication(api_client, ldap_server):
    response = api_client.post("/api/v2.0/ldap/ping", {}, format="json")

    assert response.status_code == 401


# --- /ldap/users/search ---------------------------------------------------------------------------


def test_user_search_finds_a_user_by_uid(as_admin, ldap_server):
    response = as_admin.get("/api/v2.0/ldap/users/search?username=bob")

    assert response.status_code == 200
    assert response.json() == [{"username": "bob", "realname": "Bob Builder", "email": "bob@example.org"}]


def test_user_search_without_a_name_lists_everyone(as_admin, ldap_server):
    response = as_admin.get("/api/v2.0/ldap/users/search")

    assert sorted(user["username"] for user in response.json()) == ["ann", "bob", "cleo", "dora"]


def test_user_search_for_an_unknown_name_is_empty(as_admin, ldap_server):
    response = as_admin.get("/api/v2.0/ldap/users/search?username=nobody")

    assert response.status_code == 200
    assert response.json() == []


def test_user_search_escapes_filter_characters(as_admin, ldap_server):
    response = as_admin.get("/api/v2.0/ldap/users/search?username=*)(uid=*")

    assert response.status_code == 200
    assert response.json() == []


def test_user_search_while_ldap_is_off_is_a_precondition_failure(as_admin, settings):
    settings.LDAP_ENABLED = False

    response = as_admin.get("/api/v2.0/ldap/users/search?username=bob")

    assert response.status_code == 412
    assert "not configured" in error_of(response)["message"]


def test_user_search_with_the_directory_down_is_a_clear_error(as_admin, ldap_server, down):
    response = as_admin.get("/api/v2.0/ldap/users/search?username=bob")

    assert response.status_code == 503
    assert error_of(response)["code"] == "SERVICE_UNAVAILABLE"
    assert "cannot be reached" in error_of(response)["message"]


def test_user_search_with_a_wrong_bind_password_is_a_clear_error(as_admin, ldap_server, settings):
    settings.LDAP_BIND_PASSWORD = "wrong"

    response = as_admin.get("/api/v2.0/ldap/users/search?username=bob")

    assert response.status_code == 503
    assert "refused the bind DN" in error_of(response)["message"]


def test_user_search_with_a_broken_filter_is_a_clear_error(as_admin, ldap_server, settings):
    settings.LDAP_USER_FILTER = "(objectClass=inetOrgPerson"

    response = as_admin.get("/api/v2.0/ldap/users/search?username=bob")

    assert response.status_code == 503
    assert "filter" in error_of(response)["message"]


def test_user_search_is_for_system_admins(api_client, alice, ldap_server):
    response = api_client.as_user(alice).get("/api/v2.0/ldap/users/search")

    assert response.status_code == 403


def test_an_ldap_admin_uses_the_api_with_basic_credentials(api_client, ldap_server):
    ann = User(username="ann")

    response = api_client.as_user(ann, PASSWORD).get("/api/v2.0/ldap/users/search?username=cleo")

    assert response.status_code == 200
    assert response.json()[0]["username"] == "cleo"


def test_an_ldap_user_who_is_not_an_admin_is_refused(api_client, ldap_server):
    bob = User(username="bob")

    response = api_client.as_user(bob, PASSWORD).get("/api/v2.0/ldap/users/search")

    assert response.status_code == 403


def test_an_ldap_user_with_a_wrong_password_gets_401(api_client, ldap_server):
    ann = User(username="ann")

    response = api_client.as_user(ann, "wrong").get("/api/v2.0/ldap/users/search")

    assert response.status_code == 401


# --- /ldap/groups/search --------------------------------------------------------------------------


def test_group_search_by_name(as_admin, ldap_server):
    response = as_admin.get("/api/v2.0/ldap/groups/search?groupname=developers")

    assert response.status_code == 200
    assert response.json() == [
        {
            "group_name": "developers",
            "group_type": UserGroup.Type.LDAP,
            "ldap_group_dn": group_dn("developers"),
        }
    ]


def test_group_search_by_dn(as_admin, ldap_server):
    response = as_admin.get(f"/api/v2.0/ldap/groups/search?groupdn={group_dn('qa')}")

    assert response.status_code == 200
    assert [group["group_name"] for group in response.json()] == ["qa"]


def test_group_search_for_an_unknown_name_is_404(as_admin, ldap_server):
    response = as_admin.get("/api/v2.0/ldap/groups/search?groupname=nothing")

    assert response.status_code == 404
    assert error_of(response)["code"] == "NOT_FOUND"


def test_group_search_outside_the_group_base_dn_is_404(as_admin, ldap_server):
    response = as_admin.get(f"/api/v2.0/ldap/groups/search?groupdn={user_dn('bob')}")

    assert response.status_code == 404


def test_group_search_with_an_invalid_dn_is_400(as_admin, ldap_server):
    response = as_admin.get("/api/v2.0/ldap/groups/search?groupdn=not a dn")

    assert response.status_code == 400


def test_group_search_without_a_name_or_dn_is_404(as_admin, ldap_server):
    response = as_admin.get("/api/v2.0/ldap/groups/search")

    assert response.status_code == 404


def test_group_search_with_the_directory_down_is_a_clear_error(as_admin, ldap_server, down):
    response = as_admin.get("/api/v2.0/ldap/groups/search?groupname=qa")

    assert response.status_code == 503


def test_group_search_while_ldap_is_off_is_a_precondition_failure(as_admin, settings):
    settings.LDAP_ENABLED = False

    response = as_admin.get("/api/v2.0/ldap/groups/search?groupname=qa")

    assert response.status_code == 412


# --- /ldap/users/import ---------------------------------------------------------------------------


def test_import_creates_the_user_with_its_groups(as_admin, ldap_server):
    response = as_admin.post("/api/v2.0/ldap/users/import", {"ldap_uid_list": ["bob"]}, format="json")

    assert response.status_code == 200
    bob = User.objects.get(username="bob")
    assert (bob.ldap_dn, bob.email) == (user_dn("bob"), "bob@example.org")
    assert sorted(bob.groups.values_list("name", flat=True)) == ["backend", "developers"]


def test_an_imported_user_logs_in(as_admin, api_client, ldap_server):
    as_admin.post("/api/v2.0/ldap/users/import", {"ldap_uid_list": ["ann"]}, format="json")

    response = api_client.as_user(User(username="ann"), PASSWORD).get("/api/v2.0/ldap/users/search")

    assert response.status_code == 200


def test_import_twice_is_harmless(as_admin, ldap_server):
    as_admin.post("/api/v2.0/ldap/users/import", {"ldap_uid_list": ["cleo"]}, format="json")

    response = as_admin.post("/api/v2.0/ldap/users/import", {"ldap_uid_list": ["cleo"]}, format="json")

    assert response.status_code == 200
    assert User.objects.filter(username="cleo").count() == 1


def test_import_lists_the_uids_that_failed(as_admin, ldap_server):
    UserFactory(username="dora")

    response = as_admin.post(
        "/api/v2.0/ldap/users/import", {"ldap_uid_list": ["cleo", "nobody", "", "dora"]}, format="json"
    )

    assert response.status_code == 404
    assert response.json() == [
        {"uid": "nobody", "error": "unknown_user"},
        {"uid": "", "error": "empty_uid"},
        {"uid": "dora", "error": "failed to import user: dora"},
    ]
    assert User.objects.get(username="cleo").is_ldap
    assert not User.objects.get(username="dora").is_ldap


def test_import_without_a_list_is_400(as_admin, ldap_server):
    response = as_admin.post("/api/v2.0/ldap/users/import", {}, format="json")

    assert response.status_code == 400


def test_import_is_for_system_admins(api_client, alice, ldap_server):
    response = api_client.as_user(alice).post(
        "/api/v2.0/ldap/users/import", {"ldap_uid_list": ["bob"]}, format="json"
    )

    assert response.status_code == 403
    assert not User.objects.filter(username="bob").exists()


def test_import_while_ldap_is_off_is_a_precondition_failure(as_admin, settings):
    settings.LDAP_ENABLED = False

    response = as_admin.post("/api/v2.0/ldap/users/import", {"ldap_uid_list": ["bob"]}, format="json")

    assert response.status_code == 412


def test_import_with_the_directory_down_is_a_clear_error(as_admin, ldap_server, down):
    response = as_admin.post("/api/v2.0/ldap/users/import", {"ldap_uid_list": ["bob"]}, format="json")

    assert response.status_code == 503
    assert not User.objects.filter(username="bob").exists()


def test_ping_without_ldap_support_installed_says_how_to_install_it(as_admin, monkeypatch):
    monkeypatch.setitem(sys.modules, "projects.ldap", None)  # what importing it without python-ldap does

    response = as_admin.post("/api/v2.0/ldap/ping", {}, format="json")

    assert response.status_code == 412
    assert "pip install" in error_of(response)["message"]
