from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_disallowed_host_on_the_registry_is_an_oci_error(client, settings):
    settings.ALLOWED_HOSTS = ["registry.example.com"]

    response = client.get("/v2/", HTTP_HOST="evil.example.com")

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "BAD_REQUEST"


def test_unexpected_error_on_the_registry_is_an_oci_500(client, library, monkeypatch):
    def explode(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("images.registry.views.tag_names", explode)
    client.raise_request_exception = False

    response = client.get("/v2/library/app/tags/list")

    assert response.status_code == 500
    assert response.json() == {"errors": [{"code": "UNKNOWN", "message": "Internal error.", "detail": {}}]}


def test_the_site_keeps_html_error_pages(client):
    response = client.get("/no/such/page")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
