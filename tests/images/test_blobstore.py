"""Blob storage on the filesystem, and reading upload bodies ahead."""

from __future__ import annotations

import fcntl
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


@pytest.fixture
def direct_writes(blob_storage, monkeypatch):
    """Records every write to a blob file as (position, length, through O_DIRECT)."""
    if not blobstore._O_DIRECT:
        pytest.skip("no O_DIRECT on this platform")
    probe = blob_storage / "probe"
    probe.write_bytes(b"")
    try:
        os.close(os.open(probe, os.O_WRONLY | blobstore._O_DIRECT))
    except OSError as exc:
        pytest.skip(f"the test filesystem refuses O_DIRECT: {exc}")
    writes: list[tuple[int, int, bool]] = []
    original = blobstore._pwrite_all

    def recording(fd, view, position):
        writes.append((position, len(view), bool(fcntl.fcntl(fd, fcntl.F_GETFL) & blobstore._O_DIRECT)))
        return original(fd, view, position)

    monkeypatch.setattr(blobstore, "_pwrite_all", recording)
    return writes


def test_whole_blocks_are_written_with_o_direct_and_the_tail_through_the_page_cache(
    blob_storage, small_pieces, direct_writes
):
    data = os.urandom(3 * 1024 * 1024 + 123)

    written, hasher = write(data, Body(data), len(data))

    assert written == len(data)
    assert (blob_storage / "blobs/te/test").read_bytes() == data
    assert hasher.digest() == "sha256:" + hashlib.sha256(data).hexdigest()
    direct = sum(length for _pos, length, is_direct in direct_writes if is_direct)
    cached = [(pos, length) for pos, length, is_direct in direct_writes if not is_direct]
    assert direct == len(data) - 123
    assert cached == [(len(data) - 123, 123)]


def test_a_chunk_starting_mid_block_goes_through_the_page_cache(blob_storage, small_pieces, direct_writes):
    head, rest = os.urandom(1000), os.urandom(2 * 1024 * 1024)
    write(head, Body(head), len(head))

    write(rest, Body(rest), len(rest), offset=len(head))

    assert (blob_storage / "blobs/te/test").read_bytes() == head + rest
    assert not [w for w in direct_writes if w[2]]


def test_direct_io_can_be_switched_off(blob_storage, small_pieces, direct_writes, settings):
    settings.BLOB_DIRECT_IO = False
    data = os.urandom(1024 * 1024)

    write(data, Body(data), len(data))

    assert (blob_storage / "blobs/te/test").read_bytes() == data
    assert direct_writes and not [w for w in direct_writes if w[2]]


def test_a_body_failing_half_way_after_direct_writes_leaves_the_upload_as_it_was(
    blob_storage, small_pieces, direct_writes
):
    data = os.urandom(2 * 1024 * 1024)
    key = "blobs/te/test"
    write(b"k" * 4096, Body(b"k" * 4096), 4096, key=key)

    with pytest.raises(BlobUploadInvalid):
        write(data, Body(data, fail_after=1024 * 1024), None, offset=4096, key=key)

    assert [w for w in direct_writes if w[2]], "the failed body was written with O_DIRECT before failing"
    assert (blob_storage / key).read_bytes() == b"k" * 4096


def test_small_bodies_go_through_the_page_cache_only(blob_storage, small_pieces, direct_writes, monkeypatch):
    opened_direct = []
    real_open = os.open

    def recording_open(path, flags, *args):
        if flags & blobstore._O_DIRECT:
            opened_direct.append(path)
        return real_open(path, flags, *args)

    monkeypatch.setattr(blobstore.os, "open", recording_open)
    data = os.urandom(blobstore.DIRECT_MIN_BYTES - 1)

    write(data, Body(data), len(data))

    assert (blob_storage / "blobs/te/test").read_bytes() == data
    assert direct_writes == [(0, len(data), False)]
    assert opened_direct == []  # no O_DIRECT descriptor for a body that cannot use it
