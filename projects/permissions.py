"""The only place that decides who may do what.

Every interface asks here: the registry token service (turning requested scopes into granted
actions), `/v2/` with Basic or anonymous callers, the REST API and the admin site.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from projects.models import Project

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    AnyUser = AbstractBaseUser | AnonymousUser


class Action(StrEnum):
    """Project-level actions; the values are the guardian codenames on Project."""

    PULL = "pull_project"
    PUSH = "push_project"
    DELETE = "delete_project_artifact"
    ADMIN = "admin_project"


# Distribution token scope actions -> project actions.
REGISTRY_ACTIONS: dict[str, Action] = {
    "pull": Action.PULL,
    "push": Action.PUSH,
    "delete": Action.DELETE,
}


def is_system_admin(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_superuser)


def can(user: AnyUser, action: Action, project: Project) -> bool:
    """Whether `user` may perform `action` on `project`."""
    if action is Action.PULL and project.is_public:
        return True
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    # Until project membership and roles land (issue 3), every authenticated user may pull from
    # and push to every project; deleting and administering stay with system admins.
    return action in (Action.PULL, Action.PUSH)


def registry_actions_granted(user: AnyUser, project: Project | None, requested: set[str]) -> set[str]:
    """The subset of requested registry scope actions ("pull", "push", "delete", "*") granted."""
    if project is None:
        return set()
    granted = set()
    for name in requested:
        if name == "*":
            if is_system_admin(user):
                granted.add("*")
        elif (action := REGISTRY_ACTIONS.get(name)) is not None and can(user, action, project):
            granted.add(name)
    return granted


def projects_visible_to(user: AnyUser) -> QuerySet[Project]:
    """Projects whose existence and content `user` may see."""
    if is_system_admin(user) or (user.is_authenticated and user.is_active):
        # Transitional (see can()): authenticated users see every project until roles exist.
        return Project.objects.all()
    return Project.objects.filter(Q(is_public=True))
