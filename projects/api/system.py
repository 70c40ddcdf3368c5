"""`ping`, `health`, `systeminfo` and `systeminfo/volumes`: what a client asks before anything else."""

from __future__ import annotations

import shutil
from importlib.metadata import PackageNotFoundError, version
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from harborpy.apiviews import HarborApi
from harborpy.errors import Denied
from harborpy.health import overall_health
from projects.permissions import auth_mode, can_manage_configurations, system_settings


class PlainTextRenderer(BaseRenderer):
    media_type = "text/plain"
    format = "txt"
    charset = "utf-8"

    def render(
        self, data: object, accepted_media_type: str | None = None, renderer_context: object = None
    ) -> bytes:
        return str(data).encode(self.charset)


def harbor_version() -> str:
    """harborpy's version in Harbor's form (`v<version>`)."""
    try:
        return "v" + version("harborpy")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "v0.0.0"


class PingApi(HarborApi):
    """The API process is up (whatever the state of what it depends on)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    renderer_classes = [PlainTextRenderer]

    @extend_schema(operation_id="getPing", responses={200: str})
    def get(self, request: Request) -> Response:
        return Response("Pong", content_type="text/plain; charset=utf-8")


class ComponentHealthSerializer(serializers.Serializer):
    """Harbor's ComponentHealthStatus (`error` only when unhealthy)."""

    name = serializers.CharField()
    status = serializers.CharField()
    error = serializers.CharField(required=False)


class OverallHealthSerializer(serializers.Serializer):
    """Harbor's OverallHealthStatus."""

    status = serializers.CharField()
    components = ComponentHealthSerializer(many=True)


class HealthApi(HarborApi):
    """Harbor's OverallHealthStatus from real checks; 200 whether healthy or not, as in Harbor."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    renderer_classes = [JSONRenderer]

    @extend_schema(
        operation_id="getHealth",
        responses={200: OverallHealthSerializer},
    )
    def get(self, request: Request) -> Response:
        return Response(overall_health(), headers={"Cache-Control": "no-store"})


class GeneralInfoSerializer(serializers.Serializer):
    """Harbor's GeneralInfo (an anonymous caller gets the first four fields only)."""

    auth_mode = serializers.CharField()
    primary_auth_mode = serializers.BooleanField()
    self_registration = serializers.BooleanField()
    harbor_version = serializers.CharField()
    current_time = serializers.DateTimeField(required=False)
    external_url = serializers.CharField(required=False)
    registry_url = serializers.CharField(required=False)
    project_creation_restriction = serializers.CharField(required=False)
    has_ca_root = serializers.BooleanField(required=False)
    read_only = serializers.BooleanField(required=False)
    with_notary = serializers.BooleanField(required=False)
    registry_storage_provider_name = serializers.CharField(required=False)
    notification_enable = serializers.BooleanField(required=False)


class SystemInfoApi(HarborApi):
    """General information; logged-in callers also get the registry's address and the policies."""

    permission_classes = [AllowAny]

    @extend_schema(operation_id="getSystemInfo", responses={200: GeneralInfoSerializer})
    def get(self, request: Request) -> Response:
        current = system_settings()
        info: dict[str, Any] = {
            "auth_mode": auth_mode(),
            "primary_auth_mode": False,
            "self_registration": current.self_registration,
            "harbor_version": harbor_version(),
        }
        if request.user.is_authenticated:
            external_url = settings.EXTERNAL_URL or request.build_absolute_uri("/").rstrip("/")
            info.update(
                {
                    "current_time": timezone.now(),
                    "external_url": external_url,
                    "registry_url": urlsplit(external_url).netloc,
                    "project_creation_restriction": current.project_creation_restriction,
                    "has_ca_root": False,
                    "read_only": False,
                    "with_notary": False,  # older Harbor clients still read it
                    "registry_storage_provider_name": "s3" if settings.S3_ENABLED else "filesystem",
                    "notification_enable": False,
                }
            )
        return Response(GeneralInfoSerializer(info).data)


class StorageSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    free = serializers.IntegerField()


class SystemVolumesSerializer(serializers.Serializer):
    """Harbor's SystemInfo."""

    storage = StorageSerializer(many=True)


class SystemVolumesApi(HarborApi):
    """Total and free bytes of the disk under the data directory (system admins)."""

    @extend_schema(operation_id="getVolumes", responses={200: SystemVolumesSerializer})
    def get(self, request: Request) -> Response:
        if not can_manage_configurations(request.user):
            raise Denied(_("Only system admins may see the volumes."))
        usage = shutil.disk_usage(settings.DATA_DIR)
        return Response(
            SystemVolumesSerializer({"storage": [{"total": usage.total, "free": usage.free}]}).data
        )


urlpatterns = [
    path("ping", PingApi.as_view(), name="api-ping"),
    path("health", HealthApi.as_view(), name="health"),
    path("systeminfo", SystemInfoApi.as_view(), name="api-systeminfo"),
    path("systeminfo/volumes", SystemVolumesApi.as_view(), name="api-systeminfo-volumes"),
]
