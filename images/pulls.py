"""Pulls are counted and audited in batches, never with a write per pull.

A manifest GET is the registry's most frequent request; a row write per pull would put a
database write (and, on SQLite, the database's single write lock) on that path, and a counter on
one hot artifact row would serialise concurrent pulls of a popular image. So each process keeps
the pulls it served in memory and writes them out together: one multi-row INSERT of audit
records and one UPDATE per pulled artifact and repository, at most every PULL_FLUSH_SECONDS or
PULL_FLUSH_MAX pulls, and when the worker exits (harborpy/gunicorn.conf.py). A process killed
outright loses at most that window of pull records; pushes and deletes are audited in their own
transaction and never buffered.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from audit.services import AuditEntry, audit_record_many

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pull:
    artifact_id: int
    repository_id: int
    project_id: int
    resource: str  # "<repository>:<tag>" or "<repository>@<digest>"
    actor: str  # username, robot name, or "" for anonymous
    address: str | None
    at: datetime


_lock = threading.Lock()
_pending: list[Pull] = []
_timer: threading.Timer | None = None


def pull_record(
    *,
    artifact_id: int,
    repository_id: int,
    project_id: int,
    repository_name: str,
    reference: str,
    actor: str,
    address: str | None,
) -> None:
    """Remember one manifest pull; it is written with the next batch."""
    separator = "@" if ":" in reference else ":"
    pull = Pull(
        artifact_id=artifact_id,
        repository_id=repository_id,
        project_id=project_id,
        resource=f"{repository_name}{separator}{reference}",
        actor=actor,
        address=address,
        at=timezone.now(),
    )
    if settings.PULL_FLUSH_SECONDS == 0:
        _write([pull])
        return
    global _timer
    with _lock:
        _pending.append(pull)
        full = len(_pending) >= settings.PULL_FLUSH_MAX
        if not full and _timer is None:
            _timer = threading.Timer(settings.PULL_FLUSH_SECONDS, _flush_in_background)
            _timer.daemon = True
            _timer.start()
    if full:
        pulls_flush()


def pulls_flush() -> int:
    """Write every pull remembered so far; returns how many."""
    global _timer
    with _lock:
        batch = _pending[:]
        _pending.clear()
        if _timer is not None:
            _timer.cancel()
            _timer = None
    if batch:
        _write(batch)
    return len(batch)


def _flush_in_background() -> None:
    global _timer
    with _lock:
        _timer = None
    try:
        pulls_flush()
    except Exception:  # a thread's exception would vanish; log it with its traceback
        logger.exception("Writing buffered pull records failed")
    finally:
        connection.close()  # this thread's own connection


def _write(batch: list[Pull]) -> None:
    from images.models import Artifact, Repository  # images.models imports this app's selectors

    by_artifact = Counter(pull.artifact_id for pull in batch)
    by_repository = Counter(pull.repository_id for pull in batch)
    last = max(pull.at for pull in batch)
    with transaction.atomic():
        if settings.AUDIT_PULL:
            audit_record_many(
                [
                    AuditEntry(
                        actor=pull.actor,
                        operation="pull",
                        resource_type="artifact",
                        resource=pull.resource,
                        project_id=pull.project_id,
                        project_name=pull.resource.split("/", 1)[0],
                        address=pull.address,
                        created_at=pull.at,
                    )
                    for pull in batch
                ]
            )
        # Ordered by id so that concurrent flushes of several processes lock rows in one order.
        for artifact_id, count in sorted(by_artifact.items()):
            Artifact.objects.filter(pk=artifact_id).update(
                pull_count=F("pull_count") + count,
                pulled_at=last,
            )
        for repository_id, count in sorted(by_repository.items()):
            Repository.objects.filter(pk=repository_id).update(pull_count=F("pull_count") + count)


def _flush_at_exit() -> None:
    try:
        pulls_flush()
    except Exception:  # at interpreter exit there is no one left to raise to
        logger.exception("Writing buffered pull records at exit failed")


atexit.register(_flush_at_exit)
