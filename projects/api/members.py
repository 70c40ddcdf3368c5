"""Harbor's project members: /projects/{project_name_or_id}/members[/{mid}].

Members are users or groups (Harbor's user groups: projects.UserGroup, 1:1 with a django Group).
Reading them takes Action.READ_MEMBERS (Guest and up), changing them Action.ADMIN; every change
goes through projects.services.members.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from harborpy.errors import BadRequest, NotFound
from harborpy.query import INT64_MAX
from projects.api.scope import ProjectScopedApi, integer_id
from projects.models import ProjectMember, Role, UserGroup
from projects.permissions import Action
from projects.selectors import member_get, member_list
from projects.services.members import (
    member_add,
    member_ldap_group_onboard,
    member_remove,
    member_set_role,
    member_user_onboard,
)

# Harbor's role names (its `role` table), as ProjectMemberEntity.role_name gives them.
HARBOR_ROLE_NAMES = {
    Role.PROJECT_ADMIN: "projectAdmin",
    Role.DEVELOPER: "developer",
    Role.GUEST: "guest",
    Role.MAINTAINER: "maintainer",
    Role.LIMITED_GUEST: "limitedGuest",
}


class ProjectMemberEntitySerializer(serializers.Serializer):
    """Harbor's ProjectMemberEntity: entity_type "u" (user, entity_id = user id) or "g" (group,
    entity_id = user group id)."""

    id = serializers.IntegerField(source="pk")
    project_id = serializers.IntegerField()
    entity_name = serializers.SerializerMethodField()
    role_name = serializers.SerializerMethodField()
    role_id = serializers.IntegerField(source="role")
    entity_id = serializers.SerializerMethodField()
    entity_type = serializers.SerializerMethodField()

    def get_entity_name(self, member: ProjectMember) -> str:
        return member.user.get_username() if member.user_id else member.group.name

    def get_role_name(self, member: ProjectMember) -> str:
        return HARBOR_ROLE_NAMES[Role(member.role)]

    def get_entity_id(self, member: ProjectMember) -> int | None:
        if member.user_id:
            return member.user_id
        harbor = getattr(member.group, "harbor", None)
        return harbor.pk if harbor is not None else None

    def get_entity_type(self, member: ProjectMember) -> str:
        return "u" if member.user_id else "g"


def _id_field() -> serializers.IntegerField:
    return serializers.IntegerField(required=False, min_value=1, max_value=INT64_MAX)


class UserEntitySerializer(serializers.Serializer):
    user_id = _id_field()
    username = serializers.CharField(required=False, max_length=150)


class UserGroupRefSerializer(serializers.Serializer):
    id = _id_field()
    group_name = serializers.CharField(required=False, max_length=150)
    group_type = serializers.ChoiceField(choices=UserGroup.Type.choices, required=False)
    ldap_group_dn = serializers.CharField(required=False, max_length=1024)


class ProjectMemberSerializer(serializers.Serializer):
    """Harbor's ProjectMember: a role and either member_user or member_group."""

    role_id = serializers.IntegerField(min_value=1, max_value=INT64_MAX)
    member_user = UserEntitySerializer(required=False)
    member_group = UserGroupRefSerializer(required=False)


class RoleRequestSerializer(serializers.Serializer):
    role_id = serializers.IntegerField(min_value=1, max_value=INT64_MAX)


def _member_entity(data: dict[str, Any], actor: Any, address: str | None) -> tuple[Any, Any]:
    """The (user, group) a ProjectMember request names, in Harbor's order of precedence: user id,
    group id, username, LDAP group DN, group name. With LDAP on, a username or group DN the
    directory knows is onboarded first, as Harbor does. Unknown ids are a 400, unknown names a 404
    (as Harbor answers when it cannot find the name to onboard)."""
    user_ref, group_ref = data.get("member_user", {}), data.get("member_group", {})
    users = get_user_model().objects
    groups = UserGroup.objects.select_related("group")
    if "user_id" in user_ref:
        user = users.filter(pk=user_ref["user_id"]).first()
        if user is None:
            raise BadRequest(_("User %(id)s not found.") % {"id": user_ref["user_id"]})
        return user, None
    if "id" in group_ref:
        found = groups.filter(pk=group_ref["id"]).first()
        if found is None:
            raise BadRequest(_("Group %(id)s not found.") % {"id": group_ref["id"]})
        return None, found.group
    if user_ref.get("username"):
        user = member_user_onboard(username=user_ref["username"], actor=actor, address=address)
        if user is None:
            raise NotFound(_("User %(name)s not found.") % {"name": user_ref["username"]})
        return user, None
    if group_ref.get("ldap_group_dn"):
        found = member_ldap_group_onboard(
            dn=group_ref["ldap_group_dn"], name=group_ref.get("group_name", ""), actor=actor
        )
        if found is None:
            raise NotFound(_("Group %(name)s not found.") % {"name": group_ref["ldap_group_dn"]})
        return None, found.group
    if group_ref.get("group_name"):
        candidates = groups.filter(group__name=group_ref["group_name"])
        if "group_type" in group_ref:
            candidates = candidates.filter(group_type=group_ref["group_type"])
        found = candidates.first()
        if found is None:
            raise NotFound(_("Group %(name)s not found.") % {"name": group_ref["group_name"]})
        return None, found.group
    raise BadRequest(_("Name a member_user or a member_group."))


_NAME_OR_ID = [
    OpenApiParameter("project_name_or_id", str, OpenApiParameter.PATH),
    OpenApiParameter("X-Is-Resource-Name", bool, OpenApiParameter.HEADER),
]
_MID = [*_NAME_OR_ID, OpenApiParameter("mid", int, OpenApiParameter.PATH)]


class ProjectMembersApi(ProjectScopedApi):
    """List and add the members of a project."""

    @extend_schema(
        operation_id="listProjectMembers",
        parameters=[*_NAME_OR_ID, OpenApiParameter("entityname", str)],
        responses={200: ProjectMemberEntitySerializer(many=True)},
    )
    def get(self, request: Request, project_name_or_id: str) -> Response:
        project = self.project_for(Action.READ_MEMBERS)
        members = member_list(project=project, entity_name=request.query_params.get("entityname", ""))
        return self.paginate(members, ProjectMemberEntitySerializer)

    @extend_schema(
        operation_id="createProjectMember",
        parameters=_NAME_OR_ID,
        request=ProjectMemberSerializer,
        responses={201: None},
    )
    def post(self, request: Request, project_name_or_id: str) -> Response:
        project = self.project_for(Action.ADMIN)
        data = self.validated(ProjectMemberSerializer, request.data)
        user, group = _member_entity(data, request.user, self.address)
        member = member_add(
            project=project,
            role=data["role_id"],
            user=user,
            group=group,
            actor=request.user,
            address=self.address,
        )
        return Response(status=201, headers={"Location": f"{request.path.rstrip('/')}/{member.pk}"})


class ProjectMemberApi(ProjectScopedApi):
    """Read, change the role of, and remove one member."""

    def _member(self, action: Action) -> ProjectMember:
        mid = integer_id(self.kwargs["mid"], "mid")  # a 400 for "abc" before revealing anything else
        project = self.project_for(action)
        member = member_get(project=project, pk=mid)
        if member is None:
            raise NotFound(_("Member %(mid)s not found.") % {"mid": mid})
        member.project = project
        return member

    @extend_schema(
        operation_id="getProjectMember", parameters=_MID, responses={200: ProjectMemberEntitySerializer}
    )
    def get(self, request: Request, project_name_or_id: str, mid: str) -> Response:
        return Response(ProjectMemberEntitySerializer(self._member(Action.READ_MEMBERS)).data)

    @extend_schema(
        operation_id="updateProjectMember",
        parameters=_MID,
        request=RoleRequestSerializer,
        responses={200: None},
    )
    def put(self, request: Request, project_name_or_id: str, mid: str) -> Response:
        member = self._member(Action.ADMIN)
        data = self.validated(RoleRequestSerializer, request.data)
        member_set_role(
            project=member.project,
            role=data["role_id"],
            user=member.user,
            group=member.group,
            actor=request.user,
            address=self.address,
        )
        return Response(status=200)

    @extend_schema(operation_id="deleteProjectMember", parameters=_MID, responses={200: None})
    def delete(self, request: Request, project_name_or_id: str, mid: str) -> Response:
        member_remove(member=self._member(Action.ADMIN), actor=request.user, address=self.address)
        return Response(status=200)


urlpatterns = [
    path(
        "projects/<str:project_name_or_id>/members", ProjectMembersApi.as_view(), name="api-project-members"
    ),
    path(
        "projects/<str:project_name_or_id>/members/<str:mid>",
        ProjectMemberApi.as_view(),
        name="api-project-member",
    ),
]
