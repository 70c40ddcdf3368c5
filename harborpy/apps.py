"""The admin app with harborpy's own site (harborpy.admin_site.HarborAdminSite) as `admin.site`."""

from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


class HarborAdminConfig(AdminConfig):
    default_site = "harborpy.admin_site.HarborAdminSite"
