"""The audit trail over the API: `audit-logs` (system-wide) and `projects/{project_name}/logs`.

Harbor's shapes (AuditLog) with its `q`/`sort`/`page`/`page_size`, plus a CSV export of the same
selection, streamed row by row so that a large export never sits in memory.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.http import StreamingHttpResponse
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from audit.models import AuditEvent
from audit.selectors import audit_event_list
from harborpy.apiviews import HarborApi
from harborpy.errors import Denied, NotFound
from harborpy.query import Field, query_filter, query_sort
from projects.permissions import Action, can, can_read_all_audit_logs, projects_with_action
from projects.selectors import project_get_by_name

QUERY_FIELDS = {
    "username": Field("actor"),
    "operation": Field("operation"),
    "resource": Field("resource"),
    "resource_type": Field("resource_type"),
    "op_time": Field("created_at", "time"),
    "project": Field("project_name"),
    "result": Field("result"),
}
SORT_FIELDS = {
    "id": "id",
    "op_time": "created_at",
    "username": "actor",
    "operation": "operation",
    "resource": "resource",
    "resource_type": "resource_type",
}
CSV_COLUMNS = ["id", "op_time", "username", "operation", "resource_type", "resource", "project", "result"]
# Rows fetched per round trip while streaming an export: bounded memory whatever the table size.
EXPORT_CHUNK = 2000

_PARAMETERS = [
    OpenApiParameter(
        "q", str, description="Harbor query: username, operation, resource, resource_type, op_time"
    ),
    OpenApiParameter("sort", str, description="e.g. -op_time"),
]


class AuditLogSerializer(serializers.ModelSerializer):
    """Harbor's AuditLog, with the result and the caller's address."""

    username = serializers.CharField(source="actor")
    op_time = serializers.DateTimeField(source="created_at")
    operation_result = serializers.SerializerMethodField()
    project = serializers.CharField(source="project_name")

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "username",
            "resource",
            "resource_type",
            "operation",
            "op_time",
            "operation_result",
            "project",
            "address",
        ]

    def get_operation_result(self, event: AuditEvent) -> bool:
        return event.result == AuditEvent.Result.SUCCESS


class _AuditLogs(HarborApi):
    def events(self, request: Request, **kwargs: Any) -> Any:
        raise NotImplementedError

    def selection(self, request: Request, **kwargs: Any) -> Any:
        events = query_filter(self.events(request, **kwargs), request.query_params.get("q", ""), QUERY_FIELDS)
        return query_sort(events, request.query_params.get("sort", ""), SORT_FIELDS, ["-created_at", "-id"])


class _List(_AuditLogs):
    @extend_schema(parameters=_PARAMETERS, responses=AuditLogSerializer(many=True))
    def get(self, request: Request, **kwargs: Any) -> Response:
        return self.paginate(self.selection(request, **kwargs), AuditLogSerializer)


class _Export(_AuditLogs):
    @extend_schema(parameters=_PARAMETERS, responses={(200, "text/csv"): str})
    def get(self, request: Request, **kwargs: Any) -> StreamingHttpResponse:
        events = self.selection(request, **kwargs)
        response = StreamingHttpResponse(_csv_rows(events), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="audit-logs.csv"'
        return response


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_rows(events: Any) -> Iterator[str]:
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
                _csv_safe(event.resource),
                event.project_name,
                event.result,
            ]
        )


def _csv_safe(value: str) -> str:
    """Keep a spreadsheet from running a resource name as a formula (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


class _System:
    """Every record for system admins; a user's Project Admin projects for others (as Harbor)."""

    def events(self, request: Request, **kwargs: Any) -> Any:
        if can_read_all_audit_logs(request.user):
            return audit_event_list()
        return audit_event_list(project_ids=projects_with_action(request.user, Action.ADMIN).values("pk"))


class _Project:
    """The records of one project, for its members with Guest or above."""

    def events(self, request: Request, project_name: str = "", **kwargs: Any) -> Any:
        project = project_get_by_name(project_name)
        if project is None or not can(request.user, Action.PULL, project):
            raise NotFound(_("Project %(name)s not found.") % {"name": project_name[:255]})
        if not can(request.user, Action.READ_LOGS, project):
            raise Denied(_("You may not read the logs of project %(name)s.") % {"name": project.name})
        return audit_event_list(project_ids=[project.pk])


class AuditLogListApi(_System, _List):
    """GET /audit-logs."""


class AuditLogExportApi(_System, _Export):
    """GET /audit-logs/export: the same selection as CSV."""


class ProjectLogListApi(_Project, _List):
    """GET /projects/{project_name}/logs."""


class ProjectLogExportApi(_Project, _Export):
    """GET /projects/{project_name}/logs/export."""


urlpatterns = [
    path("audit-logs", AuditLogListApi.as_view(), name="api-audit-logs"),
    path("audit-logs/export", AuditLogExportApi.as_view(), name="api-audit-logs-export"),
    path("projects/<str:project_name>/logs", ProjectLogListApi.as_view(), name="api-project-logs"),
    path(
        "projects/<str:project_name>/logs/export",
        ProjectLogExportApi.as_view(),
        name="api-project-logs-export",
    ),
]
