"""Blob upload endpoints: POST, PATCH, PUT, GET and DELETE on /v2/<name>/blobs/uploads/."""

from __future__ import annotations

import hashlib
import os
from datetime import timedelta

import pytest
from django.utils import timezone

from images.models import Blob, BlobUpload, RepositoryBlob
from images.services import uploads
from tests.support.oci import sha256
from tests.support.registry import errors, push_blob

pytestmark = pytest.mark.django_db

OCTET = "application/octet-stream"


def start(client, name="library/app"):
    response = client.post(f"/v2/{name}/blobs/uploads/")
    assert response.status_code == 202, response.content
    return response


def files_under(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_post_opens_a_session_with_location_range_and_uuid(admin_client, library):
    response = start(admin_client)

    upload_id = response["Docker-Upload-UUID"]
    assert response["Location"] == f"http://testserver/v2/library/app/blobs/uploads/{upload_id}"
    assert response["Range"] == "0-0"
    assert response["Content-Length"] == "0"
    assert BlobUpload.objects.filter(pk=upload_id, repository__name="library/app").exists()


def test_post_into_a_missing_project_is_name_unknown(admin_client, db):
    response = admin_client.post("/v2/nosuch/app/blobs/uploads/")

    assert response.status_code == 404
    assert errors(response) == ["NAME_UNKNOWN"]


def test_chunked_upload_with_content_range_then_put(admin_client, library):
    data = os.urandom(300_000)
    location = start(admin_client)["Location"]

    first = admin_client.patch(
        location, data=data[:100_000], content_type=OCTET, HTTP_CONTENT_RANGE="0-99999"
    )
    second = admin_client.patch(
        location, data=data[100_000:250_000], content_type=OCTET, HTTP_CONTENT_RANGE="100000-249999"
    )
    done = admin_client.put(
        f"{location}?digest={sha256(data)}",
        data=data[250_000:],
        content_type=OCTET,
        HTTP_CONTENT_RANGE="250000-299999",
    )

    assert first.status_code == 202 and first["Range"] == "0-99999"
    assert second.status_code == 202 and second["Range"] == "0-249999"
    assert done.status_code == 201, done.content
    assert done["Location"] == f"http://testserver/v2/library/app/blobs/{sha256(data)}"
    assert done["Docker-Content-Digest"] == sha256(data)
    pulled = admin_client.get(f"/v2/library/app/blobs/{sha256(data)}")
    assert b"".join(pulled.streaming_content) == data
    assert not BlobUpload.objects.exists()


def test_patch_without_content_range_appends_like_docker_streams(admin_client, library):
    data = os.urandom(70_000)
    location = start(admin_client)["Location"]

    admin_client.patch(location, data=data[:30_000], content_type=OCTET)
    admin_client.patch(location, data=data[30_000:], content_type=OCTET)
    done = admin_client.put(f"{location}?digest={sha256(data)}")

    assert done.status_code == 201, done.content
    assert Blob.objects.get(digest=sha256(data)).size == 70_000


def test_out_of_order_chunk_is_416_and_the_session_survives(admin_client, library):
    data = os.urandom(2000)
    location = start(admin_client)["Location"]
    admin_client.patch(location, data=data[:1000], content_type=OCTET, HTTP_CONTENT_RANGE="0-999")

    response = admin_client.patch(
        location, data=data[1000:], content_type=OCTET, HTTP_CONTENT_RANGE="1500-2499"
    )

    assert response.status_code == 416
    assert response["Range"] == "0-999"
    assert errors(response) == ["BLOB_UPLOAD_INVALID"]
    resumed = admin_client.patch(
        location, data=data[1000:], content_type=OCTET, HTTP_CONTENT_RANGE="1000-1999"
    )
    assert resumed.status_code == 202
    assert admin_client.put(f"{location}?digest={sha256(data)}").status_code == 201


def test_content_range_disagreeing_with_length_is_416(admin_client, library):
    location = start(admin_client)["Location"]

    response = admin_client.patch(location, data=b"x" * 10, content_type=OCTET, HTTP_CONTENT_RANGE="0-19")

    assert response.status_code == 416


def test_malformed_content_range_is_blob_upload_invalid(admin_client, library):
    location = start(admin_client)["Location"]

    response = admin_client.patch(
        location, data=b"x" * 10, content_type=OCTET, HTTP_CONTENT_RANGE="ten-twenty"
    )

    assert response.status_code == 400
    assert errors(response) == ["BLOB_UPLOAD_INVALID"]


def test_upload_status_reports_the_offset(admin_client, library):
    location = start(admin_client)["Location"]
    admin_client.patch(location, data=b"a" * 512, content_type=OCTET)

    response = admin_client.get(location)

    assert response.status_code == 204
    assert response["Range"] == "0-511"
    assert response["Docker-Upload-UUID"] == location.rsplit("/", 1)[1]


def test_wrong_digest_is_rejected_and_leaves_no_blob(admin_client, library, blob_storage):
    location = start(admin_client)["Location"]
    admin_client.patch(location, data=b"actual content", content_type=OCTET)

    response = admin_client.put(f"{location}?digest={sha256(b'other content')}")

    assert response.status_code == 400
    assert errors(response) == ["DIGEST_INVALID"]
    assert not Blob.objects.exists()
    assert files_under(blob_storage) == []
    assert admin_client.get(location).status_code == 404


@pytest.mark.parametrize(
    "digest",
    ["sha256:short", "md5:d41d8cd98f00b204e9800998ecf8427e", "notadigest", "sha256:" + "A" * 64],
)
def test_malformed_or_unsupported_digest_is_digest_invalid(admin_client, library, digest):
    location = start(admin_client)["Location"]

    response = admin_client.put(f"{location}?digest={digest}", data=b"abc", content_type=OCTET)

    assert response.status_code == 400
    assert errors(response) == ["DIGEST_INVALID"]


def test_put_without_digest_is_rejected(admin_client, library):
    location = start(admin_client)["Location"]

    response = admin_client.put(location, data=b"abc", content_type=OCTET)

    assert response.status_code == 400


def test_monolithic_post_with_sha512_digest(admin_client, library):
    data = os.urandom(5000)
    digest = "sha512:" + hashlib.sha512(data).hexdigest()

    response = admin_client.post(
        f"/v2/library/app/blobs/uploads/?digest={digest}", data=data, content_type=OCTET
    )

    assert response.status_code == 201, response.content
    assert response["Docker-Content-Digest"] == digest
    assert admin_client.head(f"/v2/library/app/blobs/{digest}")["Content-Length"] == "5000"


def test_session_finished_with_a_sha512_digest_is_verified(admin_client, library):
    data = os.urandom(5000)
    location = start(admin_client)["Location"]
    admin_client.patch(location, data=data, content_type=OCTET)

    response = admin_client.put(f"{location}?digest=sha512:{hashlib.sha512(data).hexdigest()}")

    assert response.status_code == 201, response.content


def test_monolithic_post_with_wrong_digest_leaves_nothing(admin_client, library, blob_storage):
    response = admin_client.post(
        f"/v2/library/app/blobs/uploads/?digest={sha256(b'x')}", data=b"y", content_type=OCTET
    )

    assert response.status_code == 400
    assert errors(response) == ["DIGEST_INVALID"]
    assert files_under(blob_storage) == []
    assert not Blob.objects.exists()


def test_cancel_deletes_the_session_and_its_bytes(admin_client, library, blob_storage):
    location = start(admin_client)["Location"]
    admin_client.patch(location, data=b"z" * 100, content_type=OCTET)

    response = admin_client.delete(location)

    assert response.status_code == 204
    assert files_under(blob_storage) == []
    assert admin_client.get(location).status_code == 404
    assert errors(admin_client.delete(location)) == ["BLOB_UPLOAD_UNKNOWN"]


@pytest.mark.parametrize("upload_id", ["not-a-uuid", "3f2a1c9e-0000-4000-8000-000000000000"])
def test_unknown_upload_is_blob_upload_unknown(admin_client, library, upload_id):
    for method in ("get", "patch", "put", "delete"):
        response = getattr(admin_client, method)(
            f"/v2/library/app/blobs/uploads/{upload_id}?digest={sha256(b'')}"
        )

        assert response.status_code == 404, method
        assert errors(response) == ["BLOB_UPLOAD_UNKNOWN"], method


def test_a_session_cannot_be_used_from_another_repository(admin_client, library):
    upload_id = start(admin_client, "library/one")["Docker-Upload-UUID"]

    response = admin_client.patch(
        f"/v2/library/two/blobs/uploads/{upload_id}", data=b"abc", content_type=OCTET
    )

    assert response.status_code == 404
    assert errors(response) == ["BLOB_UPLOAD_UNKNOWN"]


def test_duplicate_content_keeps_one_stored_copy(
    admin_client, library, blob_storage, django_capture_on_commit_callbacks
):
    data = os.urandom(1000)

    with django_capture_on_commit_callbacks(execute=True):
        push_blob(admin_client, "library/one", data)
        push_blob(admin_client, "library/two", data)

    assert Blob.objects.count() == 1
    assert RepositoryBlob.objects.count() == 2
    assert len(files_under(blob_storage)) == 1


def test_empty_blob(admin_client, library):
    digest = push_blob(admin_client, "library/app", b"")

    response = admin_client.get(f"/v2/library/app/blobs/{digest}")

    assert response.status_code == 200
    assert response["Content-Length"] == "0"


def test_mount_links_a_readable_blob_with_201(admin_client, library):
    digest = push_blob(admin_client, "library/source", b"shared layer")

    response = admin_client.post(f"/v2/library/target/blobs/uploads/?mount={digest}&from=library/source")

    assert response.status_code == 201
    assert response["Location"] == f"http://testserver/v2/library/target/blobs/{digest}"
    assert response["Docker-Content-Digest"] == digest
    assert admin_client.head(f"/v2/library/target/blobs/{digest}").status_code == 200


def test_mount_of_an_unknown_blob_falls_back_to_a_session(admin_client, library):
    response = admin_client.post(
        f"/v2/library/target/blobs/uploads/?mount={sha256(b'nope')}&from=library/source"
    )

    assert response.status_code == 202
    assert "Docker-Upload-UUID" in response


def test_mount_needs_pull_on_the_source(alice, library, private_project, client_for):
    admin = client_for(is_superuser=True)
    digest = push_blob(admin, "secret/source", b"private layer")
    token_client = client_for(
        username="alice",
        access=[{"type": "repository", "name": "library/target", "actions": ["pull", "push"]}],
    )

    response = token_client.post(f"/v2/library/target/blobs/uploads/?mount={digest}&from=secret/source")

    assert response.status_code == 202
    assert not RepositoryBlob.objects.filter(repository__name="library/target").exists()


def test_push_needs_authentication(anon_client, library):
    response = anon_client.post("/v2/library/app/blobs/uploads/")

    assert response.status_code == 401
    assert 'scope="repository:library/app:push"' in response["WWW-Authenticate"]


def test_a_session_another_request_is_writing_is_refused(admin_client, library):
    location = start(admin_client)["Location"]
    BlobUpload.objects.update(busy_until=timezone.now() + timedelta(minutes=5))

    response = admin_client.patch(location, data=b"abc", content_type=OCTET)

    assert response.status_code == 400
    assert errors(response) == ["BLOB_UPLOAD_INVALID"]


def test_an_expired_lease_does_not_block_the_session(admin_client, library):
    location = start(admin_client)["Location"]
    BlobUpload.objects.update(busy_until=timezone.now() - timedelta(minutes=5))

    response = admin_client.patch(location, data=b"abc", content_type=OCTET)

    assert response.status_code == 202
    assert BlobUpload.objects.get().busy_until is None


def test_session_continues_when_the_hash_state_is_unusable(admin_client, library):
    """Another platform's hash state (or none) means re-hashing the stored bytes at the end."""
    data = os.urandom(4000)
    location = start(admin_client)["Location"]
    admin_client.patch(location, data=data[:1000], content_type=OCTET)
    BlobUpload.objects.update(hash_state=b"from another machine")

    admin_client.patch(location, data=data[1000:], content_type=OCTET)
    response = admin_client.put(f"{location}?digest={sha256(data)}")

    assert response.status_code == 201, response.content


def test_finishing_a_session_another_request_is_writing_is_refused(admin_client, library):
    location = start(admin_client)["Location"]
    admin_client.patch(location, data=b"abc", content_type=OCTET)
    BlobUpload.objects.update(busy_until=timezone.now() + timedelta(minutes=5))

    response = admin_client.put(f"{location}?digest={sha256(b'abc')}")

    assert response.status_code == 400
    assert errors(response) == ["BLOB_UPLOAD_INVALID"]
    assert BlobUpload.objects.exists()
    assert not Blob.objects.exists()


def test_a_failure_while_finishing_leaves_no_session_and_no_bytes(
    admin_client, library, blob_storage, monkeypatch
):
    location = start(admin_client)["Location"]
    admin_client.patch(location, data=b"some bytes", content_type=OCTET)

    def broken_commit(**kwargs):
        raise OSError("storage went away")

    monkeypatch.setattr(uploads.blobstore, "upload_commit", broken_commit)
    with pytest.raises(OSError):
        uploads.blob_upload_finish(
            repository_name="library/app",
            upload_id=location.rsplit("/", 1)[1],
            digest=sha256(b"some bytes"),
            body=uploads.Body(reader=None, length=0),
        )

    assert not BlobUpload.objects.exists()
    assert not Blob.objects.exists()
    assert files_under(blob_storage) == []
