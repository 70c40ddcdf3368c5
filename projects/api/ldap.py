"""Harbor's /ldap/ API: test a configuration, search the directory, import its users (system admins only).

When LDAP is not configured, the searches and the import answer 412; `/ldap/ping` still tests the
configuration it is given, as Harbor lets an admin try one before switching to it. A directory
that cannot be reached, or refuses the service account, is a 503 with the reason, never a 500.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from harborpy.apiviews import HarborApi
from harborpy.errors import NotFound
from projects.errors import LdapNotConfigured, LdapNotInstalled
from projects.models import UserGroup
from projects.permissions import can_manage_ldap


class CanManageLdap(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return can_manage_ldap(request.user)


class LdapConfSerializer(serializers.Serializer):
    """Harbor's LdapConf: the fields of the configuration to try; blank ones keep the configured value."""

    ldap_url = serializers.CharField(required=False, allow_blank=True, max_length=2048)
    ldap_search_dn = serializers.CharField(required=False, allow_blank=True, max_length=1024)
    ldap_search_password = serializers.CharField(
        required=False, allow_blank=True, max_length=1024, trim_whitespace=False
    )
    ldap_base_dn = serializers.CharField(required=False, allow_blank=True, max_length=1024)
    ldap_filter = serializers.CharField(required=False, allow_blank=True, max_length=1024)
    ldap_uid = serializers.CharField(required=False, allow_blank=True, max_length=255)
    ldap_scope = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=2)
    ldap_connection_timeout = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=300
    )
    ldap_verify_cert = serializers.BooleanField(required=False, allow_null=True)

    def validate_ldap_url(self, value: str) -> str:
        urls = []
        for url in value.split():
            if "://" not in url:
                url = "ldap://" + url  # Harbor accepts host:port
            if not url.startswith(("ldap://", "ldaps://")):
                raise serializers.ValidationError(
                    gettext_lazy("An LDAP URL starts with ldap:// or ldaps://.")
                )
            urls.append(url)
        return " ".join(urls)


class LdapPingResultSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    message = serializers.CharField()


class LdapUserSerializer(serializers.Serializer):
    username = serializers.CharField()
    realname = serializers.CharField()
    email = serializers.CharField()


class LdapGroupSerializer(serializers.Serializer):
    group_name = serializers.CharField(source="name")
    group_type = serializers.SerializerMethodField()
    ldap_group_dn = serializers.CharField(source="dn")

    def get_group_type(self, group: Any) -> int:
        return int(UserGroup.Type.LDAP)


class LdapImportUsersSerializer(serializers.Serializer):
    ldap_uid_list = serializers.ListField(
        child=serializers.CharField(allow_blank=True, max_length=255), max_length=1000
    )


class LdapFailedImportUserSerializer(serializers.Serializer):
    uid = serializers.CharField()
    error = serializers.CharField()


class LdapPingApi(HarborApi):
    """Try an LDAP configuration (the system's, changed by the body's fields): connect and bind."""

    permission_classes = [CanManageLdap]

    @extend_schema(
        operation_id="pingLdap", request=LdapConfSerializer, responses={200: LdapPingResultSerializer}
    )
    def post(self, request: Request) -> Response:
        try:
            from projects.ldap import LdapConfig, ldap_ping  # python-ldap is an optional extra
        except ImportError:
            raise LdapNotInstalled() from None
        conf = self.validated(LdapConfSerializer, request.data or {})
        success, message = ldap_ping(LdapConfig.from_settings(required=False).with_harbor_conf(conf))
        return Response(LdapPingResultSerializer({"success": success, "message": message}).data)


def _ldap() -> Any:
    """projects.ldap, or 412 when LDAP is off (python-ldap, an optional extra, may not be installed)."""
    if not settings.LDAP_ENABLED:
        raise LdapNotConfigured()
    from projects import ldap

    return ldap


class LdapUserSearchApi(HarborApi):
    """People of the directory by uid (all of them without `username`)."""

    permission_classes = [CanManageLdap]

    @extend_schema(
        operation_id="searchLdapUser",
        parameters=[OpenApiParameter("username", str, required=False, description="Registered user ID")],
        responses={200: LdapUserSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        users = _ldap().ldap_users_search(username=request.query_params.get("username", "").strip())
        return Response(LdapUserSerializer(users, many=True).data)


class LdapGroupSearchApi(HarborApi):
    """An LDAP group by name or by DN (under the group base DN); 404 when there is none."""

    permission_classes = [CanManageLdap]

    @extend_schema(
        operation_id="searchLdapGroup",
        parameters=[
            OpenApiParameter("groupname", str, required=False, description="Ldap group name"),
            OpenApiParameter("groupdn", str, required=False, description="The LDAP group DN"),
        ],
        responses={200: LdapGroupSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        name = request.query_params.get("groupname", "").strip()
        dn = request.query_params.get("groupdn", "").strip()
        groups = _ldap().ldap_groups_search(name=name, dn=dn)
        if not groups:
            raise NotFound(_("No LDAP group called %(name)s or at %(dn)s.") % {"name": name, "dn": dn})
        return Response(LdapGroupSerializer(groups, many=True).data)


class LdapUserImportApi(HarborApi):
    """Create the harborpy users of LDAP uids before their first login; 404 lists those that failed."""

    permission_classes = [CanManageLdap]

    @extend_schema(
        operation_id="importLdapUser",
        request=LdapImportUsersSerializer,
        responses={200: None, 404: LdapFailedImportUserSerializer(many=True)},
    )
    def post(self, request: Request) -> Response:
        _ldap()
        from projects.services.ldap import ldap_users_import

        data = self.validated(LdapImportUsersSerializer, request.data)
        failures = ldap_users_import(uids=data["ldap_uid_list"], actor=request.user, address=self.address)
        if failures:
            return Response(LdapFailedImportUserSerializer(failures, many=True).data, status=404)
        return Response(status=200)


urlpatterns = [
    path("ldap/ping", LdapPingApi.as_view(), name="api-ldap-ping"),
    path("ldap/users/search", LdapUserSearchApi.as_view(), name="api-ldap-users-search"),
    path("ldap/users/import", LdapUserImportApi.as_view(), name="api-ldap-users-import"),
    path("ldap/groups/search", LdapGroupSearchApi.as_view(), name="api-ldap-groups-search"),
]
