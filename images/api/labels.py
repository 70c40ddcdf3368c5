"""Labels: global and project labels (list, create, read, change, delete), and an artifact's labels."""

from __future__ import annotations

from typing import Any

from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from harborpy.apiviews import HarborApi
from harborpy.errors import BadRequest, Denied, NotFound
from harborpy.query import Field, parse_query, query_filter, query_value
from images.api.base import ContentApi, ordered
from images.api.serializers import (
    LabelIdSerializer,
    LabelInputSerializer,
    LabelSerializer,
    LabelUpdateSerializer,
)
from images.models import Label
from images.selectors import label_get, label_list
from images.services.labels import (
    artifact_label_add,
    artifact_label_remove,
    label_create,
    label_delete,
    label_update,
)
from projects.models import Project
from projects.permissions import Action, can_manage_labels, projects_visible_to

QUERY_FIELDS = {
    "name": Field("name"),
    "scope": Field("scope"),
    "project_id": Field("project_id", "int"),
    "id": Field("id", "int"),
}
SORT_FIELDS = {"id": "id", "name": "name", "creation_time": "created_at", "update_time": "updated_at"}


def _visible_project(principal: Any, project_id: int) -> Project:
    project = projects_visible_to(principal).filter(pk=project_id).first()
    if project is None:
        raise NotFound(_("Project %(id)s not found.") % {"id": project_id})
    return project


def _visible_label(principal: Any, label_id: int) -> Label:
    label = label_get(label_id=label_id)
    if label.project_id is not None:
        _visible_project(principal, label.project_id)
    return label


def _require_manage(principal: Any, project: Project | None) -> None:
    if not can_manage_labels(principal, project):
        raise Denied(_("You are not allowed to manage these labels."))


class LabelListApi(HarborApi):
    """GET /labels (scope=g, or scope=p&project_id=N) and POST /labels."""

    @extend_schema(
        operation_id="ListLabels",
        parameters=[
            OpenApiParameter("q", str, description="Harbor query: name=~part, scope, project_id"),
            OpenApiParameter("sort", str),
            OpenApiParameter("name", str, description="part of the label name"),
            OpenApiParameter("scope", str, enum=["g", "p"]),
            OpenApiParameter("project_id", int, description="required with scope=p"),
        ],
        responses=LabelSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        q = params.get("q", "")
        terms = parse_query(q)
        scope = params.get("scope") or (terms["scope"].values[0] if "scope" in terms else "g")
        if scope not in {"g", "p"}:
            raise BadRequest(_("scope must be g (global) or p (project)."))
        projects = None
        if scope == "p":
            raw = params.get("project_id") or (terms["project_id"].values[0] if "project_id" in terms else "")
            if not raw:
                raise BadRequest(_("project_id is required with scope=p."))
            projects = [_visible_project(request.user, query_value(raw, "int"))]
        labels = query_filter(label_list(projects=projects, global_labels=scope == "g"), q, QUERY_FIELDS)
        if name := params.get("name"):
            labels = labels.filter(name__icontains=name)
        labels = ordered(labels, params.get("sort", ""), SORT_FIELDS, ["name"])
        return self.paginate(labels, LabelSerializer)

    @extend_schema(operation_id="CreateLabel", request=LabelInputSerializer, responses={201: None})
    def post(self, request: Request) -> Response:
        data = self.validated(LabelInputSerializer, request.data)
        project = None
        if data["scope"] == "p":
            if not data.get("project_id"):
                raise BadRequest(_("project_id is required for a project label."))
            project = _visible_project(request.user, data["project_id"])
        _require_manage(request.user, project)
        label = label_create(
            name=data["name"],
            description=data["description"],
            color=data["color"],
            scope=data["scope"],
            project=project,
            actor=request.user,
            address=self.address,
        )
        return Response(status=201, headers={"Location": f"/api/v2.0/labels/{label.pk}"})


class LabelApi(HarborApi):
    """GET, PUT and DELETE /labels/{label_id}."""

    @extend_schema(operation_id="GetLabelByID", responses=LabelSerializer)
    def get(self, request: Request, label_id: int) -> Response:
        return Response(LabelSerializer(_visible_label(request.user, label_id)).data)

    @extend_schema(operation_id="UpdateLabel", request=LabelUpdateSerializer, responses={200: None})
    def put(self, request: Request, label_id: int) -> Response:
        data = self.validated(LabelUpdateSerializer, request.data)
        label = _visible_label(request.user, label_id)
        _require_manage(request.user, label.project)
        label_update(label=label, actor=request.user, address=self.address, **data)
        return Response(status=200)

    @extend_schema(operation_id="DeleteLabel", responses={200: None})
    def delete(self, request: Request, label_id: int) -> Response:
        label = _visible_label(request.user, label_id)
        _require_manage(request.user, label.project)
        label_delete(label=label, actor=request.user, address=self.address)
        return Response(status=200)


class ArtifactLabelListApi(ContentApi):
    """POST .../artifacts/{reference}/labels: add a label (its id) to the artifact; Developer or above."""

    required_actions = {"POST": Action.PUSH}

    @extend_schema(operation_id="addLabel", request=LabelIdSerializer, responses={200: None})
    def post(self, request: Request, project_name: str, repository_name: str, reference: str) -> Response:
        data = self.validated(LabelIdSerializer, request.data)
        artifact = self.artifact()
        label = label_get(label_id=data["id"])
        artifact_label_add(artifact=artifact, label=label, actor=request.user, address=self.address)
        return Response(status=200)


class ArtifactLabelApi(ContentApi):
    """DELETE .../artifacts/{reference}/labels/{label_id}: remove the label from the artifact."""

    required_actions = {"DELETE": Action.PUSH}

    @extend_schema(operation_id="removeLabel", responses={200: None})
    def delete(
        self, request: Request, project_name: str, repository_name: str, reference: str, label_id: int
    ) -> Response:
        artifact = self.artifact()
        label = label_get(label_id=label_id)
        artifact_label_remove(artifact=artifact, label=label, actor=request.user, address=self.address)
        return Response(status=200)


_LABELS = "projects/<str:project_name>/repositories/<str:repository_name>/artifacts/<str:reference>/labels"

urlpatterns = [
    path("labels", LabelListApi.as_view(), name="api-labels"),
    path("labels/<int:label_id>", LabelApi.as_view(), name="api-label"),
    path(_LABELS, ArtifactLabelListApi.as_view(), name="api-artifact-labels"),
    path(f"{_LABELS}/<int:label_id>", ArtifactLabelApi.as_view(), name="api-artifact-label"),
]
