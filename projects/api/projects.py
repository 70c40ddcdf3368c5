"""Harbor's project resource: /projects, /projects/{project_name_or_id} and its `_deletable` state.

The summary (/projects/{project_name_or_id}/summary) needs the storage a project's blobs use, which
the images app computes: its view lives in images/api/projects.py so that projects never depends
on images, not even lazily.
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from harborpy.apiviews import HarborApi
from harborpy.errors import BadRequest, Denied, NotFound
from harborpy.query import INT64_MAX
from projects.api.scope import ProjectScopedApi, header_bool
from projects.models import UNLIMITED, Project, Role
from projects.permissions import Action, can_change_quota, can_create_project, is_system_admin
from projects.selectors import member_roles, project_exists, project_list
from projects.services.projects import project_create, project_delete, project_update

# current_user_role_id is the caller's strongest role, in Harbor's order of power.
_ROLE_POWER = [Role.PROJECT_ADMIN, Role.MAINTAINER, Role.DEVELOPER, Role.GUEST, Role.LIMITED_GUEST]


def _highest_role(roles: list[int]) -> int:
    return next((int(role) for role in _ROLE_POWER if role in roles), 0)


# --- Serializers ---------------------------------------------------------------------------------


class ProjectMetadataSerializer(serializers.Serializer):
    """ProjectMetadata: harborpy keeps `public`; Harbor's other keys (scanning, content trust,
    proxy cache) are accepted and ignored."""

    public = serializers.ChoiceField(choices=["true", "false"], required=False)


class ProjectReqSerializer(serializers.Serializer):
    """ProjectReq, for an update: the name, CVE allowlist and retention id are not changed here."""

    project_name = serializers.CharField(max_length=255, required=False)
    public = serializers.BooleanField(required=False, allow_null=True)
    metadata = ProjectMetadataSerializer(required=False)
    storage_limit = serializers.IntegerField(
        required=False, allow_null=True, min_value=UNLIMITED, max_value=INT64_MAX
    )
    registry_id = serializers.IntegerField(required=False, allow_null=True)


class ProjectCreateSerializer(ProjectReqSerializer):
    """ProjectReq, for a creation: the name is required."""

    project_name = serializers.CharField(max_length=255)


class CVEAllowlistSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    project_id = serializers.IntegerField()
    expires_at = serializers.IntegerField(allow_null=True)
    items = serializers.ListField(child=serializers.DictField())


class ProjectSerializer(serializers.Serializer):
    """Harbor's Project. The context holds `roles` (project id -> the caller's role ids) and `admin`."""

    project_id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    owner_id = serializers.IntegerField(allow_null=True)
    owner_name = serializers.SerializerMethodField()
    registry_id = serializers.SerializerMethodField()
    creation_time = serializers.DateTimeField(source="created_at")
    update_time = serializers.DateTimeField(source="updated_at")
    deleted = serializers.SerializerMethodField()
    togglable = serializers.SerializerMethodField()
    current_user_role_id = serializers.SerializerMethodField()
    current_user_role_ids = serializers.SerializerMethodField()
    repo_count = serializers.IntegerField()
    metadata = serializers.SerializerMethodField()
    cve_allowlist = serializers.SerializerMethodField()

    def _roles(self, project: Project) -> list[int]:
        return self.context["roles"].get(project.pk, [])

    def get_owner_name(self, project: Project) -> str:
        return project.owner.get_username() if project.owner is not None else ""

    def get_registry_id(self, project: Project) -> int | None:
        return None  # no proxy cache projects

    def get_deleted(self, project: Project) -> bool:
        return False

    def get_togglable(self, project: Project) -> bool:
        """Whether the caller may change the project's visibility (Harbor's UI hint)."""
        return self.context["admin"] or Role.PROJECT_ADMIN in self._roles(project)

    def get_current_user_role_id(self, project: Project) -> int:
        return _highest_role(self._roles(project))

    def get_current_user_role_ids(self, project: Project) -> list[int]:
        return self._roles(project)

    @extend_schema_field(CVEAllowlistSerializer)
    def get_cve_allowlist(self, project: Project) -> dict[str, Any]:
        """An empty allowlist: harborpy scans nothing, so nothing is allowed past a scan."""
        return {"id": 0, "project_id": project.pk, "expires_at": None, "items": []}

    @extend_schema_field(ProjectMetadataSerializer)
    def get_metadata(self, project: Project) -> dict[str, str]:
        return {"public": "true" if project.is_public else "false"}


class ProjectDeletableSerializer(serializers.Serializer):
    deletable = serializers.BooleanField()
    message = serializers.CharField()


def _public(data: dict[str, Any]) -> bool | None:
    """The requested visibility: metadata.public wins over the deprecated `public`, as in Harbor."""
    if "public" in data.get("metadata", {}):
        return data["metadata"]["public"] == "true"
    return data.get("public")


def _project_context(request: Request, projects: list[Project]) -> dict[str, Any]:
    return {
        "request": request,
        "roles": member_roles(principal=request.user, project_ids=[p.pk for p in projects]),
        "admin": is_system_admin(request.user),
    }


# --- Views ---------------------------------------------------------------------------------------


class _ReadsAreOpen(BasePermission):
    """Anyone may list projects (anonymous callers see public ones); the rest needs a login."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return request.method == "GET" or IsAuthenticated().has_permission(request, view)


class ProjectsApi(HarborApi):
    """List, check and create projects."""

    permission_classes = [_ReadsAreOpen]

    @extend_schema(
        operation_id="listProjects",
        parameters=[
            OpenApiParameter("q", str),
            OpenApiParameter("sort", str),
            OpenApiParameter("name", str),
            OpenApiParameter("public", bool),
            OpenApiParameter("owner", str),
            OpenApiParameter("with_detail", bool),
        ],
        responses={200: ProjectSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        for flag in ("public", "with_detail"):
            if params.get(flag) not in (None, "", "true", "false", "1", "0"):
                raise BadRequest(_("%(name)s must be true or false.") % {"name": flag})
        projects = project_list(
            principal=request.user,
            q=params.get("q", ""),
            sort=params.get("sort", ""),
            name=params.get("name", ""),
            owner=params.get("owner", ""),
            public=params["public"] in ("true", "1") if params.get("public") else None,
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(projects, request, view=self)
        data = ProjectSerializer(page, many=True, context=_project_context(request, page)).data
        return paginator.get_paginated_response(data)

    @extend_schema(
        operation_id="headProject",
        parameters=[OpenApiParameter("project_name", str, required=True)],
        responses={200: None, 404: None},
    )
    def head(self, request: Request) -> Response:
        """Whether a project of that name exists, private or not: what POST's 409 would say anyway."""
        name = request.query_params.get("project_name", "")
        if not name:
            raise BadRequest(_("project_name is required."))
        if not project_exists(name=name):
            raise NotFound(_("Project %(project)s not found.") % {"project": name})
        return Response(status=200)

    @extend_schema(
        operation_id="createProject",
        parameters=[OpenApiParameter("X-Resource-Name-In-Location", bool, OpenApiParameter.HEADER)],
        request=ProjectCreateSerializer,
        responses={201: None},
    )
    def post(self, request: Request) -> Response:
        if not can_create_project(request.user):
            raise Denied(_("Only system admins may create projects."))
        data = self.validated(ProjectCreateSerializer, request.data)
        if data.get("registry_id") is not None:
            raise BadRequest(_("Proxy cache projects are not supported."))
        storage_limit = data.get("storage_limit")
        if not storage_limit or not can_change_quota(request.user):
            storage_limit = UNLIMITED  # Harbor: only system admins choose a quota, 0 means the default
        project = project_create(
            name=data["project_name"],
            is_public=bool(_public(data)),
            owner=request.user,
            storage_limit=storage_limit,
            address=self.address,
        )
        name_in_location = header_bool(request, "X-Resource-Name-In-Location")
        location = f"{request.path.rstrip('/')}/{project.name if name_in_location else project.pk}"
        return Response(status=201, headers={"Location": location})

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        if request.method == "HEAD":
            response.data = None  # a HEAD answer has headers only, errors included
        return super().finalize_response(request, response, *args, **kwargs)


_NAME_OR_ID = [
    OpenApiParameter("project_name_or_id", str, OpenApiParameter.PATH),
    OpenApiParameter("X-Is-Resource-Name", bool, OpenApiParameter.HEADER),
]


class ProjectApi(ProjectScopedApi):
    """Read, update and delete one project."""

    permission_classes = [_ReadsAreOpen]

    @extend_schema(operation_id="getProject", parameters=_NAME_OR_ID, responses={200: ProjectSerializer})
    def get(self, request: Request, project_name_or_id: str) -> Response:
        project = self.project_for()
        return Response(ProjectSerializer(project, context=_project_context(request, [project])).data)

    @extend_schema(
        operation_id="updateProject",
        parameters=_NAME_OR_ID,
        request=ProjectReqSerializer,
        responses={200: None},
    )
    def put(self, request: Request, project_name_or_id: str) -> Response:
        project = self.project_for(Action.ADMIN)
        data = self.validated(ProjectReqSerializer, request.data)
        storage_limit = data.get("storage_limit")
        if storage_limit not in (None, project.storage_limit) and not can_change_quota(request.user):
            raise Denied(_("Only system admins may change a project's storage quota."))
        project_update(
            project=project,
            actor=request.user,
            is_public=_public(data),
            storage_limit=storage_limit,
            address=self.address,
        )
        return Response(status=200)

    @extend_schema(operation_id="deleteProject", parameters=_NAME_OR_ID, responses={200: None})
    def delete(self, request: Request, project_name_or_id: str) -> Response:
        project = self.project_for(Action.ADMIN)
        project_delete(project=project, actor=request.user, address=self.address)
        return Response(status=200)


class ProjectDeletableApi(ProjectScopedApi):
    """Whether the project may be deleted now, and why not."""

    @extend_schema(
        operation_id="getProjectDeletable",
        parameters=_NAME_OR_ID,
        responses={200: ProjectDeletableSerializer},
    )
    def get(self, request: Request, project_name_or_id: str) -> Response:
        project = self.project_for(Action.ADMIN)
        deletable = project.repo_count == 0
        message = "" if deletable else _("The project contains repositories: it cannot be deleted.")
        return Response(ProjectDeletableSerializer({"deletable": deletable, "message": message}).data)


urlpatterns = [
    path("projects", ProjectsApi.as_view(), name="api-projects"),
    path("projects/<str:project_name_or_id>", ProjectApi.as_view(), name="api-project"),
    path(
        "projects/<str:project_name_or_id>/_deletable",
        ProjectDeletableApi.as_view(),
        name="api-project-deletable",
    ),
]
