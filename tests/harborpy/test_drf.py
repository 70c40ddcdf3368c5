"""The REST API's shared behaviour: authentication, Harbor's error envelope, paging, request ids."""

from __future__ import annotations

import pytest

from tests.conftest import basic_auth
from tests.factories import UserFactory

pytestmark = pytest.mark.urls("tests.harborpy.api_urls")


@pytest.fixture
def users(db):
    return [UserFactory(username=f"user{n:02d}") for n in range(25)]


def test_anonymous_call_is_401_in_harbors_envelope(api_client):
    response = api_client.get("/api/v2.0/things")

    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "UNAUTHORIZED"
    assert response["WWW-Authenticate"] == 'Basic realm="harborpy"'


def test_wrong_password_is_401(api_client, users):
    api_client.credentials(HTTP_AUTHORIZATION=basic_auth("user01", "wrong"))

    response = api_client.get("/api/v2.0/things")

    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "UNAUTHORIZED"


@pytest.mark.parametrize("header", ["Basic !!!", "Basic " + "bm9jb2xvbg==", "Basic " + "/w=="])
def test_malformed_basic_credentials_are_401_not_500(api_client, db, header):
    api_client.credentials(HTTP_AUTHORIZATION=header)

    response = api_client.get("/api/v2.0/things")

    assert response.status_code == 401


def test_repeated_failures_are_throttled_with_429(api_client, users, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    api_client.credentials(HTTP_AUTHORIZATION=basic_auth("user01", "wrong"))
    for _ in range(3):
        api_client.get("/api/v2.0/things")

    api_client.credentials(HTTP_AUTHORIZATION=basic_auth("user01", "Passw0rd!"))
    response = api_client.get("/api/v2.0/things")

    assert response.status_code == 429
    assert response.json()["errors"][0]["code"] == "TOO_MANY_REQUESTS"


def test_list_is_paged_with_total_and_links(api_client, users):
    api_client.as_user(users[0])

    response = api_client.get("/api/v2.0/things?page=2&page_size=10")

    assert [u["username"] for u in response.json()] == [f"user{n:02d}" for n in range(10, 20)]
    assert response["X-Total-Count"] == "25"
    assert response["Link"] == (
        '</api/v2.0/things?page=1&page_size=10>; rel="prev", '
        '</api/v2.0/things?page=3&page_size=10>; rel="next"'
    )


def test_last_page_has_no_next_link_and_default_size_is_10(api_client, users):
    api_client.as_user(users[0])

    first = api_client.get("/api/v2.0/things")
    last = api_client.get("/api/v2.0/things?page=3")

    assert len(first.json()) == 10
    assert first["Link"] == '</api/v2.0/things?page=2&page_size=10>; rel="next"'
    assert len(last.json()) == 5
    assert 'rel="next"' not in last["Link"]


def test_page_size_is_capped_at_100(api_client, users):
    api_client.as_user(users[0])

    response = api_client.get("/api/v2.0/things?page_size=100000")

    assert response.status_code == 200
    assert len(response.json()) == 25
    assert "Link" not in response


@pytest.mark.parametrize("query", ["page=0", "page=x", "page_size=-1", "page=99999999999999999999"])
def test_bad_paging_is_400(api_client, users, query):
    api_client.as_user(users[0])

    response = api_client.get(f"/api/v2.0/things?{query}")

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "BAD_REQUEST"


def test_validation_error_names_the_field(api_client, users):
    api_client.as_user(users[0])

    response = api_client.post("/api/v2.0/things", {"count": 0}, format="json")

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["code"] == "BAD_REQUEST"
    assert "count" in error["detail"]["fields"]


def test_malformed_json_is_400(api_client, users):
    api_client.as_user(users[0])

    response = api_client.post("/api/v2.0/things", "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "BAD_REQUEST"


def test_domain_error_keeps_its_status_and_code(api_client, users):
    api_client.as_user(users[0])

    response = api_client.post("/api/v2.0/things", {"count": 7}, format="json")

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "CONFLICT"


def test_session_write_needs_csrf(users):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(users[0])

    response = client.post("/api/v2.0/things", {"count": 1}, format="json")

    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "FORBIDDEN"
    assert "CSRF" in response.json()["errors"][0]["message"]


def test_request_id_is_echoed_or_made(api_client, users):
    api_client.as_user(users[0])

    given = api_client.get("/api/v2.0/things", HTTP_X_REQUEST_ID="abc-123")
    made = api_client.get("/api/v2.0/things")

    assert given["X-Request-Id"] == "abc-123"
    assert len(made["X-Request-Id"]) == 36


def test_unknown_method_is_405_in_envelope(api_client, users):
    api_client.as_user(users[0])

    response = api_client.delete("/api/v2.0/things")

    assert response.status_code == 405
    assert response.json()["errors"][0]["code"] == "METHOD_NOT_ALLOWED"
