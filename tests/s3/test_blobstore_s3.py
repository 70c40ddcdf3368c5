"""The S3 backend of images.blobstore and the upload services on it, against SeaweedFS.

These tests go below the `/v2/` views: failed and raced chunks, bodies without a length, memory,
key prefixes, the part size of a session, and a session continued by another process.
"""

from __future__ import annotations

import hashlib
import io
import os
import tracemalloc
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from images import blobstore
from images.errors import BlobUploadInvalid
from images.models import Blob, BlobUpload
from images.services.uploads import (
    Body,
    blob_upload_append,
    blob_upload_finish,
    blob_upload_start,
)
from tests.factories import ProjectFactory, store_blob
from tests.s3.conftest import PART_SIZE, S3Blobs

pytestmark = [pytest.mark.s3, pytest.mark.django_db]

REPO = "library/app"
MiB = 1024 * 1024
BASE_DIR = Path(django_settings.BASE_DIR)


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def body(data: bytes, length: int | None = -1) -> Body:
    """A request body holding `data`; `length` is the declared length (default: len(data))."""
    return Body(reader=io.BytesIO(data), length=len(data) if length == -1 else length)


@pytest.fixture
def library_project(db):
    return ProjectFactory(name="library", is_public=True)


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


def test_append_buffers_at_most_one_part_and_one_read_piece(s3_blobs, settings):
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
    assert peak <= PART_SIZE + 2 * settings.UPLOAD_READ_BYTES, f"peak {peak / MiB:.1f} MiB"


def test_reading_zero_bytes_of_a_blob_reads_nothing(s3_blobs, settings):
    settings.REGISTRY_REDIRECT_BLOBS = False
    blob = store_blob(os.urandom(1000))

    download = blobstore.blob_download(key=blob.storage_key, start=0, length=0)

    assert download.length == 0
    assert b"".join(download.chunks) == b""


def test_chunk_whose_session_moved_on_leaves_no_tail(library_project, s3_blobs):
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


def test_part_size_of_a_session_does_not_change_with_the_settings(library_project, s3_blobs, settings):
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
