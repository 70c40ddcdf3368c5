"""URLs of the OCI distribution API. Repository names contain slashes, so these are regexes
anchored at the end: the last path components decide the endpoint."""

from __future__ import annotations

from django.urls import re_path

from images.registry import views

# Most frequent first: Django tries the patterns in order.
urlpatterns = [
    re_path(
        r"^v2/(?P<name>.+)/manifests/(?P<reference>[^/]+)$",
        views.ManifestView.as_view(),
        name="registry-manifest",
    ),
    re_path(
        r"^v2/(?P<name>.+)/blobs/uploads/?$", views.UploadStartView.as_view(), name="registry-upload-start"
    ),
    re_path(
        r"^v2/(?P<name>.+)/blobs/uploads/(?P<upload_id>[^/]+)$",
        views.UploadView.as_view(),
        name="registry-upload",
    ),
    re_path(r"^v2/(?P<name>.+)/blobs/(?P<digest>[^/]+)$", views.BlobView.as_view(), name="registry-blob"),
    re_path(r"^v2/?$", views.BaseView.as_view(), name="registry-base"),
    re_path(r"^service/token/?$", views.TokenView.as_view(), name="registry-token"),
    re_path(r"^v2/_catalog$", views.CatalogView.as_view(), name="registry-catalog"),
    re_path(r"^v2/(?P<name>.+)/tags/list$", views.TagsListView.as_view(), name="registry-tags"),
    re_path(
        r"^v2/(?P<name>.+)/referrers/(?P<digest>[^/]+)$",
        views.ReferrersView.as_view(),
        name="registry-referrers",
    ),
    re_path(r"^v2/", views.NotFoundView.as_view(), name="registry-not-found"),
]
