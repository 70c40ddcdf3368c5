"""Pulling blobs stored in S3 (SeaweedFS) through `/v2/`: presigned redirects, streams and ranges."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import pytest
import requests

from images.models import Blob
from tests.factories import RepositoryFactory, store_blob
from tests.s3.conftest import PART_SIZE, S3Blobs

pytestmark = [pytest.mark.s3, pytest.mark.django_db]

REPO = "library/app"


@pytest.fixture
def stored(library, s3_blobs: S3Blobs) -> tuple[Blob, bytes]:
    """A blob of two parts in S3, readable in library/app."""
    data = os.urandom(PART_SIZE + 4096)
    blob = store_blob(data)
    RepositoryFactory(project=library, name=REPO).blob_links.create(blob=blob)
    return blob, data


def test_pull_redirects_to_a_presigned_url_that_serves_the_bytes(admin_client, stored, s3_blobs):
    blob, data = stored

    response = admin_client.get(f"/v2/{REPO}/blobs/{blob.digest}")

    assert response.status_code == 307
    assert response["Docker-Content-Digest"] == blob.digest
    location = response["Location"]
    assert location.startswith(
        f"{s3_blobs.credentials.endpoint_url}/{s3_blobs.bucket}/{s3_blobs.object_key('')}"
    )
    assert "X-Amz-Signature=" in location and "X-Amz-Expires=300" in location
    fetched = requests.get(location, timeout=30)
    assert fetched.status_code == 200
    assert fetched.content == data


def test_presigned_url_honours_a_range_the_client_sends(admin_client, stored):
    blob, data = stored
    location = admin_client.get(f"/v2/{REPO}/blobs/{blob.digest}", HTTP_RANGE="bytes=10-19")["Location"]

    fetched = requests.get(location, headers={"Range": f"bytes={PART_SIZE - 5}-{PART_SIZE + 4}"}, timeout=30)

    assert fetched.status_code == 206
    assert fetched.content == data[PART_SIZE - 5 : PART_SIZE + 5]


def test_presigned_url_is_refused_without_its_signature(admin_client, stored):
    blob, _data = stored
    location = admin_client.get(f"/v2/{REPO}/blobs/{blob.digest}")["Location"]
    parts = urlsplit(location)

    fetched = requests.get(f"{parts.scheme}://{parts.netloc}{parts.path}", timeout=30)

    assert fetched.status_code == 403


def test_pull_streams_the_blob_when_redirects_are_off(admin_client, stored, settings):
    settings.REGISTRY_REDIRECT_BLOBS = False
    blob, data = stored

    response = admin_client.get(f"/v2/{REPO}/blobs/{blob.digest}")

    assert response.status_code == 200
    assert response["Content-Length"] == str(len(data))
    assert response["Docker-Content-Digest"] == blob.digest
    assert b"".join(response.streaming_content) == data


def test_range_across_a_part_boundary_is_a_206_when_redirects_are_off(admin_client, stored, settings):
    settings.REGISTRY_REDIRECT_BLOBS = False
    blob, data = stored
    start, end = PART_SIZE - 100, PART_SIZE + 99

    response = admin_client.get(f"/v2/{REPO}/blobs/{blob.digest}", HTTP_RANGE=f"bytes={start}-{end}")

    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {start}-{end}/{len(data)}"
    assert response["Content-Length"] == "200"
    assert b"".join(response.streaming_content) == data[start : end + 1]


def test_suffix_range_is_the_end_of_the_blob_when_redirects_are_off(admin_client, stored, settings):
    settings.REGISTRY_REDIRECT_BLOBS = False
    blob, data = stored

    response = admin_client.get(f"/v2/{REPO}/blobs/{blob.digest}", HTTP_RANGE="bytes=-10")

    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {len(data) - 10}-{len(data) - 1}/{len(data)}"
    assert b"".join(response.streaming_content) == data[-10:]


def test_empty_blob_streams_as_an_empty_body(admin_client, library, s3_blobs, settings):
    settings.REGISTRY_REDIRECT_BLOBS = False
    blob = store_blob(b"")
    RepositoryFactory(project=library, name=REPO).blob_links.create(blob=blob)

    response = admin_client.get(f"/v2/{REPO}/blobs/{blob.digest}")

    assert response.status_code == 200
    assert response["Content-Length"] == "0"
    assert b"".join(response.streaming_content) == b""
