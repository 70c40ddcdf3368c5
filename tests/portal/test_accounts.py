"""Logging in (database and LDAP users, through credentials_verify), logging out (POST) and
self-registration."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from audit.models import AuditEvent
from projects.models import SystemSettings
from projects.permissions import Action
from projects.services.robots import Grant, robot_create
from tests.portal.conftest import text
from tests.support import slapd as slapd_support

pytestmark = pytest.mark.django_db


def _log_in(client, username: str, password: str = "Passw0rd!", next_url: str = ""):
    return client.post(f"/login/{next_url}", {"username": username, "password": password})


def test_the_login_page_has_the_form(client, people):
    response = client.get("/login/")

    assert response.status_code == 200
    assert 'name="username"' in text(response) and 'name="password"' in text(response)


def test_a_user_logs_in_and_lands_on_its_projects(client, people):
    response = _log_in(client, "dev")

    assert response.status_code == 302 and response["Location"] == "/"
    assert [project.name for project in client.get("/").context["page"]] == ["alpha", "library"]


def test_a_login_goes_back_to_the_page_asked_for(client, people):
    response = _log_in(client, "dev", next_url="?next=/projects/alpha/")

    assert response["Location"] == "/projects/alpha/"


def test_a_login_is_audited(client, people):
    _log_in(client, "dev")

    assert AuditEvent.objects.get(operation="login", resource="dev").result == AuditEvent.Result.SUCCESS


def test_a_wrong_password_is_refused(client, people):
    response = _log_in(client, "dev", "wrong")

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "correct username and password" in text(response)


def test_failed_logins_are_throttled(client, people, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    for _ in range(2):
        _log_in(client, "dev", "wrong")

    response = _log_in(client, "dev")

    assert "_auth_user_id" not in client.session
    assert "Too many failed logins" in text(response)


def test_a_robot_account_cannot_log_in_to_the_portal(client, people, library):
    robot, secret = robot_create(
        name="ci",
        project=None,
        creator=people["root"],
        grants=[Grant(project=library, actions=frozenset({Action.PULL}))],
    )

    response = _log_in(client, robot.username, secret)

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_an_ldap_user_logs_in_with_the_directory_password(client, ldap_server, library):
    response = _log_in(client, "bob", slapd_support.PASSWORD)

    assert response.status_code == 302
    assert client.get("/").context["user"].get_username() == "bob"


def test_the_login_page_says_when_directory_accounts_log_in(client, db, settings):
    settings.LDAP_ENABLED = True

    response = client.get("/login/")

    assert "(LDAP)" in text(response)


def test_logging_out_takes_a_post(as_user, people):
    client = as_user("dev")

    refused = client.get("/logout/")
    response = client.post("/logout/")

    assert refused.status_code == 405
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_logged_in_user_is_sent_from_the_login_page_to_its_projects(as_user, people):
    response = as_user("dev").get("/login/")

    assert response.status_code == 302 and response["Location"] == "/"


# --- Self-registration --------------------------------------------------------------------------


@pytest.fixture
def self_registration(db):
    SystemSettings.objects.update_or_create(pk=1, defaults={"self_registration": True})


def _register(client, **changes):
    data = {
        "username": "newbie",
        "email": "newbie@example.com",
        "realname": "New Bie",
        "password1": "Secr3t-Pass",
        "password2": "Secr3t-Pass",
        "comment": "",
        **changes,
    }
    return client.post("/register/", data)


def test_registration_is_not_found_when_it_is_off(client, db):
    response = client.get("/register/")

    assert response.status_code == 404


def test_the_login_page_offers_registration_only_when_it_is_on(client, self_registration):
    response = client.get("/login/")

    assert 'href="/register/"' in text(response)


def test_the_login_page_offers_no_registration_when_it_is_off(client, db):
    response = client.get("/login/")

    assert 'href="/register/"' not in text(response)


def test_a_visitor_registers_and_is_sent_to_log_in(client, self_registration):
    response = _register(client)

    assert response.status_code == 302 and response["Location"] == "/login/"
    user = get_user_model().objects.get(username="newbie")
    assert (user.email, user.realname) == ("newbie@example.com", "New Bie")
    assert user.check_password("Secr3t-Pass")


def test_a_registered_user_is_never_an_admin(client, self_registration):
    _register(client, is_superuser="on", is_staff="on")

    user = get_user_model().objects.get(username="newbie")
    assert not user.is_superuser and not user.is_staff


def test_a_registration_is_audited(client, self_registration):
    _register(client)

    event = AuditEvent.objects.get(operation="create", resource_type="user")
    assert event.resource == "newbie"
    assert event.detail == {"self_registration": True}


def test_a_password_against_the_policy_is_refused_on_its_field(client, self_registration):
    response = _register(client, password1="short", password2="short")

    assert response.status_code == 200
    assert response.context["form"].errors["password1"]
    assert not get_user_model().objects.filter(username="newbie").exists()


def test_two_different_passwords_are_refused(client, self_registration):
    response = _register(client, password2="Other-Pass1")

    assert "password2" in response.context["form"].errors


def test_a_taken_username_is_refused(client, self_registration, people):
    response = _register(client, username="dev")

    assert response.status_code == 200
    assert "already taken" in text(response)


def test_a_logged_in_user_cannot_register_another(as_user, self_registration, people):
    response = as_user("root").get("/register/")

    assert response.status_code == 404


def test_registration_is_off_while_ldap_logs_users_in(client, self_registration, settings):
    settings.LDAP_ENABLED = True

    response = client.get("/register/")

    assert response.status_code == 404
