"""`ping`, `health` and `systeminfo`: what a client asks before anything else."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from harborpy.apiviews import HarborApi


class PlainTextRenderer(BaseRenderer):
    media_type = "text/plain"
    format = "txt"
    charset = "utf-8"

    def render(
        self, data: object, accepted_media_type: str | None = None, renderer_context: object = None
    ) -> bytes:
        return str(data).encode(self.charset)


class PingApi(HarborApi):
    """The API process is up (whatever the state of what it depends on)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    renderer_classes = [PlainTextRenderer]

    @extend_schema(operation_id="getPing", responses={200: str})
    def get(self, request: Request) -> Response:
        return Response("Pong", content_type="text/plain; charset=utf-8")


urlpatterns = [
    path("ping", PingApi.as_view(), name="api-ping"),
]
