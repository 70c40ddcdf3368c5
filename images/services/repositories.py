"""Repositories: created by the first push into them, described and deleted through the REST API."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import audit_record
from harborpy import sql
from images.errors import NameUnknown
from images.models import ArtifactReference, Repository
from images.names import project_name_of
from projects.models import Project
from projects.selectors import project_get_by_name

_REPOSITORY_SQL = (
    f"SELECT r.id, r.project_id, p.storage_limit FROM {sql.table(Repository)} r "  # noqa: S608
    f"JOIN {sql.table(Project)} p ON p.id = r.project_id WHERE r.name = %s"
)


def repository_get_or_create_for_push(*, name: str) -> Repository:
    """The repository `name`, created on first push; raises NameUnknown if its project does not exist.

    The repository carries `storage_limit`, its project's quota, for the push to check.
    """
    # Every upload and manifest push asks: one indexed lookup, written out (see harborpy/sql.py).
    row = sql.fetch_one(_REPOSITORY_SQL, [name])
    if row is not None:
        repository = Repository(id=row[0], project_id=row[1], name=name)
        repository.storage_limit = row[2]
        return repository
    project_name = project_name_of(name)
    project = project_get_by_name(project_name)
    if project is None:
        raise NameUnknown(
            _("Project %(project)s does not exist: create it before pushing.") % {"project": project_name},
            detail={"name": name, "project": project_name},
        )
    with transaction.atomic():
        repository, _created = Repository.objects.get_or_create(name=name, defaults={"project": project})
    repository.storage_limit = project.storage_limit
    return repository


@transaction.atomic
def repository_update(
    *, repository: Repository, description: str, actor: Any, address: str | None = None
) -> Repository:
    """Change the repository's description."""
    repository.description = description
    repository.save(update_fields=["description", "updated_at"])
    audit_record(
        actor=actor,
        operation="update",
        resource_type="repository",
        resource=repository.name,
        project=Project(id=repository.project_id, name=project_name_of(repository.name)),
        address=address,
    )
    return repository


@transaction.atomic
def repository_delete(*, repository: Repository, actor: Any, address: str | None = None) -> None:
    """Delete the repository with its artifacts, tags and blob links; garbage collection frees the blobs."""
    # Indexes first, so that no reference to a child outlives it (the reference restricts).
    ArtifactReference.objects.filter(parent__repository=repository).delete()
    Repository.objects.filter(pk=repository.pk).delete()
    audit_record(
        actor=actor,
        operation="delete",
        resource_type="repository",
        resource=repository.name,
        project=Project(id=repository.project_id, name=project_name_of(repository.name)),
        address=address,
    )
