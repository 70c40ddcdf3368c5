"""The admin site's login goes through credentials_verify: throttled, audited, never a robot."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from projects.permissions import Action
from projects.services.robots import Grant, robot_create
from tests.factories import UserFactory


@pytest.fixture
def staff(db):
    return UserFactory(username="sam", is_staff=True)


def _login(client, username, password):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password})


def test_staff_user_logs_in_to_the_admin_site_and_is_audited(client, staff):
    response = _login(client, "sam", "Passw0rd!")

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    event = AuditEvent.objects.get(operation="login", resource="sam")
    assert event.result == AuditEvent.Result.SUCCESS


def test_wrong_password_is_refused_and_audited_as_a_failure(client, staff):
    response = _login(client, "sam", "wrong")

    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()
    assert AuditEvent.objects.get(operation="login", resource="sam").result == AuditEvent.Result.FAILURE


def test_failed_logins_are_throttled_even_with_the_right_password_afterwards(client, staff, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        _login(client, "sam", "wrong")

    response = _login(client, "sam", "Passw0rd!")

    assert response.status_code == 200
    assert "Too many failed logins" in response.content.decode()


def test_a_robot_account_cannot_open_a_browser_session(client, admin, library):
    robot, secret = robot_create(
        name="ci",
        project=None,
        creator=admin,
        grants=[Grant(project=library, actions=frozenset({Action.PULL}))],
    )

    response = _login(client, robot.username, secret)

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_non_staff_user_cannot_enter_the_admin_site(client, alice):
    response = _login(client, "alice", "Passw0rd!")

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
