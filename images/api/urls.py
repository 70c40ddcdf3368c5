"""URLs of the content management API, mounted under /api/v2.0/ (harborpy/urls.py).

Each resource module owns its `urlpatterns`; Harbor's paths carry no trailing slash.
"""

from __future__ import annotations

from images.api import artifacts, labels, projects, repositories, search, statistics, tags

urlpatterns = [
    *projects.urlpatterns,
    *repositories.urlpatterns,
    *artifacts.urlpatterns,
    *tags.urlpatterns,
    *labels.urlpatterns,
    *search.urlpatterns,
    *statistics.urlpatterns,
]
