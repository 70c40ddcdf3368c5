"""The audit trail as CSV, streamed row by row so that a large export never sits in memory.

Used by the REST API (`audit-logs/export`, `projects/{name}/logs/export`) and the admin site's
export action: the same columns everywhere.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import StreamingHttpResponse

from audit.models import AuditEvent

CSV_COLUMNS = ["id", "op_time", "username", "operation", "resource_type", "resource", "project", "result"]
# Rows fetched per round trip while streaming an export: bounded memory whatever the table size.
EXPORT_CHUNK = 2000


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_safe(value: str) -> str:
    """Keep a spreadsheet from running a resource name as a formula (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def csv_rows(events: QuerySet[AuditEvent]) -> Iterator[str]:
    """The header line, then one line per record of `events`, in its order."""
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for event in events.iterator(chunk_size=EXPORT_CHUNK):
        yield writer.writerow(
            [
                event.pk,
                event.created_at.isoformat(),
                event.actor,
                event.operation,
                event.resource_type,
                csv_safe(event.resource),
                event.project_name,
                event.result,
            ]
        )


def csv_response(events: QuerySet[AuditEvent], filename: str = "audit-logs.csv") -> StreamingHttpResponse:
    """A streamed CSV download of `events`."""
    response = StreamingHttpResponse(csv_rows(events), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
