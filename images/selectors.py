"""Reads of registry content."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any, NamedTuple

from django.db.models import Count, F, OuterRef, Prefetch, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, Length
from django.utils.translation import gettext as _

from harborpy import sql
from harborpy.errors import HarborError, NotFound
from images import blobstore
from images import media_types as mt
from images.digests import is_digest
from images.errors import BlobUnknown, BlobUploadUnknown, ManifestUnknown, NameUnknown
from images.models import (
    Artifact,
    ArtifactReference,
    Blob,
    BlobUpload,
    Label,
    Repository,
    RepositoryBlob,
    Tag,
)
from images.names import is_tag
from projects.models import Project

logger = logging.getLogger(__name__)


def repository_get(*, name: str) -> Repository:
    """The repository called `name`; raises NameUnknown."""
    repository = Repository.objects.filter(name=name).first()
    if repository is None:
        raise NameUnknown(detail={"name": name})
    return repository


def _raise_unknown(repository_name: str, error: Exception) -> None:
    if sql.fetch_one(_REPOSITORY_EXISTS_SQL, [repository_name]) is None:
        raise NameUnknown(detail={"name": repository_name})
    raise error


# Manifest and blob GET/HEAD are the registry's hottest requests. Building these queries with the
# ORM took more CPU than running them (profiled: about half of a manifest GET), so they are
# written out (see harborpy/sql.py).
_ARTIFACT = sql.table(Artifact)
_REPOSITORY = sql.table(Repository)
_TAG = sql.table(Tag)
_BLOB = sql.table(Blob)
_REPOSITORY_BLOB = sql.table(RepositoryBlob)

# Table names come from model metadata and every value is a query parameter.
_ARTIFACT_BY_TAG_SQL = (
    "SELECT a.id, a.repository_id, a.digest, a.media_type, {payload}, r.project_id "  # noqa: S608
    f"FROM {_ARTIFACT} a JOIN {_TAG} t ON t.artifact_id = a.id "
    f"JOIN {_REPOSITORY} r ON r.id = t.repository_id WHERE r.name = %s AND t.name = %s"
)
_ARTIFACT_BY_DIGEST_SQL = (
    "SELECT a.id, a.repository_id, a.digest, a.media_type, {payload}, r.project_id "  # noqa: S608
    f"FROM {_ARTIFACT} a JOIN {_REPOSITORY} r ON r.id = a.repository_id "
    "WHERE r.name = %s AND a.digest = %s"
)
_ARTIFACT_SQL = {
    (by_tag, with_manifest): sql.format(payload="a.manifest" if with_manifest else "length(a.manifest)")
    for by_tag, sql in ((True, _ARTIFACT_BY_TAG_SQL), (False, _ARTIFACT_BY_DIGEST_SQL))
    for with_manifest in (True, False)
}
_REPOSITORY_EXISTS_SQL = f"SELECT 1 FROM {_REPOSITORY} WHERE name = %s"  # noqa: S608
_REPOSITORY_ID_SQL = f"SELECT id FROM {_REPOSITORY} WHERE name = %s"  # noqa: S608
_BLOB_SQL = (
    "SELECT b.id, b.digest, b.size, b.storage_key "  # noqa: S608
    f"FROM {_BLOB} b JOIN {_REPOSITORY_BLOB} rb ON rb.blob_id = b.id "
    f"JOIN {_REPOSITORY} r ON r.id = rb.repository_id WHERE r.name = %s AND b.digest = %s"
)


class ManifestRef(NamedTuple):
    """What a manifest GET or HEAD needs of an artifact.

    A plain tuple rather than model instances: building an Artifact and its Repository took 8% of
    a worker's CPU under a stream of manifest GETs (py-spy --gil), as much as the query.
    """

    id: int
    repository_id: int
    project_id: int
    digest: str
    media_type: str
    manifest: bytes | None  # None when asked without it (HEAD)
    size: int


def manifest_get(*, repository_name: str, reference: str, with_manifest: bool = True) -> ManifestRef:
    """The manifest a tag or digest names in a repository; raises NameUnknown or ManifestUnknown.

    A reference that is neither a valid tag nor a supported digest names nothing: it is unknown
    (404), as the distribution-spec answers a pull of a missing manifest, not a 400.
    """
    row = None
    if is_tag(reference) or is_digest(reference):
        row = sql.fetch_one(_ARTIFACT_SQL[is_tag(reference), with_manifest], [repository_name, reference])
    if row is None:
        _raise_unknown(
            repository_name, ManifestUnknown(detail={"name": repository_name, "reference": reference})
        )
    manifest = bytes(row[4]) if with_manifest else None
    size = len(manifest) if manifest is not None else int(row[4])
    return ManifestRef(row[0], row[1], row[5], row[2], row[3], manifest, size)


def artifact_get(*, repository_name: str, reference: str, with_manifest: bool = True) -> Artifact:
    """manifest_get() as an Artifact (with its Repository), for services that change it.

    Without the manifest, the artifact carries `manifest_size` instead.
    """
    ref = manifest_get(repository_name=repository_name, reference=reference, with_manifest=with_manifest)
    artifact = Artifact(
        id=ref.id,
        repository=Repository(id=ref.repository_id, project_id=ref.project_id, name=repository_name),
        digest=ref.digest,
        media_type=ref.media_type,
    )
    if ref.manifest is not None:
        artifact.manifest = ref.manifest
    artifact.manifest_size = ref.size
    return artifact


def artifact_children(*, artifact_id: int) -> QuerySet[ArtifactReference]:
    """The index's references to its child manifests, with each child's digest and media type."""
    return (
        ArtifactReference.objects.filter(parent_id=artifact_id)
        .select_related("child")
        .only("platform", "child__digest", "child__media_type")
    )


def blob_get(*, repository_name: str, digest: str) -> Blob:
    """A blob readable in the repository; raises NameUnknown or BlobUnknown."""
    row = sql.fetch_one(_BLOB_SQL, [repository_name, digest])
    if row is None:
        _raise_unknown(repository_name, BlobUnknown(detail={"digest": digest}))
    return Blob(id=row[0], digest=row[1], size=row[2], storage_key=row[3])


def blob_upload_get(*, repository_name: str, upload_id: str) -> BlobUpload:
    """An upload session of this repository; raises BlobUploadUnknown (also for another repository's)."""
    upload = BlobUpload.objects.filter(pk=upload_id, repository__name=repository_name).first()
    if upload is None:
        raise BlobUploadUnknown(detail={"uuid": upload_id})
    return upload


def tag_names(*, repository_name: str, last: str, limit: int) -> tuple[list[str], bool]:
    """Tag names after `last` in byte order, at most `limit`; and whether more follow."""
    row = sql.fetch_one(_REPOSITORY_ID_SQL, [repository_name])
    if row is None:
        raise NameUnknown(detail={"name": repository_name})
    names = [name for (name,) in sql.fetch_all(_tag_names_sql(), [row[0], last, limit + 1])]
    return names[:limit], len(names) > limit


def _tag_names_sql() -> str:
    collate = sql.bytewise_collation()
    return (
        f"SELECT name FROM {_TAG} WHERE repository_id = %s AND name{collate} > %s "  # noqa: S608
        f"ORDER BY name{collate} LIMIT %s"
    )


def repository_names(*, projects: QuerySet[Project], last: str, limit: int) -> tuple[list[str], bool]:
    """Repository names in `projects` after `last`, in lexical order, at most `limit`; and if more follow."""
    qs = Repository.objects.filter(project__in=projects).annotate(key=sql.bytewise("name")).order_by("key")
    if last:
        qs = qs.filter(key__gt=last)
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


_USAGE_SQL = (
    f"SELECT COALESCE(SUM(b.size), 0) FROM {_BLOB} b WHERE b.id IN "  # noqa: S608
    f"(SELECT rb.blob_id FROM {_REPOSITORY_BLOB} rb JOIN {_REPOSITORY} r ON r.id = rb.repository_id "
    "WHERE r.project_id = %s)"
)
_IN_PROJECT_SQL = (
    f"SELECT 1 FROM {_REPOSITORY_BLOB} rb JOIN {_REPOSITORY} r ON r.id = rb.repository_id "  # noqa: S608
    "WHERE r.project_id = %s AND rb.blob_id = %s"
)


def project_storage_usage(*, project_id: int) -> int:
    """Bytes of the distinct blobs readable in the project's repositories (a blob counts once)."""
    return int(sql.fetch_one(_USAGE_SQL, [project_id])[0])


def blob_in_project(*, project_id: int, blob_id: int) -> bool:
    return sql.fetch_one(_IN_PROJECT_SQL, [project_id, blob_id]) is not None


# --- The REST API's reads (images/api/) -----------------------------------------------------------
# The caller's access to the project is decided before these run (projects.permissions).


def repository_list(*, projects: QuerySet[Project] | None = None) -> QuerySet[Repository]:
    """Repositories (of `projects` if given), each with its `artifact_count` (accessories aside)."""
    repositories = Repository.objects.all()
    if projects is not None:
        repositories = repositories.filter(project__in=projects)
    return repositories.annotate(artifact_count=_artifact_count())


def _artifact_count() -> Coalesce:
    counted = (
        Artifact.objects.filter(repository=OuterRef("pk"), subject_digest="")
        .order_by()
        .values("repository")
        .annotate(count=Count("*"))
        .values("count")
    )
    return Coalesce(Subquery(counted), 0)


def repository_in_project(*, project: Project, name: str, with_count: bool = False) -> Repository:
    """The repository `name` (without the project prefix) of `project`; raises NotFound.

    With its `artifact_count` if asked: counting costs a few ms per 100,000 artifacts.
    """
    repositories = repository_list() if with_count else Repository.objects.all()
    repository = repositories.filter(project=project, name=f"{project.name}/{name}").first()
    if repository is None:
        raise NotFound(
            _("Repository %(name)s not found in project %(project)s.")
            % {"name": name[:255], "project": project.name}
        )
    return repository


def artifact_list(
    *, repository: Repository, with_label: bool = False, with_references: bool = True
) -> QuerySet[Artifact]:
    """The repository's artifacts, without their manifests, with what the REST API shows of them.

    Accessories (artifacts with a subject) are listed too; the caller leaves them out as Harbor
    does. Each related set is one query for a whole page (prefetches run on the page's slice), as
    plain lists: `reference_list`, `label_list`. Tags come from tags_by_artifact().
    """
    artifacts = Artifact.objects.filter(repository=repository).defer("manifest")
    if with_references:
        artifacts = artifacts.prefetch_related(
            Prefetch(
                "child_references",
                queryset=ArtifactReference.objects.select_related("child")
                .only("parent_id", "child_id", "platform", "annotations", "child__digest")
                .order_by("id"),
                to_attr="reference_list",
            )
        )
    if with_label:
        artifacts = artifacts.prefetch_related(
            Prefetch("labels", queryset=Label.objects.order_by("name"), to_attr="label_list")
        )
    return artifacts


class TagRow(NamedTuple):
    """A tag as a list shows it: read as plain values, as an artifact may have thousands."""

    id: int
    repository_id: int
    artifact_id: int
    name: str
    updated_at: datetime


def tags_by_artifact(*, artifact_ids: list[int]) -> dict[int, list[TagRow]]:
    """The tags of each artifact, newest push first (one query)."""
    found: dict[int, list[TagRow]] = {pk: [] for pk in artifact_ids}
    if not artifact_ids:
        return found
    rows = (
        Tag.objects.filter(artifact_id__in=artifact_ids)
        .order_by("-updated_at", "-id")
        .values_list("id", "repository_id", "artifact_id", "name", "updated_at")
    )
    for row in rows:
        found[row[2]].append(TagRow(*row))
    return found


def artifact_by_reference(*, artifacts: QuerySet[Artifact], reference: str) -> Artifact:
    """The artifact a tag or digest names among `artifacts`; raises NotFound."""
    if is_digest(reference):
        artifact = artifacts.filter(digest=reference).first()
    else:
        artifact = artifacts.filter(tags__name=reference).first()
    if artifact is None:
        raise NotFound(_("Artifact %(reference)s not found.") % {"reference": reference[:200]})
    return artifact


def accessories_of(*, repository_id: int, digests: list[str]) -> dict[str, list[Artifact]]:
    """The artifacts of the repository whose subject is one of `digests`, by subject digest."""
    found: dict[str, list[Artifact]] = {digest: [] for digest in digests}
    if not digests:
        return found
    accessories = (
        Artifact.objects.filter(repository_id=repository_id, subject_digest__in=digests)
        .only("id", "digest", "size", "artifact_type", "subject_digest", "pushed_at")
        .order_by("-pushed_at", "-id")
    )
    for accessory in accessories:
        found[accessory.subject_digest].append(accessory)
    return found


def tag_list(*, artifact: Artifact) -> QuerySet[Tag]:
    """The artifact's tags, each with its artifact's last pull time as `pulled_at`."""
    return Tag.objects.filter(artifact=artifact).annotate(pulled_at=F("artifact__pulled_at"))


def label_list(*, projects: QuerySet[Project] | None, global_labels: bool) -> QuerySet[Label]:
    """Global labels, or the labels of `projects`."""
    if global_labels:
        return Label.objects.filter(scope=Label.Scope.GLOBAL)
    return Label.objects.filter(scope=Label.Scope.PROJECT, project__in=projects)


def label_get(*, label_id: int) -> Label:
    """A label; raises NotFound."""
    label = Label.objects.select_related("project").filter(pk=label_id).first()
    if label is None:
        raise NotFound(_("Label %(id)s not found.") % {"id": label_id})
    return label


def storage_consumption() -> int:
    """Bytes of every blob the registry holds."""
    return int(Blob.objects.aggregate(total=Coalesce(Sum("size"), 0))["total"])


# An image config is a few KiB; a larger one is not read whole for a response.
CONFIG_MAX_BYTES = 1024 * 1024
_IMAGE_CONFIGS = frozenset(
    {"application/vnd.oci.image.config.v1+json", "application/vnd.docker.container.image.v1+json"}
)


def artifact_extra_attrs(*, artifact: Artifact) -> dict[str, Any]:
    """What Harbor shows of an artifact's config: for an image its platform, creation time, author and
    run configuration; for other JSON configs (charts, ...) the whole document. One blob read."""
    config_type = artifact.config_media_type
    if not config_type.endswith("json") or config_type == mt.OCI_EMPTY:
        return {}
    try:
        descriptor = json.loads(bytes(artifact.manifest)).get("config") or {}
        blob = Blob.objects.filter(digest=descriptor.get("digest", "")).only("storage_key").first()
        if blob is None:
            return {}
        document = json.loads(blobstore.blob_read_small(key=blob.storage_key, max_bytes=CONFIG_MAX_BYTES))
    except (OSError, ValueError, AttributeError, HarborError) as exc:
        # A response without these details beats no response: the manifest itself is fine.
        logger.warning("Cannot read the config of artifact %s: %s", artifact.pk, exc)
        return {}
    if not isinstance(document, dict):
        return {}
    if config_type not in _IMAGE_CONFIGS:
        return document
    return {key: document.get(key) for key in ("architecture", "os", "created", "author", "config")}
