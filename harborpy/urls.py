"""Root URLconf: the registry (/v2/, /service/token), the admin site, health."""

from __future__ import annotations

from django.contrib import admin
from django.urls import path

from harborpy import views
from images.registry.urls import urlpatterns as registry_urlpatterns

urlpatterns = [
    # First and not behind include(): every registry request resolves through this list.
    *registry_urlpatterns,
    path("admin/", admin.site.urls),
    path("api/v2.0/health", views.health, name="health"),
]

handler400 = "harborpy.views.bad_request"
handler403 = "harborpy.views.permission_denied"
handler404 = "harborpy.views.page_not_found"
handler500 = "harborpy.views.server_error"
