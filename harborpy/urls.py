"""Root URLconf: the registry (/v2/, /service/token), the REST API (/api/v2.0/), the admin site."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from harborpy import views
from images.registry.urls import urlpatterns as registry_urlpatterns
from projects.forms import AdminLoginForm

admin.site.login_form = AdminLoginForm

urlpatterns = [
    # First and not behind include(): every registry request resolves through this list.
    *registry_urlpatterns,
    path("admin/", admin.site.urls),
    path("api/v2.0/health", views.health, name="health"),
    path("api/v2.0/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v2.0/", include("projects.api.urls")),
    path("api/v2.0/", include("images.api.urls")),
]

handler400 = "harborpy.views.bad_request"
handler403 = "harborpy.views.permission_denied"
handler404 = "harborpy.views.page_not_found"
handler500 = "harborpy.views.server_error"
