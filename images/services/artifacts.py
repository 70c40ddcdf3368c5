"""Artifacts through the REST API: delete (with what only it holds) and copy between repositories."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import RestrictedError

from audit.services import audit_record
from images.errors import ArtifactReferenced
from images.models import Artifact, ArtifactBlob, ArtifactReference, Blob, Repository, Tag
from images.names import project_name_of
from images.services.manifests import tag_move
from images.services.repositories import repository_get_or_create_for_push
from images.services.uploads import blobs_link
from projects.models import Project


def _project_of(repository: Repository) -> Project:
    return Project(id=repository.project_id, name=project_name_of(repository.name))


def _referenced(artifact_id: int) -> bool:
    return ArtifactReference.objects.filter(child_id=artifact_id).exists()


def _delete_deeply(artifact_id: int, digest: str, repository_id: int) -> None:
    """Delete an artifact with its tags, its accessories and the children only it references.

    As Harbor does: an accessory (an artifact whose subject this is) goes with its subject unless
    an index references it; a child of an index goes with the index unless it is tagged or
    another index references it too. Blobs stay: garbage collection frees what nothing references.
    """
    accessories = Artifact.objects.filter(repository_id=repository_id, subject_digest=digest).values_list(
        "id", "digest"
    )
    for accessory_id, accessory_digest in list(accessories):
        if not _referenced(accessory_id):
            _delete_deeply(accessory_id, accessory_digest, repository_id)
    children = list(
        ArtifactReference.objects.filter(parent_id=artifact_id).values_list("child_id", "child__digest")
    )
    ArtifactReference.objects.filter(parent_id=artifact_id).delete()
    for child_id, child_digest in children:
        if not _referenced(child_id) and not Tag.objects.filter(artifact_id=child_id).exists():
            _delete_deeply(child_id, child_digest, repository_id)
    Artifact.objects.filter(pk=artifact_id).delete()


def artifact_delete(*, artifact: Artifact, actor: Any, address: str | None = None) -> None:
    """Delete an artifact and all its tags (see _delete_deeply), and audit it.

    Raises ArtifactReferenced when an index references the artifact.
    """
    try:
        with transaction.atomic():
            if _referenced(artifact.pk):
                raise ArtifactReferenced(detail={"digest": artifact.digest})
            _delete_deeply(artifact.pk, artifact.digest, artifact.repository_id)
            audit_record(
                actor=actor,
                operation="delete",
                resource_type="artifact",
                resource=f"{artifact.repository.name}@{artifact.digest}",
                project=_project_of(artifact.repository),
                address=address,
            )
    except (RestrictedError, IntegrityError):
        # An index referencing it was pushed meanwhile (PostgreSQL checks the reference at commit).
        raise ArtifactReferenced(detail={"digest": artifact.digest}) from None


def _copy(source: Artifact, target: Repository) -> Artifact:
    """The copy of `source` in `target`: its children and accessories first, its blobs linked."""
    existing = Artifact.objects.filter(repository=target, digest=source.digest).defer("manifest").first()
    if existing is not None:
        return existing
    source = Artifact.objects.get(pk=source.pk)  # with the manifest
    references = list(ArtifactReference.objects.filter(parent=source).select_related("child").order_by("id"))
    children = {reference.child_id: _copy(reference.child, target) for reference in references}
    blobs = list(Blob.objects.filter(artifact_references__artifact=source))
    blobs_link(repository=target, blobs=blobs)
    try:
        with transaction.atomic():
            copy = Artifact.objects.create(
                repository=target,
                digest=source.digest,
                media_type=source.media_type,
                manifest=source.manifest,
                size=source.size,
                artifact_type=source.artifact_type,
                config_media_type=source.config_media_type,
                subject_digest=source.subject_digest,
                annotations=source.annotations,
            )
    except IntegrityError:
        # Pushed or copied there concurrently: that one is the copy.
        return Artifact.objects.defer("manifest").get(repository=target, digest=source.digest)
    ArtifactBlob.objects.bulk_create([ArtifactBlob(artifact=copy, blob=blob) for blob in blobs])
    ArtifactReference.objects.bulk_create(
        [
            ArtifactReference(
                parent=copy,
                child=children[reference.child_id],
                platform=reference.platform,
                annotations=reference.annotations,
            )
            for reference in references
        ]
    )
    for accessory in Artifact.objects.filter(
        repository_id=source.repository_id, subject_digest=source.digest
    ):
        _copy(accessory, target)
    return copy


@transaction.atomic
def artifact_copy(
    *, source: Artifact, tag: str = "", target_name: str, actor: Any, address: str | None = None
) -> Artifact:
    """Copy an artifact (with its children and accessories) into the repository `target_name`.

    The manifests are copied as rows and the blobs linked, never copied: a copy takes no storage
    beyond the quota it counts against, like a push of the same content. `tag` (the source's tag
    named in the request) then points at the copy in the target repository too.
    Raises QuotaExceeded, NameUnknown.
    """
    target = repository_get_or_create_for_push(name=target_name)
    copy = _copy(source, target)
    if tag:
        tag_move(repository=target, name=tag, artifact=copy)
    audit_record(
        actor=actor,
        operation="create",
        resource_type="artifact",
        resource=f"{target_name}:{tag}" if tag else f"{target_name}@{copy.digest}",
        project=_project_of(target),
        address=address,
        detail={"digest": copy.digest, "from": f"{source.repository.name}@{source.digest}"},
    )
    return copy
