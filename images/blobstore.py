"""The only module that touches blob bytes.

Blobs live in the ``blobs`` storage of ``settings.STORAGES``: a filesystem directory by default,
S3 through django-storages in production. An upload is written under its own key,
``blobs/<xx>/<upload uuid>``, from the first byte; when it completes, the database records that key
for the digest, so finishing an upload never renames or copies an object. The database decides
which keys are visible blobs; an upload that fails or is cancelled deletes its key.

On the filesystem, chunks are appended to the file. On S3, an upload session is one multipart
upload that spans all its PATCH requests: full parts are sent as they fill, and the remainder of a
request (smaller than a part) waits in a small ``.tail`` object for the next request or the end.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import logging
import mmap
import os
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, Protocol

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.utils.translation import gettext as _

from images.digests import ResumableHasher
from images.errors import BlobUploadInvalid, SizeInvalid

log = logging.getLogger(__name__)


class BodyReader(Protocol):
    """A request body: read(n) returns at most n bytes, b"" at the end; raises BlobUploadInvalid.

    A reader may also have readinto(view) -> int, which the blob store then uses to receive into
    its own buffers without a copy (images.registry.streams.RequestBody, io.BytesIO...).
    """

    def read(self, size: int) -> bytes: ...


@dataclass
class Download:
    """How to send (part of) a blob: an open file, a stream of chunks, or a redirect."""

    length: int
    file: BinaryIO | None = None
    chunks: Iterator[bytes] | None = None
    redirect_url: str = ""
    accel_path: str = ""


def storage_key_for_upload(upload_id: str) -> str:
    """The key an upload (and, once complete, its blob) is stored under."""
    return f"blobs/{upload_id[:2]}/{upload_id}"


def _storage() -> Storage:
    return storages["blobs"]


def _fill(body: BodyReader, view: memoryview) -> int:
    """Read from `body` until `view` is full or the body ends; returns how many bytes came."""
    readinto = getattr(body, "readinto", None)
    filled, size = 0, len(view)
    while filled < size:
        if readinto is not None:
            n = readinto(view[filled:]) or 0
        else:
            data = body.read(size - filled)
            n = len(data)
            view[filled : filled + n] = data
        if not n:
            break
        filled += n
    return filled


class _BufferPool:
    """Receive buffers of UPLOAD_READ_BYTES, page-aligned (as O_DIRECT wants) and kept for reuse.

    A fresh 1 MiB buffer costs 256 page faults when it is first filled (and far more in a VM that
    hands freed memory back to its host); a buffer from the pool has its pages already.
    """

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self._free: list[mmap.mmap] = []
        self._lock = threading.Lock()

    def take(self) -> mmap.mmap:
        size = settings.UPLOAD_READ_BYTES
        with self._lock:
            while self._free:
                buffer = self._free.pop()
                if len(buffer) == size:
                    return buffer
        return mmap.mmap(-1, size)

    def give(self, buffers: list[mmap.mmap]) -> None:
        """Take buffers back: nothing may use them any more (they are filled again elsewhere)."""
        with self._lock:
            room = self.keep - len(self._free)
            self._free.extend(buffers[: max(room, 0)])
        # The rest are unmapped once the last view of them goes.


# Buffers receiving ahead of the one being stored: memory per upload stays under about
# (READ_AHEAD_PIECES + 2) * UPLOAD_READ_BYTES, whatever the body's size.
READ_AHEAD_PIECES = 4
# Enough for two large uploads at once in a process; more are allocated, then let go.
_buffers = _BufferPool(keep=2 * (READ_AHEAD_PIECES + 1))
_END = object()


class _Receiver:
    """Receives a body into buffers and hashes each piece as it lands."""

    def __init__(self, body: BodyReader, limit: int | None, hasher: ResumableHasher | None) -> None:
        self.body, self.limit, self.hasher = body, limit, hasher
        self.received = 0
        self.ended = False

    def into(self, buffer: mmap.mmap) -> int:
        """Fill `buffer` (or what is left of the body); sets `ended` once the body has been read."""
        want = len(buffer) if self.limit is None else min(len(buffer), self.limit - self.received)
        view = memoryview(buffer)[:want]
        n = _fill(self.body, view) if want > 0 else 0
        if n and self.hasher is not None:
            self.hasher.update(view[:n])
        self.received += n
        if n < want or self.received == self.limit:
            self.ended = True
        return n

    def check_length(self) -> None:
        if self.limit is not None and self.received != self.limit:
            raise SizeInvalid(_("The request body ended before its declared length."))


def _received(receiver: _Receiver) -> Iterator[memoryview]:
    """The body in pieces of up to UPLOAD_READ_BYTES; each view is valid until the next is asked for.

    Once a first full piece arrived, a second thread receives and hashes the next pieces (the
    kernel's copy and OpenSSL both run without the GIL) while this one stores them: the two halves
    run on two cores instead of taking turns on one. Small bodies stay on this thread. The
    buffers go round between the two threads, so a large upload allocates nothing per piece.
    """
    first = _buffers.take()
    owned = [first]
    try:
        n = receiver.into(first)
        if receiver.ended:
            if n:
                yield memoryview(first)[:n]
            receiver.check_length()
            return
        yield from _received_on_a_thread(receiver, memoryview(first)[:n], owned)
    finally:
        _buffers.give(owned)


def _received_on_a_thread(
    receiver: _Receiver, first: memoryview, owned: list[mmap.mmap]
) -> Iterator[memoryview]:
    free: queue.SimpleQueue[mmap.mmap | None] = queue.SimpleQueue()
    ready: queue.SimpleQueue[object] = queue.SimpleQueue()
    for _piece in range(READ_AHEAD_PIECES):
        owned.append(buffer := _buffers.take())
        free.put(buffer)
    stop = threading.Event()

    def receive() -> None:
        try:
            while (buffer := free.get()) is not None and not stop.is_set():
                got = receiver.into(buffer)
                if got:
                    ready.put((buffer, got))
                if receiver.ended:
                    break
            ready.put(_END)
        except BaseException as exc:  # handed to the consumer, which raises it
            ready.put(exc)

    thread = threading.Thread(target=receive, name="upload-read-ahead", daemon=True)
    thread.start()
    try:
        yield first
        free.put(owned[0])
        while (item := ready.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            buffer, got = item  # type: ignore[misc]
            yield memoryview(buffer)[:got]
            free.put(buffer)
        receiver.check_length()
    finally:
        # Stops the receiving thread after the piece it is on (a failed write, a client gone);
        # the buffers go back to the pool only once it has stopped.
        stop.set()
        free.put(None)
        thread.join()


# O_DIRECT wants file offsets, lengths and memory aligned to the device's logical block size
# (512 or 4096 bytes): 4096 satisfies both.
DIRECT_ALIGN = 4096
# Smaller pieces go through the page cache (see _DirectWriter).
DIRECT_MIN_BYTES = 64 * 1024
_O_DIRECT = getattr(os, "O_DIRECT", 0)


def _address(view: memoryview) -> int | None:
    """Where a writable buffer's bytes start in memory; None for a read-only one."""
    if view.readonly or not view.nbytes:
        return None
    return ctypes.addressof(ctypes.c_char.from_buffer(view))


def _pwrite_all(fd: int, view: memoryview, position: int) -> None:
    while view:
        written = os.pwrite(fd, view, position)
        view, position = view[written:], position + written


class _DirectWriter:
    """Writes the whole aligned blocks of large pieces of a file with O_DIRECT.

    A pushed layer then costs no page-cache allocation and evicts no hot pages; its first pull
    reads it from disk into the cache. MinIO writes objects this way. Here, in a VM that hands
    freed memory back to its host, filling the page cache was the largest part of a push's CPU:
    2.2 s of kernel time per GiB, against 0.2 s with O_DIRECT. Small pieces (configs, small layers,
    the tail of a body) go through the page cache, where they cost little and are written at once;
    so do pieces that start mid-block, and everything on filesystems that refuse O_DIRECT.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.fd: int | None = None
        self.usable = bool(settings.BLOB_DIRECT_IO and _O_DIRECT)

    def write(self, view: memoryview, position: int) -> int:
        """Write what of `view` can go directly; returns how many bytes, from its start."""
        size = len(view) - len(view) % DIRECT_ALIGN
        if not self.usable or size < DIRECT_MIN_BYTES or position % DIRECT_ALIGN:
            return 0
        address = _address(view)
        if address is None or address % DIRECT_ALIGN:
            return 0
        if self.fd is None:
            try:
                self.fd = os.open(self.path, os.O_WRONLY | _O_DIRECT)
            except OSError:  # tmpfs before Linux 6.6, some network filesystems
                self.usable = False
                return 0
        try:
            _pwrite_all(self.fd, view[:size], position)
        except OSError as exc:
            if exc.errno != errno.EINVAL:
                raise
            self.usable = False  # an alignment this device does not take: the page cache from here
            return 0
        return size

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


class _FilesystemBackend:
    def __init__(self, storage: FileSystemStorage) -> None:
        self.storage = storage

    def _path(self, key: str) -> str:
        return self.storage.path(key)

    def start(self, key: str) -> dict[str, Any]:
        # The file is created by the first write (or by commit, for an empty blob): one file
        # operation less per upload, and an upload that never sends a byte leaves nothing.
        return {}

    def _open(self, key: str) -> BinaryIO:
        path = self._path(key)
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o640)
        except FileNotFoundError:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o640)
        return os.fdopen(fd, "r+b")

    def append(
        self, key: str, state: dict[str, Any], offset: int, chunks: Iterator[bytes | memoryview]
    ) -> tuple[int, dict]:
        """Write the chunks at `offset`; on any failure, the file is cut back to `offset`."""
        position = offset
        with self._open(key) as fh:
            fd = fh.fileno()
            direct = _DirectWriter(self._path(key))
            try:
                # Anything past `offset` is left over from a request that failed half-way: drop it.
                os.ftruncate(fd, offset)
                for chunk in chunks:
                    view = memoryview(chunk)
                    done = direct.write(view, position)
                    if done < len(view):
                        _pwrite_all(fd, view[done:], position + done)
                    position += len(view)
            except BaseException:
                os.ftruncate(fd, offset)
                raise
            finally:
                direct.close()
        return position - offset, state

    def release(self, key: str, old: dict[str, Any], new: dict[str, Any]) -> None:
        return None

    def commit(self, key: str, state: dict[str, Any]) -> None:
        self._open(key).close()  # an empty blob's file is created here

    def discard(self, key: str, state: dict[str, Any]) -> None:
        self.delete(key)

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._path(key))

    def size(self, key: str) -> int:
        return os.path.getsize(self._path(key))

    def read_chunks(self, key: str) -> Iterator[bytes]:
        with open(self._path(key), "rb") as fh:
            while chunk := fh.read(settings.UPLOAD_READ_BYTES):
                yield chunk

    def download(self, key: str, start: int, length: int) -> Download:
        if settings.REGISTRY_X_ACCEL_REDIRECT:
            return Download(
                length=length, accel_path=settings.REGISTRY_X_ACCEL_REDIRECT.rstrip("/") + "/" + key
            )
        fh = open(self._path(key), "rb")  # noqa: SIM115 - closed by the response
        # gunicorn's sendfile starts at the file's current position and sends Content-Length bytes.
        fh.seek(start)
        return Download(length=length, file=fh)


class _S3Backend:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.bucket = storage.bucket_name

    @property
    def client(self) -> Any:
        return self.storage.connection.meta.client

    def _key(self, key: str) -> str:
        location = self.storage.location.strip("/")
        return f"{location}/{key}" if location else key

    def start(self, key: str) -> dict[str, Any]:
        response = self.client.create_multipart_upload(Bucket=self.bucket, Key=self._key(key))
        # The part size is the session's, not the instance's: every request of the session cuts
        # parts the same way, whichever instance (and HARBORPY_S3_PART_SIZE) serves it.
        return {
            "upload_id": response["UploadId"],
            "part_size": settings.S3_PART_SIZE,
            "parts": [],
            "tail": "",
            "tail_size": 0,
        }

    def _upload_part(self, key: str, state: dict[str, Any], data: bytes | bytearray) -> None:
        number = len(state["parts"]) + 1
        response = self.client.upload_part(
            Bucket=self.bucket, Key=self._key(key), UploadId=state["upload_id"], PartNumber=number, Body=data
        )
        state["parts"].append({"PartNumber": number, "ETag": response["ETag"], "Size": len(data)})

    def _read_tail(self, state: dict[str, Any]) -> bytearray:
        """The bytes waiting in the tail object (less than a part), read in pieces into one buffer."""
        buffer = bytearray()
        if state.get("tail"):
            body = self.client.get_object(Bucket=self.bucket, Key=self._key(state["tail"]))["Body"]
            try:
                for piece in body.iter_chunks(settings.UPLOAD_READ_BYTES):
                    buffer += piece
            finally:
                body.close()
        return buffer

    def append(
        self, key: str, state: dict[str, Any], offset: int, chunks: Iterator[bytes]
    ) -> tuple[int, dict]:
        # Work on a copy: part numbers come from the stored state, so if this request fails, the
        # next one re-sends the same part numbers. AWS replaces a part re-sent under its number;
        # SeaweedFS keeps both, and completion takes the one whose ETag the state lists. Parts
        # above the last one listed are ignored by CompleteMultipartUpload and go with the upload.
        new = {**state, "parts": list(state["parts"])}
        part_size = state.get("part_size") or settings.S3_PART_SIZE
        # Memory: one buffer that never grows past a part, plus the piece being read. The buffer
        # itself is the part's body (no slicing copies), and a fresh one starts each part.
        buffer = self._read_tail(state)
        written = 0
        for chunk in chunks:
            written += len(chunk)
            view = memoryview(chunk)
            while view:
                room = max(part_size - len(buffer), 0)
                buffer += view[:room]
                view = view[room:]
                if len(buffer) >= part_size:
                    self._upload_part(key, new, buffer)
                    buffer = bytearray()
        if buffer or state.get("tail"):
            new["tail"] = f"{key}.tail.{offset + written}" if buffer else ""
            new["tail_size"] = len(buffer)
            if buffer:
                self.client.put_object(Bucket=self.bucket, Key=self._key(new["tail"]), Body=buffer)
        return written, new

    def release(self, key: str, old: dict[str, Any], new: dict[str, Any]) -> None:
        """Delete the tail object the previous state used, once the new state is recorded."""
        if old.get("tail") and old.get("tail") != new.get("tail"):
            self.client.delete_object(Bucket=self.bucket, Key=self._key(old["tail"]))

    def commit(self, key: str, state: dict[str, Any]) -> None:
        tail = self._read_tail(state)
        if not state["parts"] and not tail:
            # S3 cannot complete a multipart upload without parts: an empty blob is a plain put.
            self.client.abort_multipart_upload(
                Bucket=self.bucket, Key=self._key(key), UploadId=state["upload_id"]
            )
            self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=b"")
        else:
            final = {**state, "parts": list(state["parts"])}
            if tail:
                self._upload_part(key, final, tail)
            self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=self._key(key),
                UploadId=state["upload_id"],
                MultipartUpload={
                    "Parts": [{"PartNumber": p["PartNumber"], "ETag": p["ETag"]} for p in final["parts"]]
                },
            )
        if state.get("tail"):
            self.client.delete_object(Bucket=self.bucket, Key=self._key(state["tail"]))

    def discard(self, key: str, state: dict[str, Any]) -> None:
        if state.get("upload_id"):
            # Already completed or aborted: S3 may answer NoSuchUpload, and there is nothing to abort.
            with contextlib.suppress(self.client.exceptions.NoSuchUpload):
                self.client.abort_multipart_upload(
                    Bucket=self.bucket, Key=self._key(key), UploadId=state["upload_id"]
                )
        if state.get("tail"):
            self.client.delete_object(Bucket=self.bucket, Key=self._key(state["tail"]))
        self.delete(key)

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def size(self, key: str) -> int:
        return int(self.client.head_object(Bucket=self.bucket, Key=self._key(key))["ContentLength"])

    def read_chunks(self, key: str, start: int = 0, length: int | None = None) -> Iterator[bytes]:
        if length == 0:
            # "bytes=<start>-<start - 1>" is not a range: S3 ignores it and sends the whole object.
            return
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": self._key(key)}
        if start or length is not None:
            end = "" if length is None else str(start + length - 1)
            kwargs["Range"] = f"bytes={start}-{end}"
        body = self.client.get_object(**kwargs)["Body"]
        try:
            yield from body.iter_chunks(settings.UPLOAD_READ_BYTES)
        finally:
            body.close()

    def download(self, key: str, start: int, length: int) -> Download:
        if settings.REGISTRY_REDIRECT_BLOBS:
            return Download(length=length, redirect_url=self.storage.url(key))
        return Download(length=length, chunks=self.read_chunks(key, start, length))


def _backend() -> _FilesystemBackend | _S3Backend:
    storage = _storage()
    if isinstance(storage, FileSystemStorage):
        return _FilesystemBackend(storage)
    return _S3Backend(storage)


def storage_is_local() -> bool:
    """Whether blobs live on a local filesystem (else a remote store such as S3)."""
    return isinstance(_storage(), FileSystemStorage)


def storage_probe() -> None:
    """Raise OSError unless the blob storage is usable: a writable directory, or a remote store
    that answers (one HEAD request, which may take as long as the store's own timeouts)."""
    storage = _storage()
    if isinstance(storage, FileSystemStorage):
        # FileSystemStorage creates its directory on the first write: make sure it can.
        location = storage.location
        os.makedirs(location, exist_ok=True)
        if not os.access(location, os.R_OK | os.W_OK | os.X_OK):
            raise PermissionError(f"blob directory {location} is not writable")
        return
    storage.exists(".harborpy-health")


def upload_start(*, key: str) -> dict[str, Any]:
    """Create the (empty) object of a new upload; returns the backend state to keep with it."""
    return _backend().start(key)


def upload_write(
    *,
    key: str,
    backend_state: dict[str, Any],
    offset: int,
    body: BodyReader,
    hasher: ResumableHasher | None,
    length: int | None,
) -> tuple[int, dict[str, Any]]:
    """Append the request body at `offset`, hashing as it goes; returns (bytes written, new state).

    `length` is the declared length (Content-Length), or None for a chunked body read to its end.
    Raises SizeInvalid when the body ends before `length` bytes, leaving the upload as it was.
    """

    return _backend().append(key, backend_state, offset, _received(_Receiver(body, length, hasher)))


def upload_release(*, key: str, old_state: dict[str, Any], new_state: dict[str, Any]) -> None:
    """Drop what an older backend state used and the newer one no longer needs."""
    _backend().release(key, old_state, new_state)


def upload_commit(*, key: str, backend_state: dict[str, Any]) -> None:
    """Make the upload's object complete and readable under its key (no copy)."""
    _backend().commit(key, backend_state)


def upload_discard(*, key: str, backend_state: dict[str, Any]) -> None:
    """Delete everything an unfinished upload wrote."""
    _backend().discard(key, backend_state)


def blob_delete(*, key: str) -> None:
    _backend().delete(key)


def blob_size(*, key: str) -> int:
    return _backend().size(key)


def blob_hash(*, key: str, algorithm: str) -> str:
    """Hash a stored object from its first byte (when the running hash is not available)."""
    hasher = ResumableHasher(algorithm)
    for chunk in _backend().read_chunks(key):
        hasher.update(chunk)
    return hasher.digest()


def blob_download(*, key: str, start: int, length: int) -> Download:
    """How to send `length` bytes of the object from `start`."""
    return _backend().download(key, start, length)


def blob_read_small(*, key: str, max_bytes: int) -> bytes:
    """Read a small blob whole (a config, at most `max_bytes`)."""
    data = bytearray()
    for chunk in _backend().read_chunks(key):
        data += chunk
        if len(data) > max_bytes:
            raise BlobUploadInvalid(_("The blob is too large to read whole."))
    return bytes(data)
