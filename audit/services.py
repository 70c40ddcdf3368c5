"""Recording audit events: call audit_record() in the transaction of the change it records."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import syslog
from audit.models import AuditEvent, PurgeRun
from harborpy import sql
from harborpy.errors import BadRequest
from harborpy.schedules import schedule_set

ANONYMOUS = "anonymous"


def _actor(actor: Any) -> tuple[str, str]:
    if actor is None or isinstance(actor, str):
        name = actor or ANONYMOUS
        kind = AuditEvent.ActorKind.ROBOT if name.startswith("robot$") else AuditEvent.ActorKind.USER
        return name, AuditEvent.ActorKind.ANONYMOUS if name == ANONYMOUS else kind
    if not getattr(actor, "is_authenticated", False):
        return ANONYMOUS, AuditEvent.ActorKind.ANONYMOUS
    kind = AuditEvent.ActorKind.ROBOT if getattr(actor, "is_robot", False) else AuditEvent.ActorKind.USER
    return actor.get_username(), kind


def audit_record(
    *,
    actor: Any,
    operation: str,
    resource_type: str,
    resource: str,
    success: bool = True,
    project: Any = None,
    address: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit record. `actor` is a user, a robot, a username or None (anonymous)."""
    name, kind = _actor(actor)
    event = AuditEvent.objects.create(
        actor=name[:512],
        actor_kind=kind,
        address=address or None,
        operation=operation,
        resource_type=resource_type,
        resource=resource[:1024],
        project_id=getattr(project, "pk", None),
        project_name=getattr(project, "name", "") or "",
        result=AuditEvent.Result.SUCCESS if success else AuditEvent.Result.FAILURE,
        detail=detail or {},
    )
    if settings.AUDIT_SYSLOG_URL:
        transaction.on_commit(lambda: syslog.forward([event]))
    return event


@dataclass(frozen=True)
class AuditEntry:
    """One record for audit_record_many(): the actor as a name ("" for anonymous)."""

    actor: str
    operation: str
    resource_type: str
    resource: str
    created_at: datetime
    project_id: int | None = None
    project_name: str = ""
    address: str | None = None
    success: bool = True


# Columns audit_record_many() writes, and rows per INSERT (11 parameters each: far below the
# limits of SQLite, 32,766, and PostgreSQL, 65,535).
_MANY_COLUMNS = (
    "created_at",
    "actor",
    "actor_kind",
    "address",
    "operation",
    "resource_type",
    "resource",
    "project_id",
    "project_name",
    "result",
    "detail",
)
_MANY_BATCH = 500


def audit_record_many(entries: list[AuditEntry]) -> None:
    """Append many records with multi-row INSERTs (buffered pull records, see images/pulls.py).

    Written out rather than through bulk_create: building a model instance per record and
    compiling the INSERT cost 14% of a worker's CPU under a stream of manifest GETs (py-spy);
    harborpy/sql.py says how these statements stay correct on both databases.
    """
    if not entries:
        return
    records = []
    for entry in entries:
        name, kind = _actor(entry.actor or None)
        records.append(
            {
                "created_at": entry.created_at,
                "actor": name[:512],
                "actor_kind": str(kind),
                "address": entry.address or None,
                "operation": entry.operation,
                "resource_type": entry.resource_type,
                "resource": entry.resource[:1024],
                "project_id": entry.project_id,
                "project_name": entry.project_name,
                "result": str(AuditEvent.Result.SUCCESS if entry.success else AuditEvent.Result.FAILURE),
                "detail": {},
            }
        )
    # Only the time and the JSON column need converting for the driver; the rest go as they are.
    created = AuditEvent._meta.get_field("created_at")
    detail = sql.db_value(AuditEvent, "detail", {})
    converted = {
        "created_at": lambda value: created.get_db_prep_value(value, connection, prepared=False),
        "detail": lambda _value: detail,
    }
    columns = ", ".join(sql.column(AuditEvent, name) for name in _MANY_COLUMNS)
    placeholder = "(" + ", ".join(["%s"] * len(_MANY_COLUMNS)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(records), _MANY_BATCH):
            batch = records[start : start + _MANY_BATCH]
            cursor.execute(
                f"INSERT INTO {sql.table(AuditEvent)} ({columns}) VALUES "  # noqa: S608
                + ", ".join([placeholder] * len(batch)),
                [
                    converted[name](record[name]) if name in converted else record[name]
                    for record in batch
                    for name in _MANY_COLUMNS
                ],
            )
    if settings.AUDIT_SYSLOG_URL:
        events = [AuditEvent(**record) for record in records]
        transaction.on_commit(lambda: syslog.forward(events))


# Records deleted per statement: a short transaction each, whatever the table's size.
PURGE_BATCH = 5000
PURGE_SCHEDULE_NAME = "audit-purge"
PURGE_OPERATIONS = ("create", "delete", "pull", "update", "login")


@dataclass(frozen=True)
class PurgeParameters:
    """Which records a purge removes: older than `retention_hours`, of these operations."""

    retention_hours: int
    operations: tuple[str, ...]
    dry_run: bool = False

    @classmethod
    def from_harbor(cls, raw: Mapping[str, Any]) -> PurgeParameters:
        """From Harbor's job parameters; raises BadRequest for values that cannot be right."""
        hours = raw.get("audit_retention_hour")
        if isinstance(hours, bool) or not isinstance(hours, int) or hours < 1:
            raise BadRequest(_("audit_retention_hour must be a positive number of hours."))
        included = raw.get("include_operations", raw.get("include_event_types", ",".join(PURGE_OPERATIONS)))
        if not isinstance(included, str):
            raise BadRequest(_("include_operations must be a comma-separated string."))
        # Harbor 2.13 names event types create_artifact, pull_artifact...: keep the operation part.
        operations = tuple(sorted({op.strip().split("_", 1)[0] for op in included.split(",") if op.strip()}))
        dry_run = raw.get("dry_run", False)
        if not isinstance(dry_run, bool):
            raise BadRequest(_("dry_run must be true or false."))
        return cls(retention_hours=hours, operations=operations, dry_run=dry_run)

    def as_harbor(self) -> dict[str, Any]:
        return {
            "audit_retention_hour": self.retention_hours,
            "include_operations": ",".join(self.operations),
            "dry_run": self.dry_run,
        }


def audit_purge(*, parameters: PurgeParameters, progress: Callable[[int, int], None] | None = None) -> int:
    """Delete (or, dry run, count) the records the parameters select; returns how many.

    Deletes in primary-key batches of PURGE_BATCH so that no statement holds a long lock.
    `progress(done, total)` is called after each batch.
    """
    cutoff = timezone.now() - timedelta(hours=parameters.retention_hours)
    selected = AuditEvent.objects.filter(created_at__lt=cutoff, operation__in=parameters.operations)
    total = selected.count()
    if parameters.dry_run or not total:
        if progress:
            progress(total if parameters.dry_run else 0, total)
        return total
    done, last_pk = 0, 0
    while True:
        ids = list(selected.filter(pk__gt=last_pk).order_by("pk").values_list("pk", flat=True)[:PURGE_BATCH])
        if not ids:
            break
        with transaction.atomic():
            done += AuditEvent.objects.filter(pk__in=ids).delete()[0]
        last_pk = ids[-1]
        if progress:
            progress(done, total)
    return done


@transaction.atomic
def purge_run_create(
    *,
    parameters: PurgeParameters,
    actor: Any,
    kind: str = PurgeRun.Kind.MANUAL,
    address: str | None = None,
    enqueue: bool = True,
) -> PurgeRun:
    """Record a purge run and (`enqueue`) have a worker execute it after commit."""
    from audit.tasks import purge_run_task

    run = PurgeRun.objects.create(kind=kind, parameters=parameters.as_harbor())
    audit_record(
        actor=actor,
        operation="create",
        resource_type="purge_audit",
        resource=str(run.pk),
        address=address,
        detail=parameters.as_harbor(),
    )
    if enqueue:
        purge_run_task.delay_on_commit(run.pk)
    return run


def purge_run_execute(*, run_id: int) -> None:
    """Execute a pending purge run. Idempotent: a run another worker claimed is left alone."""
    claimed = PurgeRun.objects.filter(pk=run_id, status=PurgeRun.Status.PENDING).update(
        status=PurgeRun.Status.RUNNING, updated_at=timezone.now()
    )
    if not claimed:
        return
    run = PurgeRun.objects.get(pk=run_id)
    parameters = PurgeParameters.from_harbor(run.parameters)
    lines = [f"{timezone.now():%Y-%m-%dT%H:%M:%SZ} purge started: {json.dumps(run.parameters)}"]
    try:
        purged = audit_purge(parameters=parameters)
    except DatabaseError as exc:
        lines.append(f"{timezone.now():%Y-%m-%dT%H:%M:%SZ} purge failed: {exc}")
        PurgeRun.objects.filter(pk=run_id).update(
            status=PurgeRun.Status.ERROR, log="\n".join(lines) + "\n", updated_at=timezone.now()
        )
        raise
    verb = "would purge" if parameters.dry_run else "purged"
    lines.append(f"{timezone.now():%Y-%m-%dT%H:%M:%SZ} {verb} {purged} audit records")
    PurgeRun.objects.filter(pk=run_id).update(
        status=PurgeRun.Status.SUCCESS, purged=purged, log="\n".join(lines) + "\n", updated_at=timezone.now()
    )


def purge_schedule_set(
    *, schedule_type: str, cron: str, parameters: Mapping[str, Any], actor: Any, address: str | None = None
) -> None:
    """Set (or, type "None", remove) the purge schedule; type "Manual" runs a purge now."""
    if schedule_type == "Manual":
        purge_run_create(parameters=PurgeParameters.from_harbor(parameters), actor=actor, address=address)
        return
    checked = PurgeParameters.from_harbor(parameters).as_harbor() if schedule_type != "None" else {}
    with transaction.atomic():
        schedule_set(
            name=PURGE_SCHEDULE_NAME,
            task="audit.tasks.purge_scheduled_task",
            kwargs={"parameters": checked},
            schedule_type=schedule_type,
            cron=cron,
        )
        audit_record(
            actor=actor,
            operation="update",
            resource_type="purge_audit_schedule",
            resource=schedule_type,
            address=address,
            detail={"cron": cron, **checked},
        )
