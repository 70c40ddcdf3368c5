"""Registry content. The database is the source of truth; storage holds blob bytes only.

Manifests are kept byte-for-byte in the database (they are small, at most MANIFEST_MAX_BYTES),
so a manifest GET is one indexed query and storage never holds tag or link files.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from projects.models import Project

DIGEST_MAX_LENGTH = 150  # "sha512:" + 128 hex digits, with room to spare
MEDIA_TYPE_MAX_LENGTH = 255


class Repository(models.Model):
    """A named repository, `<project>/<path>`; the first path component names the project."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="repositories"
    )
    name = models.CharField(_("name"), max_length=255, unique=True)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("creation time"), auto_now_add=True)
    updated_at = models.DateTimeField(_("update time"), auto_now=True)
    # Counted in batches by images.pulls, never with a write per pull.
    pull_count = models.BigIntegerField(_("pull count"), default=0)

    class Meta:
        verbose_name = _("repository")
        verbose_name_plural = _("repositories")
        ordering = ["name"]
        indexes = [
            # The REST API lists a project's repositories newest first (Harbor's default order).
            models.Index(fields=["project", "created_at", "id"], name="repository_project_time_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class Blob(models.Model):
    """Content-addressed bytes in storage, shared by every repository that links them."""

    digest = models.CharField(_("digest"), max_length=DIGEST_MAX_LENGTH, unique=True)
    size = models.BigIntegerField(_("size"))
    # Where the bytes are in the blob storage: the key the upload was written under, never renamed.
    storage_key = models.CharField(_("storage key"), max_length=255, unique=True)
    created_at = models.DateTimeField(_("creation time"), auto_now_add=True)

    class Meta:
        verbose_name = _("blob")
        verbose_name_plural = _("blobs")
        constraints = [models.CheckConstraint(condition=models.Q(size__gte=0), name="blob_size_not_negative")]

    def __str__(self) -> str:
        return self.digest


class RepositoryBlob(models.Model):
    """A blob readable in a repository: uploaded there, mounted there, or referenced there."""

    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="blob_links")
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="repository_links")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("repository blob")
        verbose_name_plural = _("repository blobs")
        constraints = [models.UniqueConstraint(fields=["repository", "blob"], name="repository_blob_unique")]

    def __str__(self) -> str:
        return f"{self.repository_id}:{self.blob_id}"


class Artifact(models.Model):
    """A manifest (image, index or any OCI artifact) in a repository, kept byte-for-byte."""

    repository = models.ForeignKey(
        Repository, verbose_name=_("repository"), on_delete=models.CASCADE, related_name="artifacts"
    )
    digest = models.CharField(_("digest"), max_length=DIGEST_MAX_LENGTH)
    media_type = models.CharField(_("media type"), max_length=MEDIA_TYPE_MAX_LENGTH)
    manifest = models.BinaryField(_("manifest"))
    # Harbor's artifact size: the manifest plus every blob (or, for an index, every child) it references.
    size = models.BigIntegerField(_("size"))
    artifact_type = models.CharField(_("artifact type"), max_length=MEDIA_TYPE_MAX_LENGTH, blank=True)
    config_media_type = models.CharField(_("config media type"), max_length=MEDIA_TYPE_MAX_LENGTH, blank=True)
    subject_digest = models.CharField(_("subject"), max_length=DIGEST_MAX_LENGTH, blank=True)
    annotations = models.JSONField(_("annotations"), default=dict, blank=True)
    pushed_at = models.DateTimeField(_("push time"), auto_now_add=True)
    # Updated in batches by images.pulls, never with a write per pull.
    pulled_at = models.DateTimeField(_("pull time"), null=True, blank=True)
    pull_count = models.BigIntegerField(_("pull count"), default=0)
    blobs = models.ManyToManyField(Blob, through="ArtifactBlob", related_name="artifacts")

    class Meta:
        verbose_name = _("artifact")
        verbose_name_plural = _("artifacts")
        constraints = [
            models.UniqueConstraint(
                fields=["repository", "digest"], name="artifact_digest_unique_per_repository"
            )
        ]
        indexes = [
            models.Index(
                fields=["repository", "subject_digest"],
                name="artifact_subject_idx",
                condition=~models.Q(subject_digest=""),
            ),
            # The REST API lists a repository's artifacts, accessories (subject_digest set) aside,
            # newest push first: this index gives the page in either direction and the count, both
            # from the index alone. (A partial index on subject_digest = '' is not picked by
            # SQLite's planner for the count, which then reads every row: 75 ms for 100,000.)
            models.Index(
                fields=["repository", "subject_digest", "pushed_at", "id"], name="artifact_list_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.repository_id}@{self.digest}"


class ArtifactBlob(models.Model):
    """A blob a manifest references (config and layers); keeps the blob from garbage collection."""

    artifact = models.ForeignKey(Artifact, on_delete=models.CASCADE, related_name="blob_references")
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="artifact_references")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["artifact", "blob"], name="artifact_blob_unique")]

    def __str__(self) -> str:
        return f"{self.artifact_id}:{self.blob_id}"


class ArtifactReference(models.Model):
    """An index (manifest list) referencing a child manifest in the same repository."""

    parent = models.ForeignKey(Artifact, on_delete=models.CASCADE, related_name="child_references")
    # RESTRICT: a child referenced by an index cannot be deleted alone, only with its index.
    child = models.ForeignKey(Artifact, on_delete=models.RESTRICT, related_name="parent_references")
    platform = models.JSONField(default=dict, blank=True)
    annotations = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["parent", "child"], name="artifact_reference_unique")]

    def __str__(self) -> str:
        return f"{self.parent_id}->{self.child_id}"


class Tag(models.Model):
    """A mutable name in a repository pointing at one artifact of that repository."""

    repository = models.ForeignKey(
        Repository, verbose_name=_("repository"), on_delete=models.CASCADE, related_name="tags"
    )
    name = models.CharField(_("name"), max_length=128)
    artifact = models.ForeignKey(
        Artifact, verbose_name=_("artifact"), on_delete=models.CASCADE, related_name="tags"
    )
    created_at = models.DateTimeField(_("creation time"), auto_now_add=True)
    updated_at = models.DateTimeField(_("push time"), auto_now=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        constraints = [
            models.UniqueConstraint(fields=["repository", "name"], name="tag_name_unique_per_repository")
        ]

    def __str__(self) -> str:
        return self.name


class Label(models.Model):
    """A label for artifacts: global (scope "g", system admins manage it) or of one project ("p")."""

    class Scope(models.TextChoices):
        GLOBAL = "g", _("Global")
        PROJECT = "p", _("Project")

    name = models.CharField(_("name"), max_length=128)
    description = models.TextField(_("description"), blank=True)
    color = models.CharField(_("color"), max_length=32, blank=True)
    scope = models.CharField(_("scope"), max_length=1, choices=Scope.choices)
    project = models.ForeignKey(
        Project,
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="labels",
    )
    artifacts = models.ManyToManyField(Artifact, through="ArtifactLabel", related_name="labels")
    created_at = models.DateTimeField(_("creation time"), auto_now_add=True)
    updated_at = models.DateTimeField(_("update time"), auto_now=True)

    class Meta:
        verbose_name = _("label")
        verbose_name_plural = _("labels")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scope="g", project__isnull=True)
                | models.Q(scope="p", project__isnull=False),
                name="label_scope_matches_project",
            ),
            models.UniqueConstraint(
                fields=["name"], condition=models.Q(scope="g"), name="label_global_name_unique"
            ),
            models.UniqueConstraint(
                fields=["project", "name"], condition=models.Q(scope="p"), name="label_project_name_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ArtifactLabel(models.Model):
    """A label added to an artifact."""

    artifact = models.ForeignKey(Artifact, on_delete=models.CASCADE, related_name="label_links")
    label = models.ForeignKey(Label, on_delete=models.CASCADE, related_name="artifact_links")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("artifact label")
        verbose_name_plural = _("artifact labels")
        constraints = [models.UniqueConstraint(fields=["artifact", "label"], name="artifact_label_unique")]

    def __str__(self) -> str:
        return f"{self.artifact_id}:{self.label_id}"


class BlobUpload(models.Model):
    """An upload session. Its whole state is here, so any instance can continue it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="uploads")
    storage_key = models.CharField(max_length=255, unique=True)
    offset = models.BigIntegerField(default=0)
    # Serialized running hash of the bytes so far (images.digests), or empty to re-hash at the end.
    hash_algorithm = models.CharField(max_length=16, default="sha256")
    hash_state = models.BinaryField(null=True, blank=True)
    # Backend bookkeeping, e.g. the S3 multipart upload id and its parts.
    backend_state = models.JSONField(default=dict, blank=True)
    # While a request writes to the session, no other request may: a lease rather than a row lock,
    # because a chunk can take minutes to arrive and must not hold a database transaction open.
    busy_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("blob upload")
        verbose_name_plural = _("blob uploads")
        constraints = [
            models.CheckConstraint(condition=models.Q(offset__gte=0), name="upload_offset_not_negative")
        ]

    def __str__(self) -> str:
        return str(self.id)
