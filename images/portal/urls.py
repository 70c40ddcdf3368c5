"""The portal's URLs, mounted at / after the registry, the API and the admin site (harborpy/urls.py).

A repository's path may have several components (`library/tools/jq`), so what follows it is set
apart by `/-/`: no component of a repository name can be `-` (the distribution spec's grammar),
so `projects/library/repositories/tools/jq/-/tags/1.7/delete/` cannot be read two ways.
"""

from __future__ import annotations

from django.contrib.auth.views import LogoutView
from django.urls import path, re_path

from images.portal import views

app_name = "portal"

_PROJECT = r"projects/(?P<project_name>[^/]+)/"
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REPOSITORY = _PROJECT + rf"repositories/(?P<repository_path>{_COMPONENT}(?:/{_COMPONENT})*)/"
_DIGEST = r"(?P<digest>[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+)"
_TAG = r"(?P<tag_name>[A-Za-z0-9_][A-Za-z0-9._-]{0,127})"

urlpatterns = [
    path("", views.project_list_view, name="projects"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("register/", views.register, name="register"),
    re_path(rf"^{_PROJECT}$", views.project_detail, name="project"),
    re_path(rf"^{_PROJECT}members/$", views.project_members, name="project-members"),
    re_path(rf"^{_PROJECT}logs/$", views.project_logs, name="project-logs"),
    re_path(rf"^{_REPOSITORY}-/artifacts/{_DIGEST}/$", views.artifact_detail, name="artifact"),
    re_path(rf"^{_REPOSITORY}-/artifacts/{_DIGEST}/delete/$", views.artifact_delete, name="artifact-delete"),
    re_path(rf"^{_REPOSITORY}-/tags/{_TAG}/delete/$", views.tag_delete, name="tag-delete"),
    re_path(rf"^{_REPOSITORY}$", views.repository_detail, name="repository"),
]
