"""audit_record_many(): the written-out multi-row INSERT stores what audit_record() would."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import AuditEntry, audit_record_many

pytestmark = pytest.mark.django_db


def test_every_field_is_stored_as_given():
    at = timezone.now() - timedelta(days=2, microseconds=123)
    audit_record_many(
        [
            AuditEntry(
                actor="robot$ci",
                operation="pull",
                resource_type="artifact",
                resource="lib/app@sha256:" + "a" * 64,
                created_at=at,
                project_id=7,
                project_name="lib",
                address="2001:db8::1",
            ),
            AuditEntry(
                actor="",
                operation="pull",
                resource_type="artifact",
                resource="x" * 2000,
                created_at=at,
                success=False,
            ),
        ]
    )

    robot, anonymous = AuditEvent.objects.order_by("id")
    assert (robot.actor, robot.actor_kind, robot.address) == ("robot$ci", "robot", "2001:db8::1")
    assert (robot.project_id, robot.project_name, robot.result) == (7, "lib", "success")
    assert robot.created_at == at and robot.detail == {}
    assert (anonymous.actor, anonymous.actor_kind, anonymous.address) == ("anonymous", "anonymous", None)
    assert anonymous.result == "failure" and len(anonymous.resource) == 1024
    assert anonymous.project_id is None and anonymous.project_name == ""


def test_large_batches_are_split_into_several_inserts(django_assert_num_queries):
    at = timezone.now()
    entries = [
        AuditEntry(
            actor="alice", operation="pull", resource_type="artifact", resource=f"p/r:{i}", created_at=at
        )
        for i in range(1201)
    ]

    with django_assert_num_queries(3):
        audit_record_many(entries)

    assert AuditEvent.objects.count() == 1201
    assert set(AuditEvent.objects.values_list("resource", flat=True)) == {f"p/r:{i}" for i in range(1201)}


def test_nothing_to_record_is_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        audit_record_many([])
