"""Audit records forwarded as RFC 5424 syslog messages to a UDP or TCP listener the test runs."""

from __future__ import annotations

import re
import socket
import threading
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from audit import syslog
from audit.services import AuditEntry, audit_record, audit_record_many

pytestmark = pytest.mark.django_db(transaction=True)

RFC5424 = re.compile(
    rb"^<(?P<pri>\d+)>1 (?P<ts>\S+) (?P<host>\S+) harborpy (?P<pid>\d+) (?P<msgid>\S+) "
    rb"\[audit@32473 (?P<sd>.*)\] \xef\xbb\xbf(?P<msg>.*)$"
)


@pytest.fixture
def udp_listener(settings):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(5)
    settings.AUDIT_SYSLOG_URL = f"udp://127.0.0.1:{sock.getsockname()[1]}"
    yield sock
    sock.close()


@pytest.fixture
def tcp_listener(settings):
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen()
    received = bytearray()
    done = threading.Event()

    def serve():
        conn, _addr = server.accept()
        conn.settimeout(5)
        with conn:
            while not done.is_set():
                try:
                    chunk = conn.recv(65536)
                except TimeoutError:
                    break
                if not chunk:
                    break
                received.extend(chunk)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    settings.AUDIT_SYSLOG_URL = f"tcp://127.0.0.1:{server.getsockname()[1]}"
    yield received
    done.set()
    if syslog._tcp is not None:
        syslog._tcp.close()
        syslog._tcp = None
    server.close()


def test_a_record_arrives_over_udp_in_rfc5424(udp_listener):
    audit_record(
        actor="alice", operation="delete", resource_type="tag", resource='p/r:"v1"]', address="10.1.2.3"
    )

    datagram, _addr = udp_listener.recvfrom(65536)

    match = RFC5424.match(datagram)
    assert match, datagram
    assert int(match["pri"]) == 16 * 8 + 6  # local0.info
    assert match["msgid"] == b"delete"
    assert b'actor="alice"' in match["sd"]
    assert b'resource="p/r:\\"v1\\"\\]"' in match["sd"]
    assert b'address="10.1.2.3"' in match["sd"]
    assert match["ts"].endswith(b"Z")


def test_a_failure_is_a_warning(udp_listener):
    audit_record(actor="mallory", operation="login", resource_type="user", resource="mallory", success=False)

    datagram, _addr = udp_listener.recvfrom(65536)

    assert int(RFC5424.match(datagram)["pri"]) == 16 * 8 + 4


def test_records_are_sent_only_after_commit_and_not_on_rollback(udp_listener):
    udp_listener.settimeout(0.5)
    try:
        with transaction.atomic():
            audit_record(actor="alice", operation="create", resource_type="project", resource="gone")
            raise RuntimeError("roll back")
    except RuntimeError:
        pass

    with pytest.raises(TimeoutError):
        udp_listener.recvfrom(65536)


def test_records_arrive_over_tcp_with_octet_counting(tcp_listener):
    audit_record(actor="alice", operation="create", resource_type="project", resource="one")
    audit_record(actor="bob", operation="delete", resource_type="project", resource="two")

    deadline = threading.Event()
    for _ in range(50):
        if tcp_listener.count(b"harborpy") >= 2:
            break
        deadline.wait(0.1)
    messages = []
    data = bytes(tcp_listener)
    while data:
        length, _sp, rest = data.partition(b" ")
        messages.append(rest[: int(length)])
        data = rest[int(length) :]
    assert [RFC5424.match(m)["msg"] for m in messages] == [
        b"alice create project one: success",
        b"bob delete project two: success",
    ]


def test_an_unreachable_server_never_fails_the_change(settings, caplog):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    settings.AUDIT_SYSLOG_URL = f"tcp://127.0.0.1:{port}"

    event = audit_record(actor="alice", operation="create", resource_type="project", resource="x")

    assert event.pk
    assert "Forwarding 1 audit records" in caplog.text


def test_batched_records_are_forwarded_with_their_own_times(udp_listener):
    at = timezone.now() - timedelta(minutes=3)
    audit_record_many(
        [AuditEntry(actor="", operation="pull", resource_type="artifact", resource="p/r:v1", created_at=at)]
    )

    datagram, _addr = udp_listener.recvfrom(65536)

    match = RFC5424.match(datagram)
    assert match["msg"] == b"anonymous pull artifact p/r:v1: success"
    assert match["ts"] == at.isoformat(timespec="microseconds").replace("+00:00", "Z").encode()
