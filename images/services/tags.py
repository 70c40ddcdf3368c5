"""Tags through the REST API: add a tag to an artifact, remove one."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from audit.services import audit_record
from harborpy.errors import BadRequest, Conflict, NotFound
from images.models import Artifact, Tag
from images.names import is_tag, project_name_of
from projects.models import Project


@transaction.atomic
def tag_create(*, artifact: Artifact, name: str, actor: Any, address: str | None = None) -> Tag:
    """Add the tag `name` to the artifact. Raises BadRequest, Conflict (the repository has that tag)."""
    if not is_tag(name):
        raise BadRequest(
            _("Invalid tag %(tag)s: use up to 128 letters, digits, _ . and -, not starting with . or -.")
            % {"tag": name[:200]}
        )
    repository = artifact.repository
    try:
        with transaction.atomic():
            tag = Tag.objects.create(repository=repository, artifact=artifact, name=name)
    except IntegrityError:
        raise Conflict(
            _("The tag %(tag)s already exists in %(repository)s.")
            % {"tag": name, "repository": repository.name}
        ) from None
    audit_record(
        actor=actor,
        operation="create",
        resource_type="tag",
        resource=f"{repository.name}:{name}",
        project=Project(id=repository.project_id, name=project_name_of(repository.name)),
        address=address,
    )
    return tag


@transaction.atomic
def tag_delete(*, artifact: Artifact, name: str, actor: Any, address: str | None = None) -> None:
    """Remove the tag `name` from the artifact (the artifact stays). Raises NotFound."""
    deleted, _rows = Tag.objects.filter(artifact=artifact, name=name).delete()
    if not deleted:
        raise NotFound(_("The artifact has no tag %(tag)s.") % {"tag": name[:200]})
    repository = artifact.repository
    audit_record(
        actor=actor,
        operation="delete",
        resource_type="tag",
        resource=f"{repository.name}:{name}",
        project=Project(id=repository.project_id, name=project_name_of(repository.name)),
        address=address,
    )
