"""Blob storage on the filesystem, and reading upload bodies ahead."""

from __future__ import annotations

import hashlib
import os
import threading

import pytest

from images import blobstore
from images.digests import ResumableHasher
from images.errors import BlobUploadInvalid, SizeInvalid


class Body:
    """A request body delivered in pieces, optionally failing after some bytes."""

    def __init__(self, data: bytes, fail_after: int | None = None) -> None:
        self.data, self.pos, self.fail_after = data, 0, fail_after
        self.threads: set[str] = set()

    def read(self, size: int) -> bytes:
        self.threads.add(threading.current_thread().name)
        if self.fail_after is not None and self.pos >= self.fail_after:
            raise BlobUploadInvalid("client went away")
        chunk = self.data[self.pos : self.pos + size]
        self.pos += len(chunk)
        return chunk


@pytest.fixture
def small_pieces(settings):
    settings.UPLOAD_READ_BYTES = 64 * 1024


def write(data: bytes, body: Body, length: int | None, offset: int = 0, key: str = "blobs/te/test"):
    state = blobstore.upload_start(key=key) if offset == 0 else {}
    hasher = ResumableHasher()
    written, state = blobstore.upload_write(
        key=key, backend_state=state, offset=offset, body=body, hasher=hasher, length=length
    )
    return written, hasher


def test_large_bodies_are_read_on_a_second_thread_and_stored_whole(blob_storage, small_pieces):
    data = os.urandom(3 * 1024 * 1024 + 123)
    body = Body(data)

    written, hasher = write(data, body, None)

    assert written == len(data)
    assert (blob_storage / "blobs/te/test").read_bytes() == data
    assert hasher.digest() == "sha256:" + hashlib.sha256(data).hexdigest()
    assert "upload-read-ahead" in body.threads


def test_small_bodies_are_read_inline(blob_storage, small_pieces):
    body = Body(b"tiny")

    write(b"tiny", body, 4)

    assert body.threads == {threading.current_thread().name}


def test_a_body_failing_half_way_leaves_the_upload_as_it_was(blob_storage, small_pieces):
    data = os.urandom(1024 * 1024)
    key = "blobs/te/test"
    write(b"kept", Body(b"kept"), 4, key=key)

    with pytest.raises(BlobUploadInvalid):
        write(data, Body(data, fail_after=512 * 1024), None, offset=4, key=key)

    assert (blob_storage / key).read_bytes() == b"kept"
    assert not [t for t in threading.enumerate() if t.name == "upload-read-ahead"]


def test_a_body_shorter_than_declared_is_size_invalid(blob_storage, small_pieces):
    data = os.urandom(200_000)

    with pytest.raises(SizeInvalid):
        write(data, Body(data), 300_000)

    assert (blob_storage / "blobs/te/test").read_bytes() == b""
