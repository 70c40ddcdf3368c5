"""Upload bodies read past gunicorn's body reader keep gunicorn's framing right.

A socket pair stands for the client connection; gunicorn's own request parser reads it, as in the
server. After the registry reads (all or part of) a body directly, the next request pipelined on
the same connection must still parse, and a broken body must close the connection.
"""

from __future__ import annotations

import os
import socket
import threading
from types import SimpleNamespace

import pytest
from gunicorn.config import Config
from gunicorn.http.parser import RequestParser

from images.errors import BlobUploadInvalid
from images.registry.streams import RequestBody

NEXT_REQUEST = b"GET /next HTTP/1.1\r\nHost: x\r\n\r\n"


def _connection(payload: bytes, *, close: bool = False):
    """(parser over the server end, sender thread) with `payload` sent from the client end."""
    server, client = socket.socketpair()
    server.settimeout(10)  # a request lost in the framing fails the test instead of hanging it

    def send() -> None:
        try:
            client.sendall(payload)
        finally:
            if close:
                client.close()

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    parser = RequestParser(Config(), server, ("127.0.0.1", 1))
    parser.test_sockets = (server, client)
    return parser, sender


def _request_body(gunicorn_request) -> RequestBody:
    meta = {"wsgi.input": gunicorn_request.body}
    for name, value in gunicorn_request.headers:
        if name == "CONTENT-LENGTH":
            meta["CONTENT_LENGTH"] = value
        elif name == "TRANSFER-ENCODING":
            meta["HTTP_TRANSFER_ENCODING"] = value
    return RequestBody(SimpleNamespace(META=meta, read=gunicorn_request.body.read))


def _read_all(body: RequestBody, piece: int = 256 * 1024) -> bytes:
    out = bytearray()
    buffer = bytearray(piece)
    while n := body.readinto(memoryview(buffer)):
        out += buffer[:n]
    return bytes(out)


def _chunked(data: bytes, sizes: list[int]) -> bytes:
    out, pos = bytearray(), 0
    for size in sizes:
        piece = data[pos : pos + size]
        pos += len(piece)
        out += b"%x\r\n" % len(piece) + piece + b"\r\n"
    return bytes(out) + b"0\r\n\r\n"


@pytest.mark.parametrize("size", [0, 1, 100_000, 3 * 1024 * 1024 + 7])
def test_a_body_of_known_length_is_received_directly_and_the_next_request_parses(size):
    data = os.urandom(size)
    head = b"PUT /v2/x HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % size
    parser, sender = _connection(head + data + NEXT_REQUEST)

    request = next(parser)
    body = _request_body(request)
    assert _read_all(body) == data
    sender.join()

    assert (body._direct is not None) == (size > 0)
    assert parser.finish_body() is True
    assert next(parser).path == "/next"


def test_a_chunked_body_is_taken_from_gunicorns_parser_and_the_next_request_parses():
    data = os.urandom(2 * 1024 * 1024 + 5)
    head = b"PATCH /v2/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    payload = head + _chunked(data, [1, 65536, 1024 * 1024, 7, 10**7]) + NEXT_REQUEST
    parser, sender = _connection(payload)

    request = next(parser)
    body = _request_body(request)
    assert _read_all(body, piece=100_000) == data
    sender.join()

    assert body._direct is not None
    assert parser.finish_body() is True
    assert next(parser).path == "/next"


@pytest.mark.parametrize("chunked", [False, True])
def test_a_body_read_half_way_is_drained_by_gunicorn_before_the_next_request(chunked):
    data = os.urandom(1024 * 1024)
    if chunked:
        head = b"PATCH /v2/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        payload = head + _chunked(data, [300_000] * 4) + NEXT_REQUEST
    else:
        head = b"PUT /v2/x HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(data)
        payload = head + data + NEXT_REQUEST
    parser, sender = _connection(payload)

    body = _request_body(next(parser))
    view = memoryview(bytearray(400_000))
    got = body.readinto(view)
    assert got > 0 and bytes(view[:got]) == data[:got]

    assert parser.finish_body() is True  # the application stopped (an error): gunicorn drains the rest
    sender.join()
    assert next(parser).path == "/next"


def test_a_client_gone_before_the_end_marks_the_connection_for_closing():
    head = b"PUT /v2/x HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n"
    parser, sender = _connection(head + os.urandom(10_000), close=True)

    request = next(parser)
    body = _request_body(request)
    assert len(_read_all(body)) == 10_000  # the blob store reports the short body (SIZE_INVALID)
    sender.join()

    assert request.body.failed is True
    assert parser.finish_body() is False


def test_a_broken_chunked_body_is_an_upload_error_and_closes_the_connection():
    head = b"PATCH /v2/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    parser, sender = _connection(head + b"10\r\n0123456789abcdef\r\nzz\r\n", close=True)

    request = next(parser)
    body = _request_body(request)
    with pytest.raises(BlobUploadInvalid):
        _read_all(body)
    sender.join()

    assert request.body.failed is True
    assert parser.finish_body() is False


def test_bytes_already_read_through_gunicorn_are_not_lost():
    data = os.urandom(500_000)
    head = b"PUT /v2/x HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(data)
    parser, sender = _connection(head + data + NEXT_REQUEST)

    request = next(parser)
    body = _request_body(request)
    start = body.read(1000)  # read() goes through gunicorn; readinto() then does not go direct
    rest = _read_all(body)
    sender.join()

    assert start + rest == data
    assert parser.finish_body() is True
    assert next(parser).path == "/next"
