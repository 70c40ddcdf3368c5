"""Upload bodies sent with `Transfer-Encoding: chunked` and no Content-Length, as docker and skopeo do.

Django alone sees such a request as having an empty body; only a live gunicorn (which decodes the
chunked framing) shows whether the registry reads the whole stream.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
from collections.abc import Iterator

import pytest

from tests.support.oci import sha256

pytestmark = pytest.mark.e2e

# Pieces of the chunked body; uneven, and more than one read buffer of the server in total.
PIECE_SIZES = [1, 65_535, 1_048_576, 333_333, 7, 2_000_000]


def _connection(live_registry) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", live_registry.port, timeout=60)


def _headers(live_registry, **extra: str) -> dict[str, str]:
    token = base64.b64encode(":".join(live_registry.admin_credentials).encode()).decode()
    return {"Authorization": f"Basic {token}", **extra}


def _pieces(data: bytes) -> Iterator[bytes]:
    offset = 0
    for size in PIECE_SIZES:
        yield data[offset : offset + size]
        offset += size


def test_chunked_patch_without_content_length_stores_every_byte(live_registry, registry_http, repository):
    data = os.urandom(sum(PIECE_SIZES))
    digest = sha256(data)
    connection = _connection(live_registry)
    connection.request("POST", f"/v2/{repository}/blobs/uploads/", headers=_headers(live_registry))
    started = connection.getresponse()
    started.read()
    assert started.status == 202
    location = started.getheader("Location").removeprefix(live_registry.url)

    connection.putrequest("PATCH", location)
    for name, value in _headers(
        live_registry, **{"Content-Type": "application/octet-stream", "Transfer-Encoding": "chunked"}
    ).items():
        connection.putheader(name, value)
    connection.endheaders()
    for piece in _pieces(data):
        connection.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
    connection.send(b"0\r\n\r\n")
    patched = connection.getresponse()
    patched.read()
    connection.request(
        "PUT", f"{location}?digest={digest}", headers=_headers(live_registry, **{"Content-Length": "0"})
    )
    finished = connection.getresponse()
    finished.read()
    connection.close()

    assert patched.status == 202
    assert patched.getheader("Range") == f"0-{len(data) - 1}"
    assert finished.status == 201, finished.status
    assert finished.getheader("Docker-Content-Digest") == digest
    head = registry_http.request("HEAD", f"/v2/{repository}/blobs/{digest}")
    assert head.status_code == 200
    assert int(head.headers["Content-Length"]) == len(data)
    assert hashlib.sha256(registry_http.blob(repository, digest)).hexdigest() == digest.split(":", 1)[1]


def test_chunked_put_that_finishes_an_upload_stores_every_byte(live_registry, registry_http, repository):
    data = os.urandom(sum(PIECE_SIZES))
    digest = sha256(data)
    connection = _connection(live_registry)
    connection.request("POST", f"/v2/{repository}/blobs/uploads/", headers=_headers(live_registry))
    started = connection.getresponse()
    started.read()
    location = started.getheader("Location").removeprefix(live_registry.url)

    # http.client frames an iterable body with Transfer-Encoding: chunked.
    connection.request(
        "PUT",
        f"{location}?digest={digest}",
        body=_pieces(data),
        headers=_headers(live_registry, **{"Content-Type": "application/octet-stream"}),
        encode_chunked=True,
    )
    finished = connection.getresponse()
    body = finished.read()
    connection.close()

    assert finished.status == 201, body
    assert registry_http.blob(repository, digest) == data
