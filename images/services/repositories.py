"""Repositories come into being with the first push into them."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from images.errors import NameUnknown
from images.models import Repository
from images.names import project_name_of
from projects.models import Project


def repository_get_or_create_for_push(*, name: str) -> Repository:
    """The repository `name`, created on first push; raises NameUnknown if its project does not exist."""
    repository = Repository.objects.filter(name=name).first()
    if repository is not None:
        return repository
    project_name = project_name_of(name)
    project = Project.objects.filter(name=project_name).first()
    if project is None:
        raise NameUnknown(
            _("Project %(project)s does not exist: create it before pushing.") % {"project": project_name},
            detail={"name": name, "project": project_name},
        )
    with transaction.atomic():
        repository, _created = Repository.objects.get_or_create(name=name, defaults={"project": project})
    return repository
