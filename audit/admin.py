"""How the admin site shows the audit trail: read-only lists with filters and a CSV export.

Who sees which record is a question about projects, which this app sits below: projects/admin.py
registers these classes with that decision (as the audit-log API lives in projects/api/).
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from audit.export import csv_response
from audit.models import AuditEvent
from audit.services import PURGE_OPERATIONS
from harborpy.admin_options import ReadOnlyAdmin

# The operations and resource types harborpy records. Filters list these instead of asking the
# table for its distinct values, a full scan of the biggest table on every page.
OPERATIONS = sorted({*PURGE_OPERATIONS, "refresh"})
RESOURCE_TYPES = [
    "artifact",
    "configuration",
    "member",
    "project",
    "purge_audit",
    "purge_audit_schedule",
    "robot",
    "tag",
    "user",
    "usergroup",
]


class _ValueFilter(admin.SimpleListFilter):
    field: str
    values: list[str]

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(value, value) for value in self.values]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value():
            return queryset.filter(**{self.field: self.value()})
        return queryset


class OperationFilter(_ValueFilter):
    title = _("operation")
    parameter_name = field = "operation"
    values = OPERATIONS


class ResourceTypeFilter(_ValueFilter):
    title = _("resource type")
    parameter_name = field = "resource_type"
    values = RESOURCE_TYPES


class AuditEventAdmin(ReadOnlyAdmin):
    """The audit trail: append-only, so nobody adds, changes or deletes a record here."""

    list_display = [
        "created_at",
        "actor",
        "operation",
        "resource_type",
        "resource",
        "project_name",
        "succeeded",
        "address",
    ]
    list_display_links = ["created_at"]
    list_filter = [OperationFilter, ResourceTypeFilter, "result", "actor_kind"]
    # Exact or prefix matches only: a substring search would read the whole table.
    search_fields = ["=actor", "^resource", "=project_name"]
    search_help_text = _("An exact username or project name, or the beginning of a resource name.")
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    list_per_page = 100
    actions = ["export_csv"]
    fields = [
        "created_at",
        "actor",
        "actor_kind",
        "address",
        "operation",
        "resource_type",
        "resource",
        "project_name",
        "project_id",
        "result",
        "detail_json",
    ]
    readonly_fields = fields

    @admin.display(description=_("succeeded"), boolean=True, ordering="result")
    def succeeded(self, event: AuditEvent) -> bool:
        return event.result == AuditEvent.Result.SUCCESS

    @admin.display(description=_("detail"))
    def detail_json(self, event: AuditEvent) -> str:
        return format_html("<pre>{}</pre>", json.dumps(event.detail, indent=2, sort_keys=True))

    @admin.action(permissions=["view"], description=_("Export selected %(verbose_name_plural)s as CSV"))
    def export_csv(self, request: HttpRequest, queryset: QuerySet[AuditEvent]) -> StreamingHttpResponse:
        """Streams the selection (or, with "select all", every record the filters match)."""
        return csv_response(queryset.order_by("-created_at", "-id"))


class PurgeRunAdmin(ReadOnlyAdmin):
    """Runs of the audit purge (started by the API's schedule or `manage.py audit_purge`)."""

    list_display = ["pk", "kind", "status", "purged", "created_at", "updated_at"]
    list_filter = ["kind", "status"]
    ordering = ["-created_at"]
    fields = ["kind", "status", "parameters", "purged", "log", "created_at", "updated_at"]
    readonly_fields = fields

    def get_list_display_links(self, request: HttpRequest, list_display: Any) -> list[str]:
        return ["pk"]
