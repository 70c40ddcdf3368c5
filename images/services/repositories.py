"""Repositories come into being with the first push into them."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from harborpy import sql
from images.errors import NameUnknown
from images.models import Repository
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
