"""Root URLconf: the registry (/v2/, /service/token), the REST API (/api/v2.0/), the admin site, the
language switch (/i18n/setlang/) and, last, the portal at /."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

import harborpy.openapi  # noqa: F401 - registers the schema's authentication descriptions
from images.registry.urls import urlpatterns as registry_urlpatterns

urlpatterns = [
    # First and not behind include(): every registry request resolves through this list.
    *registry_urlpatterns,
    path("admin/", admin.site.urls),
    path("api/v2.0/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v2.0/", include("projects.api.urls")),
    path("api/v2.0/", include("images.api.urls")),
    # Django's set_language view: POST language=en|zh-hans, remembered in a cookie.
    path("i18n/", include("django.conf.urls.i18n")),
    # Last: the portal's pages take whatever the paths above leave.
    path("", include("images.portal.urls")),
]

handler400 = "harborpy.views.bad_request"
handler403 = "harborpy.views.permission_denied"
handler404 = "harborpy.views.page_not_found"
handler500 = "harborpy.views.server_error"
