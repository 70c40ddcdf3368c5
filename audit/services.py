"""Recording audit events: call audit_record() in the transaction of the change it records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from audit.models import AuditEvent

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
    return AuditEvent.objects.create(
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


def audit_record_many(entries: list[AuditEntry]) -> None:
    """Append many records in one INSERT (buffered pull records, see images/pulls.py)."""
    events = []
    for entry in entries:
        name, kind = _actor(entry.actor or None)
        events.append(
            AuditEvent(
                created_at=entry.created_at,
                actor=name[:512],
                actor_kind=kind,
                address=entry.address or None,
                operation=entry.operation,
                resource_type=entry.resource_type,
                resource=entry.resource[:1024],
                project_id=entry.project_id,
                project_name=entry.project_name,
                result=AuditEvent.Result.SUCCESS if entry.success else AuditEvent.Result.FAILURE,
            )
        )
    AuditEvent.objects.bulk_create(events, batch_size=500)
