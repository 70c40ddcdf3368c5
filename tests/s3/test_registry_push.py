"""Pushing blobs through the real `/v2/` views into S3 (SeaweedFS): every upload shape, and no garbage."""

from __future__ import annotations

import hashlib
import os
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.files.storage import storages
from django.test import Client

from images.models import Blob, BlobUpload
from tests.s3.conftest import PART_SIZE, S3Blobs

pytestmark = [pytest.mark.s3, pytest.mark.django_db]

REPO = "library/app"
MiB = 1024 * 1024
EMPTY_DIGEST = "sha256:" + hashlib.sha256(b"").hexdigest()


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def start_session(client: Client) -> str:
    response = client.post(f"/v2/{REPO}/blobs/uploads/")
    assert response.status_code == 202, response.content
    return urlsplit(response["Location"]).path


def patch(client: Client, path: str, data: bytes, start: int) -> Any:
    return client.patch(
        path,
        data=data,
        content_type="application/octet-stream",
        HTTP_CONTENT_RANGE=f"{start}-{start + len(data) - 1}",
    )


def finish(client: Client, path: str, digest: str, data: bytes = b"", start: int = 0) -> Any:
    extra = {"HTTP_CONTENT_RANGE": f"{start}-{start + len(data) - 1}"} if data else {}
    return client.put(f"{path}?digest={digest}", data=data, content_type="application/octet-stream", **extra)


def push_in_chunks(client: Client, chunks: list[bytes]) -> Any:
    """A session with one PATCH per chunk, finished by a PUT without a body."""
    path = start_session(client)
    offset = 0
    for chunk in chunks:
        response = patch(client, path, chunk, offset)
        assert response.status_code == 202, response.content
        offset += len(chunk)
        assert response["Range"] == f"0-{offset - 1}"
    return finish(client, path, sha256(b"".join(chunks)))


def assert_stored(s3_blobs: S3Blobs, data: bytes, *, parts: int | None = None) -> Blob:
    """The blob row exists, its object holds `data`, and the bucket holds nothing but blob objects."""
    blob = Blob.objects.get(digest=sha256(data))
    assert blob.size == len(data)
    assert s3_blobs.read(blob.storage_key) == data
    if parts is not None:
        # A multipart ETag ends in -<part count>: the object was assembled from the uploaded
        # parts by CompleteMultipartUpload, not re-written or copied afterwards.
        assert s3_blobs.head(blob.storage_key)["ETag"].strip('"').endswith(f"-{parts}")
    assert_no_garbage(s3_blobs)
    return blob


def assert_no_garbage(s3_blobs: S3Blobs) -> None:
    """Only objects of recorded blobs are in the bucket, and no multipart upload is open."""
    assert s3_blobs.keys() == sorted(
        s3_blobs.object_key(key) for key in Blob.objects.values_list("storage_key", flat=True)
    )
    assert s3_blobs.uploads() == []
    assert not BlobUpload.objects.exists()


def test_monolithic_upload_stores_the_bytes(admin_client, library, s3_blobs):
    data = os.urandom(PART_SIZE + 123)

    response = admin_client.post(
        f"/v2/{REPO}/blobs/uploads/?digest={sha256(data)}", data=data, content_type="application/octet-stream"
    )

    assert response.status_code == 201, response.content
    assert response["Docker-Content-Digest"] == sha256(data)
    assert_stored(s3_blobs, data, parts=2)


def test_session_with_one_patch_stores_the_bytes(admin_client, library, s3_blobs):
    data = os.urandom(2 * PART_SIZE + 7)

    response = push_in_chunks(admin_client, [data])

    assert response.status_code == 201, response.content
    assert_stored(s3_blobs, data, parts=3)


def test_many_patches_smaller_than_a_part_keep_one_tail_object(admin_client, library, s3_blobs):
    sizes = [300 * 1024 + 17 * i for i in range(20)]  # about 6 MiB in all: crosses one part boundary
    data = os.urandom(sum(sizes))
    path = start_session(admin_client)
    offset = 0

    for size in sizes:
        response = patch(admin_client, path, data[offset : offset + size], offset)
        assert response.status_code == 202, response.content
        offset += size
        # Between requests the bucket holds exactly the current tail: the previous one is gone.
        state = BlobUpload.objects.get().backend_state
        assert state["tail_size"] == offset % PART_SIZE
        assert len(state["parts"]) == offset // PART_SIZE
        assert s3_blobs.keys() == [s3_blobs.object_key(state["tail"])]
    response = finish(admin_client, path, sha256(data))

    assert response.status_code == 201, response.content
    assert_stored(s3_blobs, data, parts=2)


def test_chunks_crossing_part_boundaries_store_the_bytes(admin_client, library, s3_blobs):
    chunks = [os.urandom(7 * MiB) for _ in range(3)]

    response = push_in_chunks(admin_client, chunks)

    assert response.status_code == 201, response.content
    assert_stored(s3_blobs, b"".join(chunks), parts=5)


def test_last_chunk_sent_with_the_put_is_stored(admin_client, library, s3_blobs):
    first, last = os.urandom(PART_SIZE + 5), os.urandom(3 * MiB)
    path = start_session(admin_client)
    assert patch(admin_client, path, first, 0).status_code == 202

    response = finish(admin_client, path, sha256(first + last), last, len(first))

    assert response.status_code == 201, response.content
    assert_stored(s3_blobs, first + last, parts=2)


def test_empty_blob_from_a_session_is_an_empty_object(admin_client, library, s3_blobs):
    path = start_session(admin_client)

    response = finish(admin_client, path, EMPTY_DIGEST)

    assert response.status_code == 201, response.content
    assert_stored(s3_blobs, b"")


def test_empty_blob_sent_monolithically_is_an_empty_object(admin_client, library, s3_blobs):
    response = admin_client.post(
        f"/v2/{REPO}/blobs/uploads/?digest={EMPTY_DIGEST}", data=b"", content_type="application/octet-stream"
    )

    assert response.status_code == 201, response.content
    assert_stored(s3_blobs, b"")


def test_blob_of_exactly_one_part_is_one_part(admin_client, library, s3_blobs):
    data = os.urandom(PART_SIZE)

    response = push_in_chunks(admin_client, [data])

    assert response.status_code == 201, response.content
    assert BlobUpload.objects.count() == 0
    assert_stored(s3_blobs, data, parts=1)


def test_chunks_ending_on_a_part_boundary_leave_no_tail(admin_client, library, s3_blobs):
    data = os.urandom(2 * PART_SIZE)
    path = start_session(admin_client)
    assert patch(admin_client, path, data[: PART_SIZE - 10], 0).status_code == 202

    response = patch(admin_client, path, data[PART_SIZE - 10 : PART_SIZE], PART_SIZE - 10)

    assert response.status_code == 202
    assert BlobUpload.objects.get().backend_state["tail"] == ""
    assert s3_blobs.keys() == []
    assert patch(admin_client, path, data[PART_SIZE:], PART_SIZE).status_code == 202
    assert finish(admin_client, path, sha256(data)).status_code == 201
    assert_stored(s3_blobs, data, parts=2)


def test_wrong_digest_on_finish_leaves_nothing(admin_client, library, s3_blobs):
    data = os.urandom(PART_SIZE + 1000)
    path = start_session(admin_client)
    assert patch(admin_client, path, data, 0).status_code == 202

    response = finish(admin_client, path, sha256(b"something else"))

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "DIGEST_INVALID"
    assert not Blob.objects.exists()
    assert s3_blobs.keys() == []
    assert_no_garbage(s3_blobs)


def test_wrong_digest_on_monolithic_upload_leaves_nothing(admin_client, library, s3_blobs):
    data = os.urandom(PART_SIZE + 1000)

    response = admin_client.post(
        f"/v2/{REPO}/blobs/uploads/?digest={sha256(b'other')}",
        data=data,
        content_type="application/octet-stream",
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "DIGEST_INVALID"
    assert not Blob.objects.exists()
    assert s3_blobs.keys() == []
    assert_no_garbage(s3_blobs)


def test_cancel_leaves_nothing(admin_client, library, s3_blobs):
    path = start_session(admin_client)
    assert patch(admin_client, path, os.urandom(PART_SIZE + 1000), 0).status_code == 202
    assert len(s3_blobs.uploads()) == 1 and len(s3_blobs.keys()) == 1  # the open upload and its tail

    response = admin_client.delete(path)

    assert response.status_code == 204
    assert admin_client.get(path).status_code == 404
    assert s3_blobs.keys() == []
    assert_no_garbage(s3_blobs)


def test_duplicate_digest_keeps_one_object(
    admin_client, library, s3_blobs, django_capture_on_commit_callbacks
):
    data = os.urandom(PART_SIZE + 10)
    with django_capture_on_commit_callbacks(execute=True):
        assert push_in_chunks(admin_client, [data]).status_code == 201

    with django_capture_on_commit_callbacks(execute=True):
        response = push_in_chunks(admin_client, [data[:100], data[100:]])

    assert response.status_code == 201
    assert Blob.objects.count() == 1
    assert_stored(s3_blobs, data, parts=2)


def test_out_of_order_chunk_is_416_and_the_session_goes_on(admin_client, library, s3_blobs):
    data = os.urandom(PART_SIZE + 3 * MiB)
    path = start_session(admin_client)
    assert patch(admin_client, path, data[:MiB], 0).status_code == 202

    response = patch(admin_client, path, data[2 * MiB : 3 * MiB], 2 * MiB)

    assert response.status_code == 416
    assert response["Range"] == f"0-{MiB - 1}"
    assert admin_client.get(path)["Range"] == f"0-{MiB - 1}"
    assert patch(admin_client, path, data[MiB:], MiB).status_code == 202
    assert finish(admin_client, path, sha256(data)).status_code == 201
    assert_stored(s3_blobs, data, parts=2)


def test_session_continues_from_its_row_alone(admin_client, library, s3_blobs, settings):
    data = os.urandom(PART_SIZE + 2 * MiB)
    path = start_session(admin_client)
    assert patch(admin_client, path, data[: PART_SIZE + MiB], 0).status_code == 202
    state = BlobUpload.objects.get().backend_state
    assert state["upload_id"] and len(state["parts"]) == 1 and state["tail_size"] == MiB

    first_storage = storages["blobs"]
    # "Another instance": new storage objects and boto3 connections; only the row carries over.
    settings.STORAGES = {**settings.STORAGES}
    assert storages["blobs"] is not first_storage
    response = patch(admin_client, path, data[PART_SIZE + MiB :], PART_SIZE + MiB)

    assert response.status_code == 202
    assert finish(admin_client, path, sha256(data)).status_code == 201
    assert_stored(s3_blobs, data, parts=2)
