"""URLs of the identity and access API, mounted under /api/v2.0/ (harborpy/urls.py).

Each resource module owns its `urlpatterns`; Harbor's paths carry no trailing slash.
"""

from __future__ import annotations

from projects.api import (
    audit_logs,
    configurations,
    ldap,
    members,
    projects,
    purge_audit,
    robots,
    system,
    usergroups,
    users,
)

urlpatterns = [
    *system.urlpatterns,
    *configurations.urlpatterns,
    *users.urlpatterns,
    *usergroups.urlpatterns,
    *ldap.urlpatterns,
    *audit_logs.urlpatterns,
    *purge_audit.urlpatterns,
    *projects.urlpatterns,
    *members.urlpatterns,
    *robots.urlpatterns,
]
