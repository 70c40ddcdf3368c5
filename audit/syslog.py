"""Forwarding audit records to a syslog server as RFC 5424 messages (HARBORPY_AUDIT_SYSLOG_URL).

UDP sends one datagram per record; TCP keeps one connection per process and frames each
message with its length (RFC 6587 octet counting). Records are sent after their transaction
commits, so a rolled-back change is never forwarded. A syslog server that is down costs a logged
warning, never a failed request.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings

from audit.models import AuditEvent

logger = logging.getLogger(__name__)

FACILITY_LOCAL0 = 16
SEVERITY_WARNING, SEVERITY_INFO = 4, 6
APP_NAME = "harborpy"
# Private enterprise number 32473 is reserved for examples and documentation (RFC 5612).
SD_ID = "audit@32473"
TCP_TIMEOUT_SECONDS = 2.0

_lock = threading.Lock()
_tcp: socket.socket | None = None


def _sd_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")


def format_rfc5424(event: AuditEvent, hostname: str | None = None) -> bytes:
    """One audit record as an RFC 5424 syslog message."""
    severity = SEVERITY_INFO if event.result == AuditEvent.Result.SUCCESS else SEVERITY_WARNING
    timestamp = event.created_at.isoformat(timespec="microseconds").replace("+00:00", "Z")
    params = {
        "actor": event.actor,
        "actorKind": event.actor_kind,
        "operation": event.operation,
        "resourceType": event.resource_type,
        "resource": event.resource,
        "project": event.project_name,
        "result": event.result,
        "address": event.address or "",
    }
    data = " ".join(f'{key}="{_sd_escape(str(value))}"' for key, value in params.items())
    message = f"{event.actor} {event.operation} {event.resource_type} {event.resource}: {event.result}"
    host = (hostname or socket.gethostname() or "-")[:255].replace(" ", "-")
    return (
        f"<{FACILITY_LOCAL0 * 8 + severity}>1 {timestamp} {host} {APP_NAME} {os.getpid()} "
        f"{event.operation[:32] or '-'} [{SD_ID} {data}] \ufeff{message}"
    ).encode()


def forward(events: Iterable[AuditEvent]) -> None:
    """Send records to the configured syslog server (no-op when none is configured)."""
    url = settings.AUDIT_SYSLOG_URL
    if not url:
        return
    target = urlsplit(url)
    messages = [format_rfc5424(event) for event in events]
    try:
        if target.scheme == "udp":
            with socket.socket(
                socket.AF_INET6 if ":" in target.hostname else socket.AF_INET, socket.SOCK_DGRAM
            ) as s:
                for message in messages:
                    s.sendto(message, (target.hostname, target.port))
        else:
            _send_tcp(target.hostname, target.port, messages)
    except OSError as exc:
        logger.warning("Forwarding %d audit records to %s failed: %s", len(messages), url, exc)


def _send_tcp(host: str, port: int, messages: list[bytes]) -> None:
    global _tcp
    framed = b"".join(str(len(m)).encode() + b" " + m for m in messages)
    with _lock:
        for attempt in (1, 2):  # a kept connection the server closed fails once: reconnect
            if _tcp is None:
                _tcp = socket.create_connection((host, port), timeout=TCP_TIMEOUT_SECONDS)
            try:
                _tcp.sendall(framed)
                return
            except OSError:
                _tcp.close()
                _tcp = None
                if attempt == 2:
                    raise
