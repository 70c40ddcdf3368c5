"""Blob endpoints: GET/HEAD with Range, DELETE."""

from __future__ import annotations

import os

import pytest

from images.models import Blob, RepositoryBlob
from tests.support.oci import sha256
from tests.support.registry import errors, push_blob

pytestmark = pytest.mark.django_db

DATA = os.urandom(10_000)


@pytest.fixture
def digest(admin_client, library):
    return push_blob(admin_client, "library/app", DATA)


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_get_streams_the_blob_with_its_headers(admin_client, digest):
    response = admin_client.get(f"/v2/library/app/blobs/{digest}")

    assert response.status_code == 200
    assert body(response) == DATA
    assert response["Content-Length"] == "10000"
    assert response["Docker-Content-Digest"] == digest
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Docker-Distribution-API-Version"] == "registry/2.0"


def test_head_gives_size_and_digest_without_body(admin_client, digest):
    response = admin_client.head(f"/v2/library/app/blobs/{digest}")

    assert response.status_code == 200
    assert response.content == b""
    assert response["Content-Length"] == "10000"
    assert response["Docker-Content-Digest"] == digest


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=9000-", 9000, 9999),
        ("bytes=-100", 9900, 9999),
        ("bytes=5000-20000", 5000, 9999),
    ],
)
def test_range_requests_get_206(admin_client, digest, header, start, end):
    response = admin_client.get(f"/v2/library/app/blobs/{digest}", HTTP_RANGE=header)

    assert response.status_code == 206
    assert body(response) == DATA[start : end + 1]
    assert response["Content-Range"] == f"bytes {start}-{end}/10000"
    assert response["Content-Length"] == str(end - start + 1)


def test_range_beyond_the_blob_is_416(admin_client, digest):
    response = admin_client.get(f"/v2/library/app/blobs/{digest}", HTTP_RANGE="bytes=20000-30000")

    assert response.status_code == 416
    assert response["Content-Range"] == "bytes */10000"


def test_unknown_blob_is_blob_unknown(admin_client, digest):
    response = admin_client.get(f"/v2/library/app/blobs/{sha256(b'absent')}")

    assert response.status_code == 404
    assert errors(response) == ["BLOB_UNKNOWN"]


def test_a_blob_is_not_readable_from_a_repository_that_does_not_link_it(admin_client, digest):
    push_blob(admin_client, "library/other", b"something else")

    response = admin_client.get(f"/v2/library/other/blobs/{digest}")

    assert errors(response) == ["BLOB_UNKNOWN"]


def test_blob_in_unknown_repository_is_name_unknown(admin_client, digest):
    response = admin_client.get(f"/v2/library/nothing/blobs/{digest}")

    assert errors(response) == ["NAME_UNKNOWN"]


def test_malformed_digest_is_digest_invalid(admin_client, digest):
    response = admin_client.get("/v2/library/app/blobs/sha256:zzz")

    assert response.status_code == 400
    assert errors(response) == ["DIGEST_INVALID"]


def test_delete_unlinks_the_blob_from_the_repository(admin_client, digest):
    response = admin_client.delete(f"/v2/library/app/blobs/{digest}")

    assert response.status_code == 202
    assert not RepositoryBlob.objects.exists()
    assert Blob.objects.filter(digest=digest).exists()  # the bytes wait for garbage collection
    assert errors(admin_client.get(f"/v2/library/app/blobs/{digest}")) == ["BLOB_UNKNOWN"]
    assert errors(admin_client.delete(f"/v2/library/app/blobs/{digest}")) == ["BLOB_UNKNOWN"]


def test_anonymous_pull_from_a_public_project(anon_client, digest):
    response = anon_client.get(f"/v2/library/app/blobs/{digest}")

    assert response.status_code == 200
    assert body(response) == DATA


def test_anonymous_pull_from_a_private_project_is_challenged(admin_client, anon_client, private_project):
    digest = push_blob(admin_client, "secret/app", b"private")

    response = anon_client.get(f"/v2/secret/app/blobs/{digest}")

    assert response.status_code == 401
    assert 'scope="repository:secret/app:pull"' in response["WWW-Authenticate"]


def test_x_accel_redirect_hands_the_blob_to_nginx(admin_client, digest, settings):
    settings.REGISTRY_X_ACCEL_REDIRECT = "/_blobs/"

    response = admin_client.get(f"/v2/library/app/blobs/{digest}")

    assert response.status_code == 200
    assert response["X-Accel-Redirect"].startswith("/_blobs/blobs/")
    assert response["Content-Length"] == "10000"
    assert response["Docker-Content-Digest"] == digest
