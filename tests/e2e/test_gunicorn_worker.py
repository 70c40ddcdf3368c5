"""Idle connections cost the server no thread: a request still answers at once (harborpy/gunicorn_worker.py).

With gunicorn's stock gthread worker, each connection opened and not used held a worker thread for
5 s; more of them than threads in all workers stopped the registry (measured: 9.8 s for `GET /v2/`).
"""

from __future__ import annotations

import contextlib
import re
import socket
import time
from collections.abc import Iterator

import pytest
import requests

from tests.support.live_server import LiveServer, serve

pytestmark = pytest.mark.e2e

# A request that normally takes milliseconds; the stock worker took a multiple of 5 s.
ANSWER_WITHIN_SECONDS = 2.0


def test_idle_connections_do_not_stall_requests(live_registry: LiveServer):
    threads = int(live_registry.env["GUNICORN_WORKERS"]) * int(live_registry.env["GUNICORN_THREADS"])
    with contextlib.ExitStack() as stack:
        for _ in range(threads + 4):
            stack.enter_context(socket.create_connection(("127.0.0.1", live_registry.port), timeout=5))
        time.sleep(0.3)  # every worker has accepted its share of the idle connections
        for _ in range(3):
            started = time.monotonic()
            response = requests.get(f"{live_registry.url}/v2/", timeout=30)
            elapsed = time.monotonic() - started
            assert response.status_code == 401
            assert elapsed < ANSWER_WITHIN_SECONDS, f"GET /v2/ took {elapsed:.1f} s behind idle connections"


def test_a_connection_that_sends_its_request_later_is_served(live_registry: LiveServer):
    """The poller hands a connection to a thread when its first request arrives, however late."""
    with socket.create_connection(("127.0.0.1", live_registry.port), timeout=10) as sock:
        time.sleep(1.0)
        sock.sendall(f"GET /v2/ HTTP/1.1\r\nHost: {live_registry.host}\r\n\r\n".encode())
        head = sock.recv(4096).decode("latin-1")
        assert head.startswith("HTTP/1.1 401 ")
        assert "Docker-Distribution-API-Version: registry/2.0" in head
        # Kept alive: a second request on the same connection is answered too.
        sock.sendall(f"GET /v2/ HTTP/1.1\r\nHost: {live_registry.host}\r\nConnection: close\r\n\r\n".encode())
        rest = b""
        while chunk := sock.recv(4096):
            rest += chunk
        assert b"HTTP/1.1 401 " in rest


def test_pipelined_requests_are_answered_in_order_on_one_connection(live_registry: LiveServer):
    """Requests already waiting on a connection are served in a row by one thread, in order."""
    host = live_registry.host
    requests_ = [
        f"GET /v2/ HTTP/1.1\r\nHost: {host}\r\n\r\n",
        f"GET /v2/library/no-such-repository/tags/list HTTP/1.1\r\nHost: {host}\r\n\r\n",
        f"HEAD /v2/ HTTP/1.1\r\nHost: {host}\r\n\r\n",
        f"GET /v2/_catalog HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n",
    ]
    with socket.create_connection(("127.0.0.1", live_registry.port), timeout=10) as sock:
        sock.sendall("".join(requests_).encode())
        received = b""
        while chunk := sock.recv(65536):
            received += chunk

    # Bodies end without a line break: the next status line follows the last byte of a body.
    assert re.findall(rb"HTTP/1\.1 (\d{3}) ", received) == [b"401", b"404", b"401", b"200"]
    assert received.count(b"Docker-Distribution-API-Version: registry/2.0") == 4
    assert b"NAME_UNKNOWN" in received and b'"repositories":' in received


@pytest.fixture(scope="module")
def short_timeout_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A live server whose clients may stay silent for 1 s in the middle of a request."""
    with serve(
        base_dir=tmp_path_factory.mktemp("live-server-timeout"),
        database_url=None,
        environment={"GUNICORN_CLIENT_TIMEOUT": "1"},
    ) as server:
        yield server


def test_clients_silent_in_the_middle_of_a_request_are_dropped(short_timeout_registry: LiveServer):
    """Half a request line on more connections than threads: gthread alone waited for ever, and
    then lingered on its main thread for 2 s per connection it closed."""
    server = short_timeout_registry
    threads = int(server.env["GUNICORN_WORKERS"]) * int(server.env["GUNICORN_THREADS"])
    with contextlib.ExitStack() as stack:
        stalled = []
        for _ in range(threads + 4):
            sock = stack.enter_context(socket.create_connection(("127.0.0.1", server.port), timeout=10))
            sock.sendall(b"GET /v2/ HTTP/1.1\r\nHo")
            stalled.append(sock)
        time.sleep(0.3)

        started = time.monotonic()
        response = requests.get(f"{server.url}/v2/", timeout=30)
        elapsed = time.monotonic() - started

        assert response.status_code == 401
        assert elapsed < 5, f"GET /v2/ took {elapsed:.1f} s behind stalled requests"
        for sock in stalled:  # each was closed by the server once its timeout passed
            while sock.recv(65536):  # an error response, if any, then the end of the stream
                pass
