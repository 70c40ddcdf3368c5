"""URLs of the registry content API, mounted under /api/v2.0/ (harborpy/urls.py)."""

from __future__ import annotations

from images.api import projects

urlpatterns = [
    *projects.urlpatterns,
]
