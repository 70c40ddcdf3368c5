"""Repositories: those of a project, all those the caller may see, one repository (read, describe, delete)."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from harborpy.apiviews import HarborApi
from harborpy.query import Field, query_filter
from images.api.base import ContentApi, ordered
from images.api.serializers import RepositoryInputSerializer, RepositorySerializer
from images.selectors import repository_in_project, repository_list
from images.services.repositories import repository_delete, repository_update
from projects.permissions import Action, projects_visible_to

QUERY_FIELDS = {
    "name": Field("name"),
    "project_id": Field("project_id", "int"),
    "creation_time": Field("created_at", "time"),
    "update_time": Field("updated_at", "time"),
}
SORT_FIELDS = {
    "id": "id",
    "name": "name",
    "creation_time": "created_at",
    "update_time": "updated_at",
    "pull_count": "pull_count",
    "artifact_count": "artifact_count",
}
DEFAULT_SORT = ["-created_at", "-id"]  # Harbor's: newest first
LIST_PARAMETERS = [
    OpenApiParameter("q", str, description="Harbor query: name=~part, project_id, creation_time=[a~b]"),
    OpenApiParameter("sort", str, description="e.g. name or -creation_time"),
]


def _selection(request: Request, repositories: object) -> object:
    repositories = query_filter(repositories, request.query_params.get("q", ""), QUERY_FIELDS)
    return ordered(repositories, request.query_params.get("sort", ""), SORT_FIELDS, DEFAULT_SORT)


class RepositoryListApi(ContentApi):
    """GET /projects/{project_name}/repositories."""

    @extend_schema(
        operation_id="listRepositories", parameters=LIST_PARAMETERS, responses=RepositorySerializer(many=True)
    )
    def get(self, request: Request, project_name: str) -> Response:
        repositories = repository_list().filter(project=self.project)
        return self.paginate(_selection(request, repositories), RepositorySerializer)


class AllRepositoryListApi(HarborApi):
    """GET /repositories: every repository for a system admin, else those of the projects the caller
    may see (public ones, and its own), as Harbor answers."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="listAllRepositories",
        parameters=LIST_PARAMETERS,
        responses=RepositorySerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        repositories = repository_list(projects=projects_visible_to(request.user))
        return self.paginate(_selection(request, repositories), RepositorySerializer)


class RepositoryApi(ContentApi):
    """GET, PUT (the description) and DELETE /projects/{project_name}/repositories/{repository_name}."""

    required_actions = {"PUT": Action.PUSH, "DELETE": Action.DELETE}

    @extend_schema(operation_id="getRepository", responses=RepositorySerializer)
    def get(self, request: Request, project_name: str, repository_name: str) -> Response:
        repository = repository_in_project(project=self.project, name=self.repository_name, with_count=True)
        return Response(RepositorySerializer(repository).data)

    @extend_schema(operation_id="updateRepository", request=RepositoryInputSerializer, responses={200: None})
    def put(self, request: Request, project_name: str, repository_name: str) -> Response:
        data = self.validated(RepositoryInputSerializer, request.data)
        repository_update(
            repository=self.repository,
            description=data["description"],
            actor=request.user,
            address=self.address,
        )
        return Response(status=200)

    @extend_schema(operation_id="deleteRepository", responses={200: None})
    def delete(self, request: Request, project_name: str, repository_name: str) -> Response:
        repository_delete(repository=self.repository, actor=request.user, address=self.address)
        return Response(status=200)


_REPOSITORY = "projects/<str:project_name>/repositories/<str:repository_name>"

urlpatterns = [
    path("repositories", AllRepositoryListApi.as_view(), name="api-all-repositories"),
    path("projects/<str:project_name>/repositories", RepositoryListApi.as_view(), name="api-repositories"),
    path(_REPOSITORY, RepositoryApi.as_view(), name="api-repository"),
]
