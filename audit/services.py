"""Recording audit events: call audit_record() in the transaction of the change it records."""

from __future__ import annotations

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
