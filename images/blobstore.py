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
import logging
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
    """A request body: read(n) returns at most n bytes, b"" at the end; raises BlobUploadInvalid."""

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


def _read_body(body: BodyReader, limit: int | None) -> Iterator[bytes]:
    """Yield the body in UPLOAD_READ_BYTES pieces, at most `limit` bytes when given."""
    piece = settings.UPLOAD_READ_BYTES
    remaining = limit
    while remaining is None or remaining > 0:
        chunk = body.read(piece if remaining is None else min(piece, remaining))
        if not chunk:
            break
        if remaining is not None:
            remaining -= len(chunk)
        yield chunk


# Pieces read ahead of hashing and writing: memory per upload stays under about
# (READ_AHEAD_PIECES + 2) * UPLOAD_READ_BYTES.
READ_AHEAD_PIECES = 4
_END = object()


def _read_ahead(pieces: Iterator[bytes]) -> Iterator[bytes]:
    """Produce the next pieces of a large body on another thread while this one stores them.

    Receiving and hashing (gunicorn parses the body in Python, OpenSSL hashes without the GIL)
    and writing (the kernel, without the GIL) then run on two cores instead of taking turns on
    one. Small bodies stay on this thread: one is only started once a first full piece arrived.
    """
    first = next(pieces, None)
    if first is None:
        return
    yield first
    if len(first) < settings.UPLOAD_READ_BYTES:
        yield from pieces
        return
    ready: queue.Queue[object] = queue.Queue(maxsize=READ_AHEAD_PIECES)
    stop = threading.Event()

    def reader() -> None:
        try:
            for piece in pieces:
                if stop.is_set():
                    return
                ready.put(piece)
            ready.put(_END)
        except BaseException as exc:  # handed to the consumer, which raises it
            ready.put(exc)

    thread = threading.Thread(target=reader, name="upload-read-ahead", daemon=True)
    thread.start()
    try:
        while (item := ready.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a reader waiting on a full queue
            try:
                ready.get(timeout=0.05)
            except queue.Empty:
                pass


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
        self, key: str, state: dict[str, Any], offset: int, chunks: Iterator[bytes]
    ) -> tuple[int, dict]:
        written = 0
        with self._open(key) as fh:
            # Anything past `offset` is left over from a request that failed half-way: drop it.
            fh.truncate(offset)
            fh.seek(offset)
            try:
                for chunk in chunks:
                    fh.write(chunk)
                    written += len(chunk)
            except BaseException:
                fh.truncate(offset)
                raise
        return written, state

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

    def hashed() -> Iterator[bytes]:
        received = 0
        for chunk in _read_body(body, length):
            if hasher is not None:
                hasher.update(chunk)
            received += len(chunk)
            yield chunk
        if length is not None and received != length:
            raise SizeInvalid(_("The request body ended before its declared length."))

    # Reading and hashing run on the read-ahead thread, writing on this one: the two halves
    # overlap on two cores (hashing and writing both release the GIL).
    return _backend().append(key, backend_state, offset, _read_ahead(hashed()))


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
