"""Pull records and counts are written in batches: by size, by time, and on demand."""

from __future__ import annotations

import time

import pytest
from django.db import connection

from audit.models import AuditEvent
from images import pulls
from images.models import Artifact
from tests.factories import ArtifactFactory


def _pull(artifact: Artifact) -> None:
    pulls.pull_record(
        artifact_id=artifact.pk,
        repository_id=artifact.repository_id,
        project_id=artifact.repository.project_id,
        repository_name=artifact.repository.name,
        reference="latest",
        actor="alice",
        address="10.0.0.1",
    )


@pytest.fixture
def artifact(db):
    return ArtifactFactory()


@pytest.fixture
def batching(settings):
    settings.PULL_FLUSH_SECONDS = 3600
    settings.PULL_FLUSH_MAX = 3
    yield
    pulls.pulls_flush()


def test_pulls_wait_in_memory_until_the_batch_is_full(artifact, batching):
    _pull(artifact)
    _pull(artifact)

    assert AuditEvent.objects.filter(operation="pull").count() == 0

    _pull(artifact)

    assert AuditEvent.objects.filter(operation="pull").count() == 3
    artifact.refresh_from_db()
    assert artifact.pull_count == 3


def test_flush_writes_what_is_pending_in_one_insert(artifact, batching, django_assert_max_num_queries):
    _pull(artifact)
    _pull(artifact)

    with django_assert_max_num_queries(5):  # savepoint, insert, two updates, release
        assert pulls.pulls_flush() == 2

    assert AuditEvent.objects.filter(operation="pull", actor="alice", address="10.0.0.1").count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_lone_pull_is_written_by_the_timer(settings):
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(":memory:"):
        pytest.skip("the timer thread needs a database another connection can see")
    artifact = ArtifactFactory()
    settings.PULL_FLUSH_SECONDS = 1

    _pull(artifact)
    deadline = time.monotonic() + 10
    while not AuditEvent.objects.filter(operation="pull").exists() and time.monotonic() < deadline:
        time.sleep(0.1)

    assert AuditEvent.objects.filter(operation="pull").count() == 1
    artifact.refresh_from_db()
    assert artifact.pull_count == 1
