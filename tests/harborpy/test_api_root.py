"""/api/v2.0/ping and the OpenAPI schema."""

from __future__ import annotations


def test_ping_answers_pong_without_authentication(client):
    response = client.get("/api/v2.0/ping")

    assert response.status_code == 200
    assert response.content == b"Pong"
    assert response["Content-Type"].startswith("text/plain")


def test_openapi_schema_lists_the_api(client, db):
    response = client.get("/api/v2.0/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v2.0/ping" in schema["paths"]


def test_the_api_is_browsable_in_a_browser_session(client, admin):
    client.force_login(admin)

    response = client.get("/api/v2.0/audit-logs", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b"Audit Log List" in response.content
