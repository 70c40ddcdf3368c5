"""Writes on projects (and, until the identity issue, the system admin bootstrap)."""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from harborpy.errors import BadRequest, Conflict
from projects.models import PROJECT_NAME_RE, Project

_PROJECT_NAME = re.compile(PROJECT_NAME_RE)


@transaction.atomic
def project_create(*, name: str, is_public: bool, owner: AbstractBaseUser | None) -> Project:
    """Create a project. Raises BadRequest (name) or Conflict (exists)."""
    if not _PROJECT_NAME.match(name) or len(name) > 255:
        raise BadRequest(
            _("Invalid project name %(name)s: use lowercase letters, digits and . _ - separators.")
            % {"name": name}
        )
    if Project.objects.filter(name__iexact=name).exists():
        raise Conflict(_("The project %(name)s already exists.") % {"name": name})
    return Project.objects.create(name=name, is_public=is_public, owner=owner)


@transaction.atomic
def system_admin_ensure(*, username: str, password: str) -> tuple[AbstractBaseUser, bool]:
    """Create the system admin `username` if absent; returns (user, created). Never resets a password."""
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is not None:
        return user, False
    user = User.objects.create_superuser(username=username, email="", password=password)
    return user, True
