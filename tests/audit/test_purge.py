"""Purging the audit trail: by age and operation, in batches, dry run, command, task and schedule."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from audit import services
from audit.models import AuditEvent, PurgeRun
from audit.services import (
    PurgeParameters,
    audit_purge,
    purge_run_create,
    purge_run_execute,
    purge_schedule_set,
)
from audit.tasks import purge_run_task, purge_scheduled_task
from harborpy.errors import BadRequest

pytestmark = pytest.mark.django_db


def _event(operation: str, hours_ago: float) -> AuditEvent:
    return AuditEvent.objects.create(
        actor="alice",
        actor_kind="user",
        operation=operation,
        resource_type="artifact",
        resource="p/r:t",
        created_at=timezone.now() - dt.timedelta(hours=hours_ago),
    )


@pytest.fixture
def trail():
    return {
        "old_pull": _event("pull", 100),
        "old_create": _event("create", 100),
        "new_pull": _event("pull", 1),
    }


def _left() -> set[int]:
    return set(AuditEvent.objects.values_list("pk", flat=True))


def test_purge_removes_old_records_of_the_chosen_operations(trail):
    purged = audit_purge(parameters=PurgeParameters(retention_hours=24, operations=("pull",)))

    assert purged == 1
    assert _left() == {trail["old_create"].pk, trail["new_pull"].pk}


def test_dry_run_counts_and_keeps_everything(trail):
    purged = audit_purge(
        parameters=PurgeParameters(retention_hours=24, operations=("pull", "create"), dry_run=True)
    )

    assert purged == 2
    assert len(_left()) == 3


def test_purge_goes_in_batches_and_reports_progress(trail, monkeypatch):
    monkeypatch.setattr(services, "PURGE_BATCH", 1)
    seen = []

    audit_purge(
        parameters=PurgeParameters(retention_hours=24, operations=("pull", "create")),
        progress=lambda done, total: seen.append((done, total)),
    )

    assert seen == [(1, 2), (2, 2)]
    assert _left() == {trail["new_pull"].pk}


@pytest.mark.parametrize(
    "raw",
    [
        {},
        {"audit_retention_hour": 0},
        {"audit_retention_hour": "24"},
        {"audit_retention_hour": True},
        {"audit_retention_hour": 24, "dry_run": "yes"},
        {"audit_retention_hour": 24, "include_operations": ["pull"]},
    ],
)
def test_harbor_parameters_are_checked(raw):
    with pytest.raises(BadRequest):
        PurgeParameters.from_harbor(raw)


def test_harbor_event_type_names_map_to_operations():
    parameters = PurgeParameters.from_harbor(
        {"audit_retention_hour": 5, "include_event_types": "create_artifact,pull_artifact,delete_tag"}
    )

    assert parameters.operations == ("create", "delete", "pull")


def test_the_command_purges_with_progress(trail):
    out = io.StringIO()

    call_command("audit_purge", "--days", "1", "--operations", "pull,create", stdout=out)

    assert "2/2 (100%)" in out.getvalue()
    assert "Purged 2 audit records" in out.getvalue()
    assert _left() == {trail["new_pull"].pk}


def test_the_command_dry_run(trail):
    out = io.StringIO()

    call_command("audit_purge", "--hours", "24", "--dry-run", stdout=out)

    assert "Would purge 2" in out.getvalue()
    assert len(_left()) == 3


@pytest.mark.parametrize("args", [[], ["--days", "1", "--hours", "2"], ["--days", "0"]])
def test_the_command_refuses_unclear_arguments(args):
    with pytest.raises(CommandError):
        call_command("audit_purge", *args, stdout=io.StringIO())


def test_a_purge_run_is_enqueued_after_commit_and_the_task_executes_it(
    trail, admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        run = purge_run_create(
            parameters=PurgeParameters(retention_hours=24, operations=("pull",)), actor=admin
        )
    assert len(callbacks) == 1

    purge_run_task(run.pk)

    run.refresh_from_db()
    assert (run.status, run.purged) == (PurgeRun.Status.SUCCESS, 1)
    assert "purged 1 audit records" in run.log
    assert AuditEvent.objects.filter(resource_type="purge_audit", actor="admin").exists()


def test_a_run_is_executed_once(trail, admin):
    run = purge_run_create(
        parameters=PurgeParameters(retention_hours=24, operations=("pull",)), actor=admin, enqueue=False
    )
    purge_run_execute(run_id=run.pk)
    _event("pull", 100)

    purge_run_execute(run_id=run.pk)

    run.refresh_from_db()
    assert run.purged == 1
    assert AuditEvent.objects.filter(operation="pull").count() == 2


def test_a_schedule_becomes_a_beat_task_and_none_removes_it(admin):
    purge_schedule_set(
        schedule_type="Custom", cron="0 30 2 * * *", parameters={"audit_retention_hour": 720}, actor=admin
    )

    task = PeriodicTask.objects.get(name="audit-purge")
    assert task.task == "audit.tasks.purge_scheduled_task"
    assert (task.crontab.minute, task.crontab.hour) == ("30", "2")
    assert json.loads(task.kwargs)["parameters"]["audit_retention_hour"] == 720

    purge_schedule_set(schedule_type="None", cron="", parameters={}, actor=admin)

    assert not PeriodicTask.objects.filter(name="audit-purge").exists()


@pytest.mark.parametrize("cron", ["* * *", "0 99 * * * *", "30 0 * * * *", "nonsense"])
def test_bad_crons_are_refused(admin, cron):
    with pytest.raises(BadRequest):
        purge_schedule_set(
            schedule_type="Custom", cron=cron, parameters={"audit_retention_hour": 1}, actor=admin
        )


def test_the_scheduled_task_records_and_executes_a_run(trail):
    purge_scheduled_task({"audit_retention_hour": 24, "include_operations": "pull", "dry_run": False})

    run = PurgeRun.objects.get()
    assert (run.kind, run.status, run.purged) == (PurgeRun.Kind.SCHEDULE, PurgeRun.Status.SUCCESS, 1)


def test_the_nightly_retention_purges_what_is_older_than_the_setting(settings):
    from audit.tasks import audit_retention_task

    settings.AUDIT_RETENTION_DAYS = 2
    old, recent = _event("login", 24 * 3), _event("login", 24)

    audit_retention_task()

    assert _left() == {recent.pk} | set(
        AuditEvent.objects.filter(resource_type="purge_audit").values_list("pk", flat=True)
    )
    assert PurgeRun.objects.get().purged == 1
    assert not AuditEvent.objects.filter(pk=old.pk).exists()


def test_retention_zero_keeps_everything(settings):
    from audit.tasks import audit_retention_task

    settings.AUDIT_RETENTION_DAYS = 0
    _event("login", 24 * 3000)

    audit_retention_task()

    assert AuditEvent.objects.count() == 1
    assert not PurgeRun.objects.exists()


def test_the_retention_is_on_the_beat_schedule():
    from django.conf import settings

    assert settings.CELERY_BEAT_SCHEDULE["audit-retention"]["task"] == "audit.tasks.audit_retention_task"
