"""The S3 backend of images.blobstore and the upload services on it, against SeaweedFS.

These tests go below the `/v2/` views: failed and raced chunks, bodies without a length, memory,
key prefixes, the part size of a session, and a session continued by another process.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
import requests
from django.conf import settings as django_settings
from django.db import connection

from images import blobstore
from images.errors import BlobUploadInvalid, SizeInvalid
from images.models import Blob, BlobUpload
from images.services.uploads import (
    Body,
    blob_upload_append,
    blob_upload_finish,
    blob_upload_monolithic,
    blob_upload_start,
)
from tests.factories import store_blob
from tests.s3.conftest import BUCKET, LOCATION, PART_SIZE, S3Blobs, s3_storage_options

pytestmark = [pytest.mark.s3, pytest.mark.django_db]

REPO = "library/app"
MiB = 1024 * 1024
BASE_DIR = Path(django_settings.BASE_DIR)


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def body(data: bytes, length: int | None = -1) -> Body:
    """A request body holding `data`; `length` is the declared length (default: len(data))."""
    return Body(reader=io.BytesIO(data), length=len(data) if length == -1 else length)


def assert_only_blob_objects(s3_blobs: S3Blobs) -> None:
    expected = sorted(s3_blobs.object_key(key) for key in Blob.objects.values_list("storage_key", flat=True))
    assert s3_blobs.keys() == expected
    assert s3_blobs.uploads() == []


class _FreshPieces:
    """A body of `total` bytes that allocates every piece anew, like a socket read."""

    def __init__(self, total: int) -> None:
        self.remaining = total

    def read(self, size: int) -> bytes:
        n = min(size, self.remaining)
        self.remaining -= n
        return b"\x5a" * n


def test_append_buffers_at_most_one_part_and_the_pieces_read_ahead(s3_blobs, settings):
    key = blobstore.storage_key_for_upload(os.urandom(16).hex())
    state = blobstore.upload_start(key=key)
    # Start from a tail, so reading it back is part of what is measured.
    _written, state = blobstore.upload_write(
        key=key, backend_state=state, offset=0, body=io.BytesIO(b"t" * 1000), hasher=None, length=1000
    )
    total = 3 * PART_SIZE + 12345

    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        written, state = blobstore.upload_write(
            key=key, backend_state=state, offset=1000, body=_FreshPieces(total), hasher=None, length=total
        )
        peak = tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()
    blobstore.upload_discard(key=key, backend_state=state)

    assert written == total and len(state["parts"]) == 3
    # One part being filled (a bytearray over-allocates as it grows), the pieces read ahead
    # (blobstore.READ_AHEAD_PIECES), one in the reader's hand and two in the writer's.
    bound = 1.2 * PART_SIZE + (blobstore.READ_AHEAD_PIECES + 3) * settings.UPLOAD_READ_BYTES
    assert peak <= bound, f"peak {peak / MiB:.1f} MiB"


def test_reading_zero_bytes_of_a_blob_reads_nothing(s3_blobs, settings):
    settings.REGISTRY_REDIRECT_BLOBS = False
    blob = store_blob(os.urandom(1000))

    download = blobstore.blob_download(key=blob.storage_key, start=0, length=0)

    assert download.length == 0
    assert b"".join(download.chunks) == b""


def test_failed_chunk_leaves_the_session_as_it_was(library, s3_blobs):
    data = os.urandom(2 * PART_SIZE)
    upload = blob_upload_start(repository_name=REPO)
    blob_upload_append(repository_name=REPO, upload_id=str(upload.pk), body=body(data[:MiB]))
    before = BlobUpload.objects.get().backend_state

    # Other bytes, and a body that ends early: parts 1 to 3 of them reach S3 before the error.
    with pytest.raises(SizeInvalid):
        blob_upload_append(
            repository_name=REPO,
            upload_id=str(upload.pk),
            body=body(os.urandom(3 * PART_SIZE), length=3 * PART_SIZE + 1),
        )

    row = BlobUpload.objects.get()
    assert (row.offset, row.backend_state) == (MiB, before)
    assert s3_blobs.keys() == [s3_blobs.object_key(before["tail"])]
    # The retry re-sends parts 1 and 2 and ends on a part boundary; part 3 of the failed
    # request is left in the multipart upload, and completion must not use it.
    blob_upload_append(repository_name=REPO, upload_id=str(upload.pk), body=body(data[MiB:]))
    blob = blob_upload_finish(
        repository_name=REPO, upload_id=str(upload.pk), digest=sha256(data), body=body(b"")
    )
    assert s3_blobs.read(blob.storage_key) == data
    assert s3_blobs.head(blob.storage_key)["ContentLength"] == len(data)
    assert_only_blob_objects(s3_blobs)


def test_chunk_whose_session_moved_on_leaves_no_tail(library, s3_blobs):
    upload = blob_upload_start(repository_name=REPO)
    blob_upload_append(repository_name=REPO, upload_id=str(upload.pk), body=body(b"a" * 100))
    tail = BlobUpload.objects.get().backend_state["tail"]

    class _RacedBody:
        """Another instance records a chunk while this one is still being written."""

        def __init__(self) -> None:
            self.data = io.BytesIO(b"b" * 200)

        def read(self, size: int) -> bytes:
            chunk = self.data.read(size)
            if self.data.tell() == 200:
                BlobUpload.objects.filter(pk=upload.pk).update(offset=150)
            return chunk

    with pytest.raises(BlobUploadInvalid):
        blob_upload_append(
            repository_name=REPO, upload_id=str(upload.pk), body=Body(reader=_RacedBody(), length=200)
        )

    assert s3_blobs.keys() == [s3_blobs.object_key(tail)]


def test_chunked_bodies_without_a_length_are_stored(library, s3_blobs):
    data = os.urandom(PART_SIZE + 3 * MiB)
    upload = blob_upload_start(repository_name=REPO)

    blob_upload_append(repository_name=REPO, upload_id=str(upload.pk), body=body(data[:MiB], length=None))
    blob = blob_upload_finish(
        repository_name=REPO,
        upload_id=str(upload.pk),
        digest=sha256(data),
        body=body(data[MiB:], length=None),
    )

    assert blob.size == len(data)
    assert s3_blobs.read(blob.storage_key) == data
    assert_only_blob_objects(s3_blobs)


def test_short_monolithic_body_leaves_nothing(library, s3_blobs):
    data = os.urandom(PART_SIZE + 100)

    with pytest.raises(SizeInvalid):
        blob_upload_monolithic(
            repository_name=REPO, digest=sha256(data), body=body(data, length=len(data) + 1)
        )

    assert not Blob.objects.exists()
    assert s3_blobs.keys() == []
    assert s3_blobs.uploads() == []


def test_part_size_of_a_session_does_not_change_with_the_settings(library, s3_blobs, settings):
    settings.S3_PART_SIZE = PART_SIZE + MiB
    data = os.urandom(3 * PART_SIZE)
    upload = blob_upload_start(repository_name=REPO)
    blob_upload_append(
        repository_name=REPO, upload_id=str(upload.pk), body=body(data[: PART_SIZE + MiB // 2])
    )

    # Another instance, configured with a smaller part size, continues the session.
    settings.S3_PART_SIZE = PART_SIZE
    blob_upload_append(
        repository_name=REPO, upload_id=str(upload.pk), body=body(data[PART_SIZE + MiB // 2 :])
    )

    state = BlobUpload.objects.get().backend_state
    assert [part["Size"] for part in state["parts"]] == [PART_SIZE + MiB, PART_SIZE + MiB]
    assert state["tail_size"] == len(data) - 2 * (PART_SIZE + MiB)
    blob = blob_upload_finish(
        repository_name=REPO, upload_id=str(upload.pk), digest=sha256(data), body=body(b"")
    )
    assert s3_blobs.read(blob.storage_key) == data


@pytest.mark.parametrize("location", ["", "deep/prefix"])
def test_keys_and_presigned_urls_follow_the_storage_location(library, s3_blobs, settings, location):
    settings.STORAGES = {
        **settings.STORAGES,
        "blobs": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": s3_blobs.options(location)},
    }
    s3_blobs.location = location
    data = os.urandom(PART_SIZE + 10)

    blob = blob_upload_monolithic(repository_name=REPO, digest=sha256(data), body=body(data))

    expected_key = f"{location}/{blob.storage_key}" if location else blob.storage_key
    assert s3_blobs.keys() == [expected_key]
    url = blobstore.blob_download(key=blob.storage_key, start=0, length=blob.size).redirect_url
    assert requests.get(url, timeout=30).content == data


def test_settings_build_the_storage_options_the_tests_use(seaweedfs, tmp_path):
    env = {
        **os.environ,
        "HARBORPY_DATA_DIR": str(tmp_path),
        "HARBORPY_S3_ENABLED": "true",
        "HARBORPY_S3_BUCKET": BUCKET,
        "HARBORPY_S3_ENDPOINT_URL": seaweedfs.endpoint_url,
        "HARBORPY_S3_ACCESS_KEY": seaweedfs.access_key,
        "HARBORPY_S3_SECRET_KEY": seaweedfs.secret_key,
        "HARBORPY_S3_REGION": seaweedfs.region,
        "DJANGO_SETTINGS_MODULE": "harborpy.settings",
    }
    code = "import json; from django.conf import settings; print(json.dumps(settings.STORAGES['blobs']))"

    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert json.loads(result.stdout) == {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": s3_storage_options(credentials=seaweedfs, bucket=BUCKET, location=LOCATION),
    }


_CONTINUE_IN_CHILD = """
import sys
import django
django.setup()
from images.services.uploads import Body, blob_upload_append
length = int(sys.argv[3])
upload = blob_upload_append(
    repository_name=sys.argv[1], upload_id=sys.argv[2], body=Body(reader=sys.stdin.buffer, length=length)
)
print(upload.offset)
"""


def _database_url_for_children() -> str:
    """A DATABASE_URL that opens the test database from another process, or "" when none can."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        return (
            f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
    if connection.vendor == "sqlite" and not connection.is_in_memory_db():
        return f"sqlite:///{db['NAME']}"
    return ""


@pytest.mark.django_db(transaction=True)
def test_session_continues_in_another_process(library, s3_blobs, seaweedfs, tmp_path):
    database_url = _database_url_for_children()
    if not database_url:
        pytest.skip(
            "the test database is in-memory SQLite; another process needs PostgreSQL or HARBORPY_TEST_SQLITE"
        )
    data = os.urandom(2 * PART_SIZE + MiB)
    upload = blob_upload_start(repository_name=REPO)
    blob_upload_append(repository_name=REPO, upload_id=str(upload.pk), body=body(data[: PART_SIZE + MiB]))
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "HARBORPY_DATA_DIR": str(tmp_path),
        "HARBORPY_S3_ENABLED": "true",
        "HARBORPY_S3_BUCKET": BUCKET,
        "HARBORPY_S3_PREFIX": s3_blobs.location,
        "HARBORPY_S3_ENDPOINT_URL": seaweedfs.endpoint_url,
        "HARBORPY_S3_ACCESS_KEY": seaweedfs.access_key,
        "HARBORPY_S3_SECRET_KEY": seaweedfs.secret_key,
        "HARBORPY_S3_PART_SIZE": str(PART_SIZE),
        "DJANGO_SETTINGS_MODULE": "harborpy.settings",
    }
    rest = data[PART_SIZE + MiB :]

    result = subprocess.run(
        [sys.executable, "-c", _CONTINUE_IN_CHILD, REPO, str(upload.pk), str(len(rest))],
        input=rest,
        env=env,
        cwd=BASE_DIR,
        capture_output=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr.decode(errors="replace")[-3000:]
    assert int(result.stdout) == len(data)
    blob = blob_upload_finish(
        repository_name=REPO, upload_id=str(upload.pk), digest=sha256(data), body=body(b"")
    )
    assert s3_blobs.read(blob.storage_key) == data
    assert_only_blob_objects(s3_blobs)
