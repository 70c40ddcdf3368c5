"""A project's summary: repositories, members by role and its storage quota.

It lives here, not in projects/api/, because the storage a project uses is the images app's to
compute (images.selectors.project_storage_usage): images may depend on projects, never the reverse.
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from images.selectors import project_storage_usage
from projects.api.scope import ProjectScopedApi
from projects.models import Role
from projects.permissions import Action
from projects.selectors import member_counts

_COUNTS = {
    Role.PROJECT_ADMIN: "project_admin_count",
    Role.MAINTAINER: "maintainer_count",
    Role.DEVELOPER: "developer_count",
    Role.GUEST: "guest_count",
    Role.LIMITED_GUEST: "limited_guest_count",
}


class ResourceListSerializer(serializers.Serializer):
    storage = serializers.IntegerField()


class ProjectSummaryQuotaSerializer(serializers.Serializer):
    hard = ResourceListSerializer()
    used = ResourceListSerializer()


class ProjectSummarySerializer(serializers.Serializer):
    """Harbor's ProjectSummary; the member counts only for callers who may see the members."""

    repo_count = serializers.IntegerField()
    project_admin_count = serializers.IntegerField(required=False)
    maintainer_count = serializers.IntegerField(required=False)
    developer_count = serializers.IntegerField(required=False)
    guest_count = serializers.IntegerField(required=False)
    limited_guest_count = serializers.IntegerField(required=False)
    quota = ProjectSummaryQuotaSerializer()


class ProjectSummaryApi(ProjectScopedApi):
    """Anyone who sees the project sees its summary (anonymous callers too, for public projects)."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="getProjectSummary",
        parameters=[
            OpenApiParameter("project_name_or_id", str, OpenApiParameter.PATH),
            OpenApiParameter("X-Is-Resource-Name", bool, OpenApiParameter.HEADER),
        ],
        responses={200: ProjectSummarySerializer},
    )
    def get(self, request: Request, project_name_or_id: str) -> Response:
        project = self.project_for()
        summary: dict[str, Any] = {"repo_count": project.repo_count}
        if Action.READ_MEMBERS in self.actions:
            counts = member_counts(project=project)
            summary.update({field: counts.get(role, 0) for role, field in _COUNTS.items()})
        summary["quota"] = {
            "hard": {"storage": project.storage_limit},
            "used": {"storage": project_storage_usage(project_id=project.pk)},
        }
        return Response(ProjectSummarySerializer(summary).data)


urlpatterns = [
    path(
        "projects/<str:project_name_or_id>/summary", ProjectSummaryApi.as_view(), name="api-project-summary"
    ),
]
