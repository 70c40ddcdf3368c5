"""Labels: global ones and a project's, and adding them to artifacts."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from audit.services import audit_record
from harborpy.errors import BadRequest, Conflict, NotFound
from images.models import Artifact, ArtifactLabel, Label
from images.names import project_name_of
from projects.models import Project

NAME_MAX_LENGTH = 128
COLOR_MAX_LENGTH = 32


def _validate(*, name: str, color: str) -> None:
    if not name.strip() or len(name) > NAME_MAX_LENGTH:
        raise BadRequest(_("A label name is 1 to %(max)d characters.") % {"max": NAME_MAX_LENGTH})
    if len(color) > COLOR_MAX_LENGTH:
        raise BadRequest(_("A label color is at most %(max)d characters.") % {"max": COLOR_MAX_LENGTH})


def _exists(label: Label) -> Conflict:
    return Conflict(_("The label %(name)s already exists.") % {"name": label.name})


def _audit(label: Label, operation: str, actor: Any, address: str | None) -> None:
    audit_record(
        actor=actor,
        operation=operation,
        resource_type="label",
        resource=label.name,
        project=label.project,
        address=address,
        detail={"label_id": label.pk, "scope": label.scope},
    )


@transaction.atomic
def label_create(
    *,
    name: str,
    scope: str,
    project: Project | None,
    description: str = "",
    color: str = "",
    actor: Any,
    address: str | None = None,
) -> Label:
    """Create a global label (project None) or a project's. Raises BadRequest, Conflict."""
    _validate(name=name, color=color)
    label = Label(name=name, description=description, color=color, scope=scope, project=project)
    try:
        with transaction.atomic():
            label.save()
    except IntegrityError:
        raise _exists(label) from None
    _audit(label, "create", actor, address)
    return label


@transaction.atomic
def label_update(
    *,
    label: Label,
    name: str | None = None,
    description: str | None = None,
    color: str | None = None,
    actor: Any,
    address: str | None = None,
) -> Label:
    """Change a label's name, description or color (never its scope). Raises BadRequest, Conflict."""
    if name is not None:
        label.name = name
    if description is not None:
        label.description = description
    if color is not None:
        label.color = color
    _validate(name=label.name, color=label.color)
    try:
        with transaction.atomic():
            label.save(update_fields=["name", "description", "color", "updated_at"])
    except IntegrityError:
        raise _exists(label) from None
    _audit(label, "update", actor, address)
    return label


@transaction.atomic
def label_delete(*, label: Label, actor: Any, address: str | None = None) -> None:
    """Delete a label; it leaves every artifact it was added to."""
    _audit(label, "delete", actor, address)
    label.delete()


def _audit_artifact(
    artifact: Artifact, label: Label, operation: str, actor: Any, address: str | None
) -> None:
    repository = artifact.repository
    audit_record(
        actor=actor,
        operation=operation,
        resource_type="label",
        resource=f"{repository.name}@{artifact.digest}",
        project=Project(id=repository.project_id, name=project_name_of(repository.name)),
        address=address,
        detail={"label_id": label.pk, "label": label.name},
    )


@transaction.atomic
def artifact_label_add(*, artifact: Artifact, label: Label, actor: Any, address: str | None = None) -> None:
    """Add a global label, or a label of the artifact's project, to the artifact.

    Raises NotFound (another project's label), Conflict (already added).
    """
    if label.scope == Label.Scope.PROJECT and label.project_id != artifact.repository.project_id:
        raise NotFound(_("Label %(id)s not found in this project.") % {"id": label.pk})
    try:
        with transaction.atomic():
            ArtifactLabel.objects.create(artifact=artifact, label=label)
    except IntegrityError:
        raise Conflict(_("The artifact already has the label %(name)s.") % {"name": label.name}) from None
    _audit_artifact(artifact, label, "create", actor, address)


@transaction.atomic
def artifact_label_remove(
    *, artifact: Artifact, label: Label, actor: Any, address: str | None = None
) -> None:
    """Remove a label from the artifact. Raises NotFound (the artifact does not have it)."""
    deleted, _rows = ArtifactLabel.objects.filter(artifact=artifact, label=label).delete()
    if not deleted:
        raise NotFound(_("The artifact does not have the label %(id)s.") % {"id": label.pk})
    _audit_artifact(artifact, label, "delete", actor, address)
