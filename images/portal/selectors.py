"""Reads of the portal's pages, always scoped by projects.permissions.projects_visible_to."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, F, IntegerField, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.selectors import audit_event_list
from harborpy.errors import HarborError
from images import blobstore
from images.manifests import Descriptor, ParsedManifest, parse_manifest
from images.models import Artifact, ArtifactReference, Repository, Tag
from images.selectors import blob_get, referrers_list
from projects.models import Project, Role
from projects.permissions import projects_visible_to

# The artifact page shows a config blob whole up to this size (an image config with a long
# history is tens of KiB; anything bigger is not meant to be read in a browser).
CONFIG_SHOWN_MAX_BYTES = 1024 * 1024
# Harbor's order of power: a member with several roles (itself and through groups) is shown the first.
ROLE_POWER = [Role.PROJECT_ADMIN, Role.MAINTAINER, Role.DEVELOPER, Role.GUEST, Role.LIMITED_GUEST]


def highest_role(roles: list[int]) -> Role | None:
    return next((role for role in ROLE_POWER if role in roles), None)


def project_visible_get(*, principal: Any, name: str) -> Project | None:
    """The project called `name` if `principal` may see it (with its owner and `repo_count`), else None."""
    return (
        projects_visible_to(principal)
        .filter(name=name)
        .select_related("owner")
        .annotate(repo_count=Count("repositories", distinct=True))
        .first()
    )


def _listed(artifacts: QuerySet[Artifact]) -> QuerySet[Artifact]:
    """The artifacts a repository page lists: not an index's children, nor the referrers (signatures,
    SBOMs) of another artifact of the repository, which appear on that artifact's page; unless tagged."""
    tagged = Tag.objects.filter(artifact=OuterRef("pk"))
    child = ArtifactReference.objects.filter(child=OuterRef("pk"))
    subject_here = Artifact.objects.filter(
        repository=OuterRef("repository"), digest=OuterRef("subject_digest")
    )
    return artifacts.filter(Q(Exists(tagged)) | ~(Q(Exists(child)) | Q(Exists(subject_here))))


def repository_list(*, project: Project, name: str = "") -> QuerySet[Repository]:
    """The project's repositories by name, with `artifact_count` (the artifacts its page lists) and
    `update_time` (the last push or tag move); `name` matches a part of the name."""
    repositories = Repository.objects.filter(project=project)
    if name:
        repositories = repositories.filter(name__icontains=name)
    artifacts = (
        _listed(Artifact.objects.filter(repository=OuterRef("pk")))
        .order_by()
        .values("repository")
        .annotate(n=Count("pk"))
    )
    last_push = (
        Artifact.objects.filter(repository=OuterRef("pk"))
        .order_by()
        .values("repository")
        .annotate(t=Max("pushed_at"))
    )
    last_tag = (
        Tag.objects.filter(repository=OuterRef("pk"))
        .order_by()
        .values("repository")
        .annotate(t=Max("updated_at"))
    )
    return repositories.annotate(
        artifact_count=Coalesce(Subquery(artifacts.values("n"), output_field=IntegerField()), 0),
        # Every term is non-NULL: SQLite's MAX() of a NULL is NULL where PostgreSQL's GREATEST skips it.
        update_time=Greatest(
            F("updated_at"),
            Coalesce(Subquery(last_push.values("t")), F("created_at")),
            Coalesce(Subquery(last_tag.values("t")), F("created_at")),
        ),
    ).order_by("name")


def repository_visible_get(*, project: Project, name: str) -> Repository | None:
    """The repository `name` of the (visible) project, or None."""
    return Repository.objects.filter(project=project, name=name).first()


def _tags() -> Prefetch:
    return Prefetch("tags", queryset=Tag.objects.only("name", "artifact_id", "updated_at").order_by("name"))


def artifact_list(*, repository: Repository) -> QuerySet[Artifact]:
    """The artifacts the repository's page lists (_listed), newest first, with their tags and
    `referrer_count`, without their manifests."""
    referrers = (
        Artifact.objects.filter(repository=repository, subject_digest=OuterRef("digest"))
        .order_by()
        .values("subject_digest")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        _listed(Artifact.objects.filter(repository=repository))
        .defer("manifest")
        .annotate(referrer_count=Coalesce(Subquery(referrers, output_field=IntegerField()), 0))
        .prefetch_related(_tags())
        .order_by("-pushed_at", "-pk")
    )


def artifact_visible_get(*, repository: Repository, digest: str) -> Artifact | None:
    """The artifact `digest` of the (visible) repository, with its manifest and tags, or None."""
    return Artifact.objects.filter(repository=repository, digest=digest).prefetch_related(_tags()).first()


def tag_visible_get(*, repository: Repository, name: str) -> Tag | None:
    return Tag.objects.filter(repository=repository, name=name).select_related("artifact").first()


def audit_events_of(*, project: Project) -> QuerySet[AuditEvent]:
    """The project's audit trail, newest first."""
    return audit_event_list(project_ids=[project.pk]).order_by("-created_at", "-pk")


@dataclass
class ArtifactContent:
    """What the artifact page shows of an artifact's manifest and config."""

    manifest_text: str
    parsed: ParsedManifest | None
    config_text: str = ""
    config_note: str = ""
    layers: tuple[Descriptor, ...] = ()
    referrers: list[Artifact] = field(default_factory=list)
    children: list[ArtifactReference] = field(default_factory=list)


def _pretty_json(raw: bytes) -> str | None:
    try:
        return json.dumps(json.loads(raw), indent=2, ensure_ascii=False)
    except ValueError:  # also UnicodeDecodeError
        return None


def _config(repository: Repository, descriptor: Descriptor) -> tuple[str, str]:
    """The config blob as pretty JSON, or a note saying why it is not shown."""
    if descriptor.is_empty_json:
        return "{}", ""
    if descriptor.size > CONFIG_SHOWN_MAX_BYTES:
        return "", _("The config is too large to show here (%(size)s bytes).") % {"size": descriptor.size}
    try:
        blob = blob_get(repository_name=repository.name, digest=descriptor.digest)
        data = blobstore.blob_read_small(key=blob.storage_key, max_bytes=CONFIG_SHOWN_MAX_BYTES)
    except (HarborError, OSError):
        return "", _("The config blob is missing from the registry's storage.")
    text = _pretty_json(data)
    if text is None:
        return "", _("The config is not JSON (%(type)s).") % {"type": descriptor.media_type}
    return text, ""


_REFERRER_FIELDS = ("digest", "media_type", "artifact_type", "config_media_type", "size", "pushed_at")
_CHILD_FIELDS = ("digest", "media_type", "artifact_type", "config_media_type", "size")


def artifact_content(*, artifact: Artifact) -> ArtifactContent:
    """The artifact's manifest (pretty JSON), layers, config, referrers and index children."""
    raw = bytes(artifact.manifest)
    manifest_text = _pretty_json(raw) or raw.decode(errors="replace")
    try:
        parsed: ParsedManifest | None = parse_manifest(artifact.media_type, raw)
    except HarborError:  # stored before a stricter parser: still shown, not taken apart
        parsed = None
    content = ArtifactContent(manifest_text=manifest_text, parsed=parsed)
    if parsed is not None:
        content.layers = parsed.layers
        if parsed.config is not None:
            content.config_text, content.config_note = _config(artifact.repository, parsed.config)
    referrers = referrers_list(repository_name=artifact.repository.name, digest=artifact.digest)
    content.referrers = list(referrers.only(*_REFERRER_FIELDS))
    content.children = list(
        ArtifactReference.objects.filter(parent=artifact)
        .select_related("child")
        .only("platform", *(f"child__{name}" for name in _CHILD_FIELDS))
        .order_by("pk")
    )
    return content
