"""URLs of the identity and access API, mounted under /api/v2.0/ (harborpy/urls.py).

Each resource module owns its `urlpatterns`; Harbor's paths carry no trailing slash.
"""

from __future__ import annotations

from projects.api import members, projects, robots, system

urlpatterns = [
    *system.urlpatterns,
    *projects.urlpatterns,
    *members.urlpatterns,
    *robots.urlpatterns,
]
