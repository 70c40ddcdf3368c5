"""Celery entry points of the audit trail."""

from __future__ import annotations

from typing import Any

from celery import shared_task


@shared_task(acks_late=True)
def purge_run_task(run_id: int) -> None:
    from audit.services import purge_run_execute

    purge_run_execute(run_id=run_id)


@shared_task(acks_late=True)
def purge_scheduled_task(parameters: dict[str, Any]) -> None:
    """Fired by Celery beat on the purge schedule: record a run and execute it here."""
    from audit.models import PurgeRun
    from audit.services import PurgeParameters, purge_run_create, purge_run_execute

    run = purge_run_create(
        parameters=PurgeParameters.from_harbor(parameters),
        actor="system",
        kind=PurgeRun.Kind.SCHEDULE,
        enqueue=False,
    )
    purge_run_execute(run_id=run.pk)


@shared_task(acks_late=True)
def audit_retention_task() -> None:
    """Nightly: purge every record older than HARBORPY_AUDIT_RETENTION_DAYS (a recorded run)."""
    from django.conf import settings

    from audit.models import PurgeRun
    from audit.services import PURGE_OPERATIONS, PurgeParameters, purge_run_create, purge_run_execute

    if not settings.AUDIT_RETENTION_DAYS:
        return
    parameters = PurgeParameters(
        retention_hours=settings.AUDIT_RETENTION_DAYS * 24, operations=PURGE_OPERATIONS
    )
    run = purge_run_create(parameters=parameters, actor="system", kind=PurgeRun.Kind.SCHEDULE, enqueue=False)
    purge_run_execute(run_id=run.pk)
