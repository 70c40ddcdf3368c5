"""GET /search?q=: projects and repositories whose name contains q, among those the caller may see."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from harborpy.apiviews import HarborApi
from harborpy.errors import BadRequest
from images.models import Repository
from images.selectors import repository_list
from projects.models import Project
from projects.permissions import projects_visible_to

# Harbor returns every match; harborpy at most this many projects and as many repositories (in name
# order), so that a one-letter search over a large registry stays a bounded response.
SEARCH_LIMIT = 100


class SearchProjectSerializer(serializers.ModelSerializer):
    """The fields of Harbor's Project that a search result carries."""

    project_id = serializers.IntegerField(source="id")
    owner_name = serializers.SerializerMethodField()
    creation_time = serializers.DateTimeField(source="created_at")
    update_time = serializers.DateTimeField(source="updated_at")
    deleted = serializers.SerializerMethodField()
    repo_count = serializers.IntegerField()
    metadata = serializers.SerializerMethodField()

    class Meta:
        model = Project
        fields = [
            "project_id",
            "owner_id",
            "name",
            "owner_name",
            "creation_time",
            "update_time",
            "deleted",
            "repo_count",
            "metadata",
        ]

    def get_owner_name(self, project: Project) -> str:
        return project.owner.get_username() if project.owner else ""

    def get_deleted(self, project: Project) -> bool:
        return False

    def get_metadata(self, project: Project) -> dict[str, str]:
        return {"public": "true" if project.is_public else "false"}


class SearchRepositorySerializer(serializers.ModelSerializer):
    """Harbor's SearchRepository."""

    project_name = serializers.CharField(source="project.name")
    project_public = serializers.BooleanField(source="project.is_public")
    repository_name = serializers.CharField(source="name")
    artifact_count = serializers.IntegerField()

    class Meta:
        model = Repository
        fields = [
            "project_id",
            "project_name",
            "project_public",
            "repository_name",
            "pull_count",
            "artifact_count",
        ]


def _repo_count() -> Any:
    counted = (
        Repository.objects.filter(project=OuterRef("pk")).order_by().values("project").annotate(n=Count("*"))
    )
    return Coalesce(Subquery(counted.values("n")), 0)


class SearchApi(HarborApi):
    """GET /search: public projects and the caller's own, and their repositories, by name."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="search",
        parameters=[OpenApiParameter("q", str, required=True, description="part of a name")],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request) -> Response:
        q = request.query_params.get("q", "")
        if not q:
            raise BadRequest(_("q is required: the part of a project or repository name to look for."))
        visible = projects_visible_to(request.user)
        projects = (
            visible.filter(name__icontains=q)
            .select_related("owner")
            .annotate(repo_count=_repo_count())
            .order_by("name")[:SEARCH_LIMIT]
        )
        repositories = (
            repository_list(projects=visible)
            .filter(name__icontains=q)
            .select_related("project")
            .order_by("name")[:SEARCH_LIMIT]
        )
        return Response(
            {
                "project": SearchProjectSerializer(projects, many=True).data,
                "repository": SearchRepositorySerializer(repositories, many=True).data,
            }
        )


urlpatterns = [path("search", SearchApi.as_view(), name="api-search")]
