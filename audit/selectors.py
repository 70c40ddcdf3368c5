"""Reading the audit trail."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from audit.models import AuditEvent


def audit_event_list(*, project_ids: Iterable[int] | QuerySet | None = None) -> QuerySet[AuditEvent]:
    """Audit records, all of them (project_ids None) or those of the given projects."""
    events = AuditEvent.objects.all()
    if project_ids is not None:
        events = events.filter(project_id__in=project_ids)
    return events
