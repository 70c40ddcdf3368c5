"""Root URLconf: the registry (/v2/, /service/token), the admin site, health."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from harborpy import views

urlpatterns = [
    path("", include("images.registry.urls")),
    path("admin/", admin.site.urls),
    path("api/v2.0/health", views.health, name="health"),
]

handler400 = "harborpy.views.bad_request"
handler403 = "harborpy.views.permission_denied"
handler404 = "harborpy.views.page_not_found"
handler500 = "harborpy.views.server_error"
