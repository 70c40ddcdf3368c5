"""Reads of registry content."""

from __future__ import annotations

from django.db.models import QuerySet
from django.db.models.functions import Length

from images.digests import is_digest
from images.errors import BlobUnknown, BlobUploadUnknown, ManifestUnknown, NameUnknown
from images.models import Artifact, ArtifactReference, Blob, BlobUpload, Repository, Tag
from images.names import is_tag
from projects.models import Project


def project_get(*, name: str) -> Project | None:
    return Project.objects.filter(name=name).first()


def repository_get(*, name: str) -> Repository:
    """The repository called `name`; raises NameUnknown."""
    repository = Repository.objects.filter(name=name).first()
    if repository is None:
        raise NameUnknown(detail={"name": name})
    return repository


def _raise_unknown(repository_name: str, error: Exception) -> None:
    if not Repository.objects.filter(name=repository_name).exists():
        raise NameUnknown(detail={"name": repository_name})
    raise error


def artifact_get(*, repository_name: str, reference: str, with_manifest: bool = True) -> Artifact:
    """The artifact a tag or digest names in a repository; raises NameUnknown or ManifestUnknown.

    A reference that is neither a valid tag nor a supported digest names nothing: it is unknown
    (404), as the distribution-spec answers a pull of a missing manifest, not a 400.
    """
    qs = Artifact.objects.filter(repository__name=repository_name)
    if is_tag(reference):
        qs = qs.filter(tags__name=reference)
    elif is_digest(reference):
        qs = qs.filter(digest=reference)
    else:
        qs = qs.none()
    if not with_manifest:
        qs = qs.defer("manifest", "annotations").annotate(manifest_size=Length("manifest"))
    artifact = qs.first()
    if artifact is None:
        _raise_unknown(repository_name, ManifestUnknown(detail={"name": repository_name, "reference": reference}))
    return artifact


def artifact_children(*, artifact: Artifact) -> QuerySet[ArtifactReference]:
    """The index's references to its child manifests, with each child's digest and media type."""
    return ArtifactReference.objects.filter(parent=artifact).select_related("child").only(
        "platform", "child__digest", "child__media_type"
    )


def blob_get(*, repository_name: str, digest: str) -> Blob:
    """A blob readable in the repository; raises NameUnknown or BlobUnknown."""
    blob = Blob.objects.filter(repository_links__repository__name=repository_name, digest=digest).first()
    if blob is None:
        _raise_unknown(repository_name, BlobUnknown(detail={"digest": digest}))
    return blob


def blob_upload_get(*, repository_name: str, upload_id: str) -> BlobUpload:
    """An upload session of this repository; raises BlobUploadUnknown (also for another repository's)."""
    upload = BlobUpload.objects.filter(pk=upload_id, repository__name=repository_name).first()
    if upload is None:
        raise BlobUploadUnknown(detail={"uuid": upload_id})
    return upload


def tag_names(*, repository_name: str, last: str, limit: int) -> tuple[list[str], bool]:
    """Tag names after `last` in lexical order, at most `limit`; and whether more follow."""
    repository = repository_get(name=repository_name)
    qs = Tag.objects.filter(repository=repository).order_by("name")
    if last:
        qs = qs.filter(name__gt=last)
    names = list(qs.values_list("name", flat=True)[: limit + 1])
    return names[:limit], len(names) > limit


def repository_names(*, projects: QuerySet[Project], last: str, limit: int) -> tuple[list[str], bool]:
    """Repository names in `projects` after `last` in lexical order, at most `limit`; and whether more follow."""
    qs = Repository.objects.filter(project__in=projects).order_by("name")
    if last:
        qs = qs.filter(name__gt=last)
    names = list(qs.values_list("name", flat=True)[: limit + 1])
    return names[:limit], len(names) > limit


def referrers_list(*, repository_name: str, digest: str, artifact_type: str = "") -> QuerySet[Artifact]:
    """Artifacts of the repository whose subject is `digest`, optionally of one artifact type."""
    repository = repository_get(name=repository_name)
    qs = Artifact.objects.filter(repository=repository, subject_digest=digest)
    if artifact_type:
        qs = qs.filter(artifact_type=artifact_type)
    return (
        qs.annotate(manifest_size=Length("manifest"))
        .only("digest", "media_type", "artifact_type", "annotations")
        .order_by("digest")
    )
