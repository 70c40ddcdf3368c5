"""Tags of an artifact: list, add, remove."""

from __future__ import annotations

from urllib.parse import quote

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from harborpy.query import Field, query_filter
from images.api.base import ContentApi, encode_repository_name, ordered
from images.api.serializers import NewTagSerializer, TagSerializer
from images.selectors import tag_list
from images.services.tags import tag_create, tag_delete
from projects.permissions import Action

QUERY_FIELDS = {"name": Field("name"), "push_time": Field("updated_at", "time"), "id": Field("id", "int")}
SORT_FIELDS = {"id": "id", "name": "name", "push_time": "updated_at"}
DEFAULT_SORT = ["-updated_at", "-id"]


class TagListApi(ContentApi):
    """GET (list) and POST (add) .../artifacts/{reference}/tags."""

    required_actions = {"POST": Action.PUSH}

    @extend_schema(
        operation_id="listTags",
        parameters=[
            OpenApiParameter("q", str, description="Harbor query: name=~part, push_time=[a~b]"),
            OpenApiParameter("sort", str, description="e.g. name or -push_time (the default)"),
        ],
        responses=TagSerializer(many=True),
    )
    def get(self, request: Request, project_name: str, repository_name: str, reference: str) -> Response:
        artifact = self.artifact()
        tags = query_filter(tag_list(artifact=artifact), request.query_params.get("q", ""), QUERY_FIELDS)
        tags = ordered(tags, request.query_params.get("sort", ""), SORT_FIELDS, DEFAULT_SORT)
        return self.paginate(tags, TagSerializer)

    @extend_schema(operation_id="createTag", request=NewTagSerializer, responses={201: None})
    def post(self, request: Request, project_name: str, repository_name: str, reference: str) -> Response:
        data = self.validated(NewTagSerializer, request.data)
        artifact = self.artifact()
        tag = tag_create(artifact=artifact, name=data["name"], actor=request.user, address=self.address)
        location = (
            f"/api/v2.0/projects/{self.project.name}/repositories/{encode_repository_name(self.repository_name)}"
            f"/artifacts/{quote(reference, safe=':')}/tags/{tag.name}"
        )
        return Response(status=201, headers={"Location": location})


class TagApi(ContentApi):
    """DELETE .../artifacts/{reference}/tags/{tag_name}: the artifact stays."""

    required_actions = {"DELETE": Action.DELETE}

    @extend_schema(operation_id="deleteTag", responses={200: None})
    def delete(
        self, request: Request, project_name: str, repository_name: str, reference: str, tag_name: str
    ) -> Response:
        artifact = self.artifact()
        tag_delete(artifact=artifact, name=tag_name, actor=request.user, address=self.address)
        return Response(status=200)


_TAGS = "projects/<str:project_name>/repositories/<str:repository_name>/artifacts/<str:reference>/tags"

urlpatterns = [
    path(_TAGS, TagListApi.as_view(), name="api-tags"),
    path(f"{_TAGS}/<str:tag_name>", TagApi.as_view(), name="api-tag"),
]
