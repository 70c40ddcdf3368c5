"""Writes on projects, and the bootstrap of the system admin."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import audit_record
from harborpy.errors import BadRequest, Conflict
from projects.errors import PreconditionFailed
from projects.models import PROJECT_NAME_RE, UNLIMITED, Project, Role
from projects.services.members import member_set_role

_PROJECT_NAME = re.compile(PROJECT_NAME_RE)


def _validate_limit(storage_limit: int) -> int:
    if storage_limit < UNLIMITED:
        raise BadRequest(_("The storage quota must be -1 (unlimited) or a number of bytes."))
    return storage_limit


@transaction.atomic
def project_create(
    *, name: str, is_public: bool, owner: Any, storage_limit: int = UNLIMITED, address: str | None = None
) -> Project:
    """Create a project; its creator becomes its Project Admin. Raises BadRequest, Conflict."""
    if not _PROJECT_NAME.match(name) or len(name) > 255:
        raise BadRequest(
            _("Invalid project name %(name)s: use lowercase letters, digits and . _ - separators.")
            % {"name": name}
        )
    if Project.objects.filter(name__iexact=name).exists():
        raise Conflict(_("The project %(name)s already exists.") % {"name": name})
    project = Project.objects.create(
        name=name,
        is_public=is_public,
        owner=owner if owner is not None and owner.pk else None,
        storage_limit=_validate_limit(storage_limit),
    )
    if project.owner_id:
        member_set_role(project=project, role=Role.PROJECT_ADMIN, user=owner, actor=owner, address=address)
    audit_record(
        actor=owner,
        operation="create",
        resource_type="project",
        resource=name,
        project=project,
        address=address,
    )
    return project


@transaction.atomic
def project_update(
    *,
    project: Project,
    actor: Any,
    is_public: bool | None = None,
    storage_limit: int | None = None,
    address: str | None = None,
) -> Project:
    """Change a project's visibility or quota."""
    changes = {}
    if is_public is not None and is_public != project.is_public:
        project.is_public = changes["public"] = is_public
    if storage_limit is not None and storage_limit != project.storage_limit:
        project.storage_limit = changes["storage_limit"] = _validate_limit(storage_limit)
    if changes:
        project.save(update_fields=["is_public", "storage_limit", "updated_at"])
        audit_record(
            actor=actor,
            operation="update",
            resource_type="project",
            resource=project.name,
            project=project,
            address=address,
            detail=changes,
        )
    return project


@transaction.atomic
def project_delete(*, project: Project, actor: Any, address: str | None = None) -> None:
    """Delete an empty project. Raises PreconditionFailed while it holds repositories."""
    # `repositories` is the reverse relation of images.Repository: asked here without importing
    # the higher app.
    if project.repositories.exists():
        raise PreconditionFailed(
            _("The project %(name)s still holds repositories: delete them first.") % {"name": project.name}
        )
    audit_record(
        actor=actor,
        operation="delete",
        resource_type="project",
        resource=project.name,
        project=project,
        address=address,
    )
    project.delete()


@transaction.atomic
def system_admin_ensure(*, username: str, password: str) -> tuple[Any, bool]:
    """Create the system admin `username` if absent; returns (user, created). Never resets a password."""
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is not None:
        return user, False
    user = User.objects.create_superuser(username=username, email="", password=password)
    return user, True
