"""Root URLconf: the registry (/v2/, /service/token), the admin site, health."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import include, path


def health(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "healthy"})


urlpatterns = [
    path("", include("images.registry.urls")),
    path("admin/", admin.site.urls),
    path("api/v2.0/health", health, name="health"),
]
