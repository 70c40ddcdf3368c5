"""The admin site for registry content: repositories, artifacts, tags and blobs.

Content is pushed by registry clients, never typed into a form: here it is listed, inspected and
deleted. A staff user sees the content of the projects its roles cover; deleting artifacts and tags
takes the DELETE action (Maintainers and Project Admins, as in Harbor) and goes through
images.services.manifests.manifest_delete, audited like a `DELETE /v2/.../manifests/...`. Blobs
are shared by every project that links them: system admins only, and never deleted here (garbage
collection does that).
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import F, Prefetch, Q, QuerySet
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from harborpy.admin_options import ReadOnlyAdmin, ReadOnlyInline, client_address
from images import media_types
from images.models import Artifact, Blob, Label, Repository, Tag
from images.selectors import project_storage_usage
from images.services.labels import label_create, label_delete, label_update
from images.services.manifests import manifest_delete
from projects.admin import ProjectAdmin, ProjectFilter, ProjectScopedAdmin, granted
from projects.models import Project
from projects.permissions import Action, can_manage_labels, can_read_blobs, is_system_admin, projects_granting

# A digest is shown as its algorithm and this many hex digits (the full digest in the tooltip).
DIGEST_SHOWN = 12
# Config media types of container images: such an artifact is shown as an image.
IMAGE_CONFIGS = (
    "application/vnd.docker.container.image.v1+json",
    "application/vnd.oci.image.config.v1+json",
)


def short_digest(digest: str) -> str:
    algorithm, _sep, hex_digits = digest.partition(":")
    return format_html('<span title="{}">{}:{}</span>', digest, algorithm, hex_digits[:DIGEST_SHOWN])


@admin.register(Repository)
class RepositoryAdmin(ProjectScopedAdmin):
    project_field = "project"
    view_action = Action.PULL

    list_display = ["name", "project", "artifact_list", "pull_count", "created_at", "updated_at"]
    list_select_related = ["project"]
    list_filter = [ProjectFilter]
    search_fields = ["name"]
    ordering = ["name"]
    fields = ["name", "project", "description", "pull_count", "created_at", "updated_at"]
    readonly_fields = fields

    @admin.display(description=_("artifacts"))
    def artifact_list(self, repository: Repository) -> str:
        url = reverse("admin:images_artifact_changelist", current_app=self.admin_site.name)
        return format_html('<a href="{}?{}">{}</a>', url, urlencode({"q": repository.name}), _("artifacts"))


class TagInline(ReadOnlyInline):
    model = Tag
    fk_name = "artifact"
    fields = ["name", "updated_at"]
    readonly_fields = fields
    extra = 0
    verbose_name_plural = _("tags")


@admin.register(Artifact)
class ArtifactAdmin(ProjectScopedAdmin):
    project_field = "repository__project"
    view_action = Action.PULL
    delete_action = Action.DELETE

    list_display = [
        "digest_short",
        "repository",
        "tag_names",
        "size_shown",
        "kind",
        "pushed_at",
        "pull_count",
    ]
    list_select_related = ["repository"]
    list_filter = [ProjectFilter]
    # Exact or prefix matches: a repository's artifacts, a digest, a tag.
    search_fields = ["^digest", "=repository__name", "=tags__name"]
    search_help_text = _("A repository name, a tag or the beginning of a digest.")
    ordering = ["-pk"]
    fields = [
        "repository",
        "digest",
        "tag_names",
        "media_type",
        "artifact_type",
        "config_media_type",
        "subject_digest",
        "size_shown",
        "annotations",
        "pushed_at",
        "pulled_at",
        "pull_count",
        "manifest_shown",
    ]
    readonly_fields = fields
    inlines = [TagInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Artifact]:
        tags = Tag.objects.only("name", "artifact_id").order_by("name")
        # The manifest (up to 4 MiB each) is read only on the artifact's own page.
        return (
            super().get_queryset(request).defer("manifest").prefetch_related(Prefetch("tags", queryset=tags))
        )

    @admin.display(description=_("digest"), ordering="digest")
    def digest_short(self, artifact: Artifact) -> str:
        return short_digest(artifact.digest)

    @admin.display(description=_("tags"))
    def tag_names(self, artifact: Artifact) -> str:
        return ", ".join(tag.name for tag in artifact.tags.all())

    @admin.display(description=_("size"), ordering="size")
    def size_shown(self, artifact: Artifact) -> str:
        return filesizeformat(artifact.size)

    @admin.display(description=_("type"))
    def kind(self, artifact: Artifact) -> str:
        if artifact.media_type in media_types.INDEXES:
            name = _("image index")
        elif artifact.artifact_type or artifact.config_media_type not in ("", *IMAGE_CONFIGS):
            name = artifact.artifact_type or artifact.config_media_type
        elif artifact.media_type in media_types.IMAGE_MANIFESTS:
            name = _("image")
        else:
            name = artifact.media_type
        return format_html('<span title="{}">{}</span>', artifact.media_type, name)

    @admin.display(description=_("manifest"))
    def manifest_shown(self, artifact: Artifact) -> str:
        raw = bytes(artifact.manifest)
        try:
            text = json.dumps(json.loads(raw), indent=2, sort_keys=True)
        except ValueError:
            text = raw.decode(errors="replace")
        return format_html("<pre>{}</pre>", text)

    def delete_model(self, request: HttpRequest, obj: Artifact) -> None:
        manifest_delete(
            repository_name=obj.repository.name,
            reference=obj.digest,
            actor=request.user.get_username(),
            address=client_address(request),
        )


@admin.register(Tag)
class TagAdmin(ProjectScopedAdmin):
    project_field = "repository__project"
    view_action = Action.PULL
    delete_action = Action.DELETE

    list_display = ["name", "repository", "artifact_digest", "updated_at"]
    list_select_related = ["repository"]
    list_filter = [ProjectFilter]
    search_fields = ["=name", "=repository__name"]
    search_help_text = _("A tag or a repository name.")
    ordering = ["-pk"]
    fields = ["name", "repository", "artifact_link", "created_at", "updated_at"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tag]:
        return super().get_queryset(request).annotate(artifact_digest_value=F("artifact__digest"))

    @admin.display(description=_("artifact"), ordering="artifact_digest_value")
    def artifact_digest(self, tag: Tag) -> str:
        return short_digest(tag.artifact_digest_value)

    @admin.display(description=_("artifact"))
    def artifact_link(self, tag: Tag) -> str:
        url = reverse(
            "admin:images_artifact_change", args=[tag.artifact_id], current_app=self.admin_site.name
        )
        return format_html('<a href="{}">{}</a>', url, short_digest(tag.artifact_digest_value))

    def delete_model(self, request: HttpRequest, obj: Tag) -> None:
        manifest_delete(
            repository_name=obj.repository.name,
            reference=obj.name,
            actor=request.user.get_username(),
            address=client_address(request),
        )


@admin.register(Blob)
class BlobAdmin(ReadOnlyAdmin):
    list_display = ["digest_short", "size_shown", "created_at"]
    search_fields = ["=digest"]
    search_help_text = _("A whole digest.")
    ordering = ["-pk"]
    fields = ["digest", "size_shown", "storage_key", "created_at", "artifact_digests"]
    readonly_fields = fields

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_read_blobs(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Blob | None = None) -> bool:
        return can_read_blobs(request.user)

    @admin.display(description=_("digest"), ordering="digest")
    def digest_short(self, blob: Blob) -> str:
        return short_digest(blob.digest)

    @admin.display(description=_("size"), ordering="size")
    def size_shown(self, blob: Blob) -> str:
        return filesizeformat(blob.size)

    @admin.display(description=_("referenced by"))
    def artifact_digests(self, blob: Blob) -> str:
        # A layer shared by many images: the first few are enough to tell what it belongs to.
        artifacts = blob.artifacts.select_related("repository").defer("manifest").order_by("-pk")[:20]
        return format_html_join(
            "",
            "<div>{}@{}</div>",
            ((artifact.repository.name, artifact.digest) for artifact in artifacts),
        )


class ProjectWithUsageAdmin(ProjectAdmin):
    """The project admin with the storage the project's repositories use: a question about registry
    content, so asked here, above projects."""

    def get_fields(self, request: HttpRequest, obj: Project | None = None) -> list[str]:
        fields = super().get_fields(request, obj)
        if obj is not None:
            fields.insert(3, "storage_used")
        return fields

    def get_readonly_fields(self, request: HttpRequest, obj: Project | None = None) -> list[str]:
        return [*super().get_readonly_fields(request, obj), "storage_used"]

    @admin.display(description=_("storage used"))
    def storage_used(self, project: Project) -> str:
        return filesizeformat(project_storage_usage(project_id=project.pk))


admin.site.unregister(Project)
admin.site.register(Project, ProjectWithUsageAdmin)


class LabelForm(forms.ModelForm):
    """A label's name, description and color; its project (none: a global label) when it is made."""

    class Meta:
        model = Label
        fields = ["name", "description", "color", "project"]


@admin.register(Label)
class LabelAdmin(ProjectScopedAdmin):
    """Labels: global ones (no project) for system admins, a project's for its Maintainers and above
    (can_manage_labels); everyone sees the global labels and those of the projects it may pull."""

    form = LabelForm
    list_display = ["name", "scope", "project", "color", "description", "updated_at"]
    list_filter = ["scope", ProjectFilter]
    search_fields = ["name", "description"]
    list_select_related = ["project"]
    view_action = Action.PULL
    change_action = Action.MANAGE_RULES
    delete_action = Action.MANAGE_RULES

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = Label.objects.select_related("project")
        if is_system_admin(request.user):
            return queryset
        visible = projects_granting(request.user, Action.PULL).values("pk")
        return queryset.filter(Q(project__isnull=True) | Q(project__in=visible))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["project"] if obj is not None else []  # a label never moves between scopes

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None and "project" in form.base_fields:
            field = form.base_fields["project"]
            field.queryset = projects_granting(request.user, Action.MANAGE_RULES)
            field.required = not is_system_admin(request.user)  # only system admins make global labels
            field.help_text = _("Leave empty for a global label (system admins only).")
        return form

    def _manages(self, request: HttpRequest, obj: Any) -> bool:
        if obj is None:
            return granted(request, Action.MANAGE_RULES)
        return can_manage_labels(request.user, obj.project)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.project_id is None:
            return granted(request, Action.PULL)
        return super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._manages(request, None)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._manages(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._manages(request, obj)

    def save_model(self, request: HttpRequest, obj: Label, form: Any, change: bool) -> None:
        address = client_address(request)
        if change:
            label_update(
                label=obj,
                name=obj.name,
                description=obj.description,
                color=obj.color,
                actor=request.user,
                address=address,
            )
            return
        project = form.cleaned_data.get("project")
        if project is None and not is_system_admin(request.user):
            raise PermissionDenied
        created = label_create(
            name=obj.name,
            scope=Label.Scope.PROJECT if project else Label.Scope.GLOBAL,
            project=project,
            description=obj.description,
            color=obj.color,
            actor=request.user,
            address=address,
        )
        obj.pk = created.pk

    def delete_model(self, request: HttpRequest, obj: Label) -> None:
        label_delete(label=obj, actor=request.user, address=client_address(request))
