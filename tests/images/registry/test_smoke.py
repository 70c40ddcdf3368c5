from __future__ import annotations

import hashlib

import pytest

pytestmark = pytest.mark.django_db


def test_base_endpoint_challenges_anonymous_callers(anon_client):
    response = anon_client.get("/v2/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith('Bearer realm="http://testserver/service/token"')
    assert response["Docker-Distribution-API-Version"] == "registry/2.0"
    assert response.json()["errors"][0]["code"] == "UNAUTHORIZED"


def test_monolithic_push_then_pull_returns_the_same_bytes(admin_client, library):
    data = b"hello blob" * 1000
    digest = "sha256:" + hashlib.sha256(data).hexdigest()

    response = admin_client.post(
        f"/v2/library/app/blobs/uploads/?digest={digest}", data=data, content_type="application/octet-stream"
    )

    assert response.status_code == 201, response.content
    assert response["Docker-Content-Digest"] == digest
    pulled = admin_client.get(f"/v2/library/app/blobs/{digest}")
    assert pulled.status_code == 200
    assert b"".join(pulled.streaming_content) == data
