"""harborpy's gunicorn worker: gthread, except that a new connection waits in the poller, not in a thread.

gunicorn's gthread worker (27.0) hands every new connection to a pool thread, which then waits up
to 5 seconds for the connection's first request before giving it back to the poller. A connection
that is opened and not used at once holds a thread for those 5 seconds, and with 2 workers of 4
threads, 8 such connections stop the whole registry: measured here, with 10 idle connections open,
a `GET /v2/` took 9.8 s instead of 10 ms. Clients open such connections under load (Go's HTTP
transport, which docker and hey use, dials spare connections it may never send on): the benchmark
saw manifest HEADs at 32 connections stall past hey's 10 s timeout. Anyone can open them on purpose.

This worker registers a new connection with the poller, as gthread already does for kept-alive
connections and for those it gave back, and gives it to a thread only once a request arrives. An
idle connection then costs a file descriptor until the keep-alive timeout closes it, never a thread.
A client that goes silent in the middle of a request holds its thread for CLIENT_TIMEOUT at most.
tests/e2e/test_gunicorn_worker.py holds the proof.
"""

from __future__ import annotations

import errno
import os
import select
import selectors
import socket
import time
from functools import partial
from typing import Any

from gunicorn import util
from gunicorn.workers import gthread

# The worker's main loop runs once per batch of poller events, so about once per request under load.
# gthread then touches its heartbeat file (a utime() syscall) and asks for its parent's pid each
# time; the arbiter only looks at the heartbeat every few seconds (against a timeout of a minute
# or more), so once a second is plenty.
CHECK_INTERVAL = 1.0
# Requests one thread serves in a row on a connection whose next request is already there.
# More in a row serve more requests per second and make the others wait longer: in the bench's
# manifest cases (32 connections), 8 took the p99 latency above the CNCF registry's; 3 keeps it
# at about 0.6 of it, with most of the gain.
INLINE_REQUESTS = 3


def _request_waiting(conn: Any) -> bool:
    """Whether the connection's next request has (at least partly) arrived, without waiting."""
    if conn.parser is not None and conn.parser.unreader.buf.getbuffer().nbytes:
        return True
    poller = select.poll()
    try:
        poller.register(conn.sock, select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError):  # the connection is closed
        return False


# Seconds a client may stay silent in the middle of a request (its head or body) or leave a
# response unread before its connection is closed, as nginx's client_header_timeout,
# client_body_timeout and send_timeout (60 s each). Without it, gthread waits for ever: a few
# connections that send half a request line hold every thread.
CLIENT_TIMEOUT = float(os.environ.get("GUNICORN_CLIENT_TIMEOUT", "60"))


class _ClientSocket(socket.socket):
    """A client connection whose blocking mode has CLIENT_TIMEOUT as a timeout.

    gthread switches a connection between non-blocking (in the poller) and blocking (while a
    thread serves it) with setblocking(); here blocking means blocking for at most CLIENT_TIMEOUT.
    A timeout raises TimeoutError, an OSError, on which gunicorn closes the connection. (With
    gunicorn's own TLS the wrapping SSL socket sets its own mode: terminate TLS at a proxy.)
    """

    def setblocking(self, flag: bool) -> None:
        if flag and CLIENT_TIMEOUT > 0:
            self.settimeout(CLIENT_TIMEOUT)
        else:
            super().setblocking(flag)


class ThreadWorker(gthread.ThreadWorker):
    _notified_at = float("-inf")
    _parent_checked_at = float("-inf")

    def notify(self) -> None:
        now = time.monotonic()
        if now - self._notified_at >= CHECK_INTERVAL:
            self._notified_at = now
            super().notify()

    def is_parent_alive(self) -> bool:
        now = time.monotonic()
        if now - self._parent_checked_at < CHECK_INTERVAL:
            return True
        self._parent_checked_at = now
        return super().is_parent_alive()

    def handle(self, conn: Any) -> Any:
        """Serve a request, then the next ones on the connection for as long as they are waiting.

        gthread hands a kept-alive connection back to the poller after each request, and the next
        request then goes poller, pipe, main thread, thread pool before it is read: under load
        about a tenth of a manifest GET's CPU. A busy client has usually sent its next request by
        the time the response is out, so that request is served at once on this thread, up to
        INLINE_REQUESTS in a row so that other connections get their turn. Measured with wrk at 32
        connections: 0.78 instead of 0.88 ms of CPU per manifest GET, and 84% of turns found the
        next request already there.
        """
        result = super().handle(conn)
        served = 1
        while result is True and served < INLINE_REQUESTS and self.alive and _request_waiting(conn):
            result = super().handle(conn)
            served += 1
        if result is False:
            # gthread would close the connection in finish_request() on the main thread, where
            # the graceful close lingers up to 2 s for a peer that does not close its side (a
            # client that stalled, say), stopping every other connection meanwhile. Close it here.
            try:
                conn.close(graceful=True)
            except OSError:
                util.close(conn.sock)
            conn.closed_by_thread = True
        return result

    def finish_request(self, conn: Any, fs: Any) -> None:
        if getattr(conn, "closed_by_thread", False):
            self.nr_conns -= 1
            return
        super().finish_request(conn, fs)

    def accept(self, listener: Any) -> None:
        try:
            client_sock, client_addr = listener.accept()
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        client_sock = _ClientSocket(
            client_sock.family, client_sock.type, client_sock.proto, fileno=client_sock.detach()
        )
        # TConn leaves the socket non-blocking, as the poller wants it; the thread that serves the
        # first request makes it blocking again (gthread's handle()).
        conn = gthread.TConn(self.cfg, client_sock, client_addr, listener.getsockname())
        # A connection that never sends a request is closed after the keep-alive timeout, like one
        # that went quiet after a request (murder_pending). Timeouts only grow along the deque.
        conn.timeout = time.monotonic() + self.cfg.keepalive
        self.pending_conns.append(conn)
        self.poller.register(
            client_sock, selectors.EVENT_READ, partial(self.on_pending_socket_readable, conn)
        )
