"""One credential check for every interface: throttled, audited, remembered."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from tests.conftest import basic_auth
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def low_limit(settings):
    settings.LOGIN_FAILURE_LIMIT = 3


def token(client, username, password, address="10.0.0.1"):
    return client.get(
        "/service/token?service=harbor-registry",
        HTTP_AUTHORIZATION=basic_auth(username, password),
        REMOTE_ADDR=address,
    )


def test_every_attempt_is_recorded_with_its_address(client, alice):
    token(client, "alice", "wrong")
    token(client, "alice", "Passw0rd!")

    records = list(
        AuditEvent.objects.filter(operation="login").order_by("pk").values_list("actor", "result", "address")
    )
    assert records == [("alice", "failure", "10.0.0.1"), ("alice", "success", "10.0.0.1")]


def test_a_username_is_locked_after_too_many_failures(client, alice):
    for _ in range(3):
        assert token(client, "alice", "wrong", address="10.0.0.2").status_code == 401

    locked = token(client, "alice", "Passw0rd!", address="10.0.0.3")

    assert locked.status_code == 429
    assert locked.json()["errors"][0]["code"] == "TOO_MANY_REQUESTS"


def test_an_address_is_locked_after_too_many_failures(client, alice):
    bob = UserFactory(username="bob")
    for name in ["x", "y", "z"]:
        token(client, name, "wrong", address="10.9.9.9")

    assert token(client, bob.username, "Passw0rd!", address="10.9.9.9").status_code == 429
    assert token(client, bob.username, "Passw0rd!", address="10.1.1.1").status_code == 200


def test_a_success_clears_the_username_count(client, alice):
    token(client, "alice", "wrong")
    token(client, "alice", "wrong")
    token(client, "alice", "Passw0rd!", address="10.0.0.7")

    token(client, "alice", "wrong", address="10.0.0.8")

    assert token(client, "alice", "Passw0rd!", address="10.0.0.9").status_code == 200


def test_v2_basic_auth_is_throttled_too(client, alice):
    for _ in range(3):
        client.get("/v2/", HTTP_AUTHORIZATION=basic_auth("alice", "wrong"), REMOTE_ADDR="10.0.0.4")

    response = client.get("/v2/", HTTP_AUTHORIZATION=basic_auth("alice", "Passw0rd!"), REMOTE_ADDR="10.0.0.5")

    assert response.status_code == 429
