"""Building `/v2/` responses: error envelopes, blobs (sendfile, redirects, ranges), manifests."""

from __future__ import annotations

import json
import re
from typing import Any, BinaryIO
from urllib.parse import urlencode

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _

from harborpy.errors import HarborError, error_body
from images import blobstore
from images.errors import RangeNotSatisfiable
from images.models import Blob

API_VERSION_HEADER = ("Docker-Distribution-API-Version", "registry/2.0")
_RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")
# Piece size when a blob is streamed without sendfile (tests, or S3 without redirects).
STREAM_BLOCK_SIZE = 1024 * 1024


def json_response(data: Any, status: int = 200, content_type: str = "application/json") -> HttpResponse:
    body = json.dumps(data, separators=(",", ":")).encode()
    response = HttpResponse(body, status=status, content_type=content_type)
    response["Content-Length"] = str(len(body))
    return response


def error_response(exc: HarborError, *, head: bool = False) -> HttpResponse:
    """The OCI error envelope with the error's status and headers (no body for HEAD)."""
    response = json_response(error_body(exc), status=exc.status)
    if head:
        response.content = b""
    for name, value in exc.headers().items():
        response[name] = value
    return response


def empty_response(status: int, headers: dict[str, str]) -> HttpResponse:
    response = HttpResponse(status=status)
    response["Content-Length"] = "0"
    for name, value in headers.items():
        response[name] = value
    return response


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """(start, length) of a single `Range: bytes=` request, None to send the whole blob.

    Raises RangeNotSatisfiable for a range outside the blob. A header we do not understand
    (several ranges, another unit) is ignored, as RFC 9110 allows.
    """
    match = _RANGE_RE.match(header.strip())
    if not match or (not match.group(1) and not match.group(2)):
        return None
    first, last = match.group(1), match.group(2)
    if not first:  # suffix range: the last N bytes
        length = min(int(last), size)
        if length == 0:
            raise RangeNotSatisfiable(headers={"Content-Range": f"bytes */{size}"})
        return size - length, length
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        raise RangeNotSatisfiable(
            _("The range %(range)s is outside the blob.") % {"range": header[:100]},
            headers={"Content-Range": f"bytes */{size}"},
        )
    return start, end - start + 1


class _RangeFile:
    """An open blob file read from its current position for at most `length` bytes.

    gunicorn hands it to sendfile() through `fileno()`, starting at the file's position and
    sending Content-Length bytes; other servers read it with `read()`, which stops at the end of
    the range.
    """

    def __init__(self, fh: BinaryIO, length: int) -> None:
        self._fh = fh
        self._remaining = length

    def fileno(self) -> int:
        return self._fh.fileno()

    def read(self, size: int = -1) -> bytes:
        if self._remaining <= 0:
            return b""
        size = self._remaining if size is None or size < 0 else min(size, self._remaining)
        data = self._fh.read(size)
        self._remaining -= len(data)
        return data

    def close(self) -> None:
        self._fh.close()


def blob_headers(blob: Blob) -> dict[str, str]:
    return {
        "Docker-Content-Digest": blob.digest,
        "ETag": f'"{blob.digest}"',
        "Accept-Ranges": "bytes",
        "Cache-Control": "max-age=31536000",
    }


def blob_response(blob: Blob, range_header: str, *, head: bool) -> HttpResponse:
    """Send a blob: 200 or 206, by sendfile, X-Accel-Redirect, a storage redirect, or a stream."""
    headers = blob_headers(blob)
    byte_range = parse_range(range_header, blob.size) if range_header else None
    if head:
        return empty_response(
            200, {**headers, "Content-Length": str(blob.size), "Content-Type": "application/octet-stream"}
        )
    start, length = byte_range if byte_range else (0, blob.size)
    download = blobstore.blob_download(key=blob.storage_key, start=start, length=length)
    if download.redirect_url:
        return empty_response(307, {"Location": download.redirect_url, "Docker-Content-Digest": blob.digest})
    status = 206 if byte_range else 200
    if byte_range:
        headers["Content-Range"] = f"bytes {start}-{start + length - 1}/{blob.size}"
    if download.accel_path:
        response = HttpResponse(status=status, content_type="application/octet-stream")
        response["X-Accel-Redirect"] = download.accel_path
    elif download.file is not None:
        response = FileResponse(
            _RangeFile(download.file, length), status=status, content_type="application/octet-stream"
        )
        response.block_size = STREAM_BLOCK_SIZE
    else:
        response = StreamingHttpResponse(
            download.chunks, status=status, content_type="application/octet-stream"
        )
    response["Content-Length"] = str(length)
    for name, value in headers.items():
        response[name] = value
    return response


def manifest_response(*, media_type: str, digest: str, payload: bytes | None, size: int) -> HttpResponse:
    """A manifest GET (payload) or HEAD (payload None) with its exact media type and digest."""
    response = HttpResponse(payload or b"", content_type=media_type)
    response["Content-Length"] = str(size)
    response["Docker-Content-Digest"] = digest
    response["ETag"] = f'"{digest}"'
    return response


def next_link(path: str, params: dict[str, str]) -> str:
    """An RFC 5988 `Link` header to the next page of a list."""
    return f'<{path}?{urlencode(params)}>; rel="next"'
