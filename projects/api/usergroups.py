"""/usergroups: Harbor's user groups (LDAP, HTTP, OIDC), managed by system admins, searched by anyone.

A group's `id` is its auth.Group's id: the one project memberships use (member_group.id).
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from harborpy.apiviews import HarborApi
from harborpy.errors import Denied, NotFound
from projects.api.paths import id_parameter
from projects.models import UserGroup
from projects.permissions import AUTH_MODE_LDAP, auth_mode, can_manage_users, can_search_users
from projects.services.usergroups import usergroup_create, usergroup_delete, usergroup_update


class UserGroupOutputSerializer(serializers.ModelSerializer):
    """Harbor's UserGroup."""

    id = serializers.IntegerField(source="group_id")
    group_name = serializers.CharField(source="group.name")

    class Meta:
        model = UserGroup
        fields = ["id", "group_name", "group_type", "ldap_group_dn"]


class UserGroupSearchItemSerializer(serializers.ModelSerializer):
    """Harbor's UserGroupSearchItem."""

    id = serializers.IntegerField(source="group_id")
    group_name = serializers.CharField(source="group.name")

    class Meta:
        model = UserGroup
        fields = ["id", "group_name", "group_type"]


class UserGroupCreateInputSerializer(serializers.Serializer):
    group_name = serializers.CharField(max_length=255)
    group_type = serializers.IntegerField(min_value=1, max_value=3)
    ldap_group_dn = serializers.CharField(max_length=1024, required=False, allow_blank=True, default="")


class UserGroupUpdateInputSerializer(serializers.Serializer):
    """Harbor changes a group's name only; the type and DN stay what they are."""

    group_name = serializers.CharField(max_length=255)


class UserGroupListQuerySerializer(serializers.Serializer):
    group_name = serializers.CharField(required=False, allow_blank=True, default="")
    ldap_group_dn = serializers.CharField(required=False, allow_blank=True, default="")


class UserGroupSearchQuerySerializer(serializers.Serializer):
    groupname = serializers.CharField(max_length=255)


def _groups() -> QuerySet[UserGroup]:
    return UserGroup.objects.select_related("group")


def _require_admin(request: Request) -> None:
    if not can_manage_users(request.user):
        raise Denied(_("Only system admins may manage user groups."))


class UserGroupListApi(HarborApi):
    """GET: the groups (system admins). POST: create one (system admins)."""

    @extend_schema(
        operation_id="listUserGroups",
        parameters=[
            OpenApiParameter("group_name", str, description="Fuzzy match on the group name."),
            OpenApiParameter("ldap_group_dn", str, description="The LDAP group's DN."),
        ],
        responses={200: UserGroupOutputSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        _require_admin(request)
        query = self.validated(UserGroupListQuerySerializer, request.query_params)
        groups = _groups()
        if query["group_name"]:
            groups = groups.filter(group__name__icontains=query["group_name"])
        if auth_mode() == AUTH_MODE_LDAP:  # as Harbor: under LDAP, only LDAP groups
            groups = groups.filter(group_type=UserGroup.Type.LDAP)
        if query["ldap_group_dn"]:
            groups = groups.filter(ldap_group_dn__iexact=query["ldap_group_dn"])
        return self.paginate(groups.order_by("group_id"), UserGroupOutputSerializer)

    @extend_schema(
        operation_id="createUserGroup",
        request=UserGroupCreateInputSerializer,
        responses={201: OpenApiResponse(description="Created; Location names the new group.")},
    )
    def post(self, request: Request) -> Response:
        _require_admin(request)
        data = self.validated(UserGroupCreateInputSerializer, request.data)
        usergroup = usergroup_create(
            actor=request.user,
            name=data["group_name"],
            group_type=data["group_type"],
            ldap_group_dn=data["ldap_group_dn"],
            address=self.address,
        )
        return Response(status=201, headers={"Location": f"{request.path}/{usergroup.group_id}"})


class UserGroupSearchApi(HarborApi):
    """Groups whose name contains `groupname`, for anyone logged in (to add them as members)."""

    @extend_schema(
        operation_id="searchUserGroups",
        parameters=[OpenApiParameter("groupname", str, required=True)],
        responses={200: UserGroupSearchItemSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        if not can_search_users(request.user):
            raise Denied(_("You may not search user groups."))
        query = self.validated(UserGroupSearchQuerySerializer, request.query_params)
        groups = _groups().filter(group__name__icontains=query["groupname"]).order_by("group__name", "pk")
        return self.paginate(groups, UserGroupSearchItemSerializer)


class UserGroupDetailApi(HarborApi):
    """One group (system admins): read, rename, delete."""

    def target_group(self, group_id: int) -> UserGroup:
        _require_admin(self.request)
        usergroup = _groups().filter(group_id=group_id).first()
        if usergroup is None:
            raise NotFound(_("No user group with id %(id)s.") % {"id": group_id})
        return usergroup

    @extend_schema(
        operation_id="getUserGroup",
        parameters=[id_parameter("group_id")],
        responses={200: UserGroupOutputSerializer},
    )
    def get(self, request: Request, group_id: int) -> Response:
        return Response(UserGroupOutputSerializer(self.target_group(group_id)).data)

    @extend_schema(
        operation_id="updateUserGroup",
        parameters=[id_parameter("group_id")],
        request=UserGroupUpdateInputSerializer,
        responses={200: None},
    )
    def put(self, request: Request, group_id: int) -> Response:
        usergroup = self.target_group(group_id)
        data = self.validated(UserGroupUpdateInputSerializer, request.data)
        usergroup_update(
            usergroup=usergroup, actor=request.user, name=data["group_name"], address=self.address
        )
        return Response(status=200)

    @extend_schema(
        operation_id="deleteUserGroup", parameters=[id_parameter("group_id")], responses={200: None}
    )
    def delete(self, request: Request, group_id: int) -> Response:
        usergroup_delete(usergroup=self.target_group(group_id), actor=request.user, address=self.address)
        return Response(status=200)


urlpatterns = [
    path("usergroups", UserGroupListApi.as_view(), name="api-usergroups"),
    path("usergroups/search", UserGroupSearchApi.as_view(), name="api-usergroup-search"),
    path("usergroups/<id:group_id>", UserGroupDetailApi.as_view(), name="api-usergroup"),
]
