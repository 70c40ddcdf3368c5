"""Manifests and tags: push, move, delete."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import RestrictedError
from django.utils.translation import gettext as _

from audit.services import audit_record
from harborpy import sql
from images.digests import CANONICAL_ALGORITHM, digest_algorithm, digest_of, is_digest
from images.errors import (
    DigestInvalid,
    ManifestBlobUnknown,
    ManifestInvalid,
    ManifestReferenced,
    ManifestUnknown,
)
from images.manifests import ParsedManifest, parse_manifest
from images.models import Artifact, ArtifactBlob, ArtifactReference, Blob, Repository, RepositoryBlob, Tag
from images.names import project_name_of, validate_reference
from images.selectors import artifact_get
from images.services.repositories import repository_get_or_create_for_push
from projects.models import Project


def _referenced_blobs(repository: Repository, parsed: ParsedManifest) -> list[Blob]:
    required = {d.digest: d for d in parsed.required_blobs()}
    blobs = {}
    if required:
        # One statement per manifest push, written out (see harborpy/sql.py).
        placeholders = ", ".join(["%s"] * len(required))
        statement = (
            f"SELECT b.id, b.digest, b.size FROM {sql.table(Blob)} b "  # noqa: S608
            f"JOIN {sql.table(RepositoryBlob)} rb ON rb.blob_id = b.id "
            f"WHERE rb.repository_id = %s AND b.digest IN ({placeholders})"
        )
        blobs = {
            digest: Blob(id=pk, digest=digest, size=size)
            for pk, digest, size in sql.fetch_all(statement, [repository.pk, *required])
        }
    if missing := sorted(set(required) - set(blobs)):
        raise ManifestBlobUnknown(
            _("The manifest references blobs this repository does not have: %(digests)s")
            % {"digests": ", ".join(missing)},
            detail={"digests": missing},
        )
    for digest, descriptor in required.items():
        if blobs[digest].size != descriptor.size:
            raise ManifestInvalid(
                _("The manifest gives blob %(digest)s a size of %(declared)d, but it has %(size)d bytes.")
                % {"digest": digest, "declared": descriptor.size, "size": blobs[digest].size},
                detail={"digest": digest},
            )
    return list(blobs.values())


def _referenced_children(repository: Repository, parsed: ParsedManifest) -> dict[str, Artifact]:
    wanted = {d.digest for d in parsed.manifests}
    children = {
        a.digest: a
        for a in Artifact.objects.filter(repository=repository, digest__in=wanted).only("digest", "size")
    }
    if missing := sorted(wanted - set(children)):
        raise ManifestBlobUnknown(
            _("The index references manifests this repository does not have: %(digests)s")
            % {"digests": ", ".join(missing)},
            detail={"digests": missing},
        )
    return children


def _artifact_create(repository: Repository, digest: str, parsed: ParsedManifest, payload: bytes) -> Artifact:
    if parsed.is_index:
        children = _referenced_children(repository, parsed)
        blobs: list[Blob] = []
        size = len(payload) + sum(child.size for child in children.values())
    else:
        children = {}
        blobs = _referenced_blobs(repository, parsed)
        size = len(payload) + sum(blob.size for blob in blobs)
    try:
        with transaction.atomic():
            artifact = Artifact.objects.create(
                repository=repository,
                digest=digest,
                media_type=parsed.media_type,
                manifest=payload,
                size=size,
                artifact_type=parsed.effective_artifact_type[:255],
                config_media_type=parsed.config.media_type[:255] if parsed.config else "",
                subject_digest=parsed.subject.digest if parsed.subject else "",
                annotations=parsed.annotations,
            )
    except IntegrityError:
        # The same manifest pushed concurrently into the same repository: theirs is ours.
        return Artifact.objects.get(repository=repository, digest=digest)
    ArtifactBlob.objects.bulk_create([ArtifactBlob(artifact=artifact, blob=blob) for blob in blobs])
    seen: set[str] = set()
    references = []
    for descriptor in parsed.manifests:
        if descriptor.digest in seen:
            continue
        seen.add(descriptor.digest)
        references.append(
            ArtifactReference(
                parent=artifact,
                child=children[descriptor.digest],
                platform=descriptor.platform,
                annotations=descriptor.annotations,
            )
        )
    ArtifactReference.objects.bulk_create(references)
    return artifact


def tag_move(*, repository: Repository, name: str, artifact: Artifact) -> Tag:
    """Point tag `name` at `artifact`, creating the tag if needed (one upsert statement)."""
    tag = Tag(repository=repository, name=name, artifact=artifact)
    Tag.objects.bulk_create(
        [tag],
        update_conflicts=True,
        unique_fields=["repository", "name"],
        update_fields=["artifact", "updated_at"],
    )
    return tag


_ARTIFACT_ID_SQL = (
    f"SELECT id, subject_digest FROM {sql.table(Artifact)} WHERE repository_id = %s AND digest = %s"  # noqa: S608
)


@transaction.atomic
def manifest_push(
    *,
    repository_name: str,
    reference: str,
    content_type: str,
    payload: bytes,
    actor: str = "",
    address: str | None = None,
) -> Artifact:
    """Store a manifest and, for a tag reference, point the tag at it. Idempotent per digest.

    `actor` is the pusher's username ("" for anonymous), recorded in the audit trail with `address`.

    Raises ManifestInvalid, DigestInvalid, ManifestBlobUnknown, TagInvalid, NameUnknown.
    """
    validate_reference(reference)
    parsed = parse_manifest(content_type, payload)
    by_digest = is_digest(reference)
    digest = digest_of(payload, digest_algorithm(reference) if by_digest else CANONICAL_ALGORITHM)
    if by_digest and digest != reference:
        raise DigestInvalid(
            _("The manifest's digest is %(digest)s, not %(reference)s.")
            % {"digest": digest, "reference": reference},
            detail={"digest": reference},
        )
    repository = repository_get_or_create_for_push(name=repository_name)
    row = sql.fetch_one(_ARTIFACT_ID_SQL, [repository.pk, digest])
    if row is not None:
        artifact = Artifact(id=row[0], repository=repository, digest=digest, subject_digest=row[1])
    else:
        artifact = _artifact_create(repository, digest, parsed, payload)
    if not by_digest:
        tag_move(repository=repository, name=reference, artifact=artifact)
    audit_record(
        actor=actor or None,
        operation="create",
        resource_type="artifact",
        resource=f"{repository_name}@{digest}" if by_digest else f"{repository_name}:{reference}",
        project=Project(id=repository.project_id, name=project_name_of(repository_name)),
        address=address,
        detail={"digest": digest, "media_type": parsed.media_type},
    )
    return artifact


@transaction.atomic
def manifest_delete(
    *, repository_name: str, reference: str, actor: str = "", address: str | None = None
) -> None:
    """Delete a tag (by tag) or a manifest with all its tags (by digest), and audit it.

    Raises ManifestUnknown, NameUnknown, ManifestReferenced (a child of an index).
    """
    validate_reference(reference)
    if not is_digest(reference):
        deleted, _rows = Tag.objects.filter(repository__name=repository_name, name=reference).delete()
        if not deleted:
            artifact_get(repository_name=repository_name, reference=reference, with_manifest=False)
        project_id = Repository.objects.filter(name=repository_name).values_list("project_id", flat=True)[0]
        resource_type, resource = "tag", f"{repository_name}:{reference}"
    else:
        artifact = artifact_get(repository_name=repository_name, reference=reference, with_manifest=False)
        try:
            with transaction.atomic():
                artifact.delete()
        except RestrictedError:
            raise ManifestReferenced(detail={"digest": reference}) from None
        except Artifact.DoesNotExist:  # deleted concurrently
            raise ManifestUnknown(detail={"digest": reference}) from None
        project_id = artifact.repository.project_id
        resource_type, resource = "artifact", f"{repository_name}@{reference}"
    audit_record(
        actor=actor or None,
        operation="delete",
        resource_type=resource_type,
        resource=resource,
        project=Project(id=project_id, name=project_name_of(repository_name)),
        address=address,
    )
