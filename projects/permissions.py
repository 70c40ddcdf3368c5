"""The only place that decides who may do what.

Every interface asks here: the registry token service (turning requested scopes into granted
actions), `/v2/` with Basic or anonymous callers, the REST API and the admin site.

Principals are users (from the database or LDAP), robot accounts and anonymous callers. A user's
rights in a project are the django-guardian permissions its roles granted (projects.services.
member_set_role), to the user or to any of its groups; a robot's are its explicit list; system
admins may do everything; anyone may pull from a public project.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import Permission
from django.db.models import Q, QuerySet

from harborpy import sql
from projects.models import (
    Project,
    ProjectGroupObjectPermission,
    ProjectUserObjectPermission,
    Robot,
    RobotPermission,
    Role,
    SystemSettings,
    User,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    Principal = User | Robot | AnonymousUser


class Action(StrEnum):
    """Project-level actions; the values are the guardian codenames on Project."""

    PULL = "pull_project"
    READ_MEMBERS = "read_project_members"
    READ_LOGS = "read_project_logs"
    PUSH = "push_project"
    DELETE = "delete_project_artifact"
    MANAGE_RULES = "manage_project_rules"
    ADMIN = "admin_project"


_LIMITED_GUEST = frozenset({Action.PULL})
_GUEST = _LIMITED_GUEST | {Action.READ_MEMBERS, Action.READ_LOGS}
_DEVELOPER = _GUEST | {Action.PUSH}
_MAINTAINER = _DEVELOPER | {Action.DELETE, Action.MANAGE_RULES}
_PROJECT_ADMIN = _MAINTAINER | {Action.ADMIN}

# Harbor's permission matrix, as bundles of actions per role.
ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.LIMITED_GUEST: _LIMITED_GUEST,
    Role.GUEST: _GUEST,
    Role.DEVELOPER: _DEVELOPER,
    Role.MAINTAINER: _MAINTAINER,
    Role.PROJECT_ADMIN: _PROJECT_ADMIN,
}
ALL_ACTIONS = frozenset(Action)

# Distribution token scope actions -> project actions.
REGISTRY_ACTIONS: dict[str, Action] = {"pull": Action.PULL, "push": Action.PUSH, "delete": Action.DELETE}

# A user's actions in a project, from guardian's tables: the user's own permissions and those of
# its groups. One indexed query, run once per token the user asks for (see harborpy/sql.py).
_USER_ACTIONS_SQL = (
    f"SELECT p.codename FROM {sql.table(ProjectUserObjectPermission)} up "  # noqa: S608
    f"JOIN {sql.table(Permission)} p ON p.id = up.permission_id "
    "WHERE up.content_object_id = %s AND up.user_id = %s "
    f"UNION SELECT p.codename FROM {sql.table(ProjectGroupObjectPermission)} gp "
    f"JOIN {sql.table(Permission)} p ON p.id = gp.permission_id "
    "WHERE gp.content_object_id = %s AND gp.group_id IN "
    f"(SELECT group_id FROM {sql.table(User.groups.through)} WHERE user_id = %s)"
)
# The same, for a project named in a token request: the project and the user's actions at once.
_PROJECT_AND_USER_ACTIONS_SQL = (
    "SELECT pr.id, pr.is_public, pr.storage_limit, granted.codename "  # noqa: S608
    f"FROM {sql.table(Project)} pr LEFT JOIN ("
    f"SELECT up.content_object_id AS project_id, p.codename FROM {sql.table(ProjectUserObjectPermission)} up "
    f"JOIN {sql.table(Permission)} p ON p.id = up.permission_id WHERE up.user_id = %s "
    f"UNION SELECT gp.content_object_id, p.codename FROM {sql.table(ProjectGroupObjectPermission)} gp "
    f"JOIN {sql.table(Permission)} p ON p.id = gp.permission_id WHERE gp.group_id IN "
    f"(SELECT group_id FROM {sql.table(User.groups.through)} WHERE user_id = %s)"
    ") granted ON granted.project_id = pr.id WHERE pr.name = %s"
)
_PROJECT_BY_NAME_SQL = f"SELECT id, is_public, storage_limit FROM {sql.table(Project)} WHERE name = %s"  # noqa: S608
_ROBOT_ACTIONS_SQL = (
    f"SELECT actions FROM {sql.table(RobotPermission)} WHERE robot_id = %s AND project_id = %s"  # noqa: S608
)


def is_robot(principal: Any) -> bool:
    return bool(getattr(principal, "is_robot", False))


def is_system_admin(principal: Any) -> bool:
    return bool(
        principal.is_authenticated
        and principal.is_active
        and principal.is_superuser
        and not is_robot(principal)
    )


def project_actions(principal: Any, project: Project) -> frozenset[Action]:
    """Every action `principal` may perform in `project` (at most one indexed query)."""
    public = frozenset({Action.PULL}) if project.is_public else frozenset()
    if not (principal.is_authenticated and principal.is_active):
        return public
    if is_system_admin(principal):
        return ALL_ACTIONS
    if is_robot(principal):
        if principal.project_id not in (None, project.pk):
            return public  # a project robot acts in its own project only
        row = sql.fetch_one(_ROBOT_ACTIONS_SQL, [principal.pk, project.pk])
        granted = {Action(a) for a in sql.json_value(row[0]) if a in ALL_ACTIONS} if row else set()
        return public | granted
    codenames = sql.fetch_all(_USER_ACTIONS_SQL, [project.pk, principal.pk, project.pk, principal.pk])
    return public | {Action(codename) for (codename,) in codenames if codename in ALL_ACTIONS}


def project_with_actions(principal: Any, project_name: str) -> tuple[Project | None, frozenset[Action]]:
    """The project called `project_name` and `principal`'s actions in it, in one query for a user.

    The token service asks this once per scope: a `docker pull` or `push` costs one indexed query.
    """
    if (
        principal.is_authenticated
        and principal.is_active
        and not (is_system_admin(principal) or is_robot(principal))
    ):
        rows = sql.fetch_all(_PROJECT_AND_USER_ACTIONS_SQL, [principal.pk, principal.pk, project_name])
        if not rows:
            return None, frozenset()
        project = Project(
            id=rows[0][0], name=project_name, is_public=bool(rows[0][1]), storage_limit=rows[0][2]
        )
        granted = {Action(codename) for *_project, codename in rows if codename in ALL_ACTIONS}
        return project, frozenset(granted | ({Action.PULL} if project.is_public else set()))
    row = sql.fetch_one(_PROJECT_BY_NAME_SQL, [project_name])
    if row is None:
        return None, frozenset()
    project = Project(id=row[0], name=project_name, is_public=bool(row[1]), storage_limit=row[2])
    return project, project_actions(principal, project)


def can(principal: Any, action: Action, project: Project) -> bool:
    """Whether `principal` may perform `action` on `project`."""
    return action in project_actions(principal, project)


def registry_actions_granted(principal: Any, project_name: str, requested: set[str]) -> set[str]:
    """The subset of requested registry scope actions ("pull", "push", "delete", "*") granted."""
    project, actions = project_with_actions(principal, project_name)
    if project is None:
        return set()
    granted = {name for name in requested if REGISTRY_ACTIONS.get(name) in actions}
    if "*" in requested and is_system_admin(principal):
        granted.add("*")
    return granted


def projects_visible_to(principal: Any) -> QuerySet[Project]:
    """Projects whose existence and content `principal` may see: public ones and its own."""
    public = Q(is_public=True)
    if not (principal.is_authenticated and principal.is_active):
        return Project.objects.filter(public)
    if is_system_admin(principal):
        return Project.objects.all()
    if is_robot(principal):
        own = RobotPermission.objects.filter(robot=principal).values("project_id")
        return Project.objects.filter(public | Q(pk__in=own))
    pull = Q(permission__codename=Action.PULL, permission__content_type__app_label="projects")
    as_user = ProjectUserObjectPermission.objects.filter(pull, user=principal).values("content_object_id")
    as_group = ProjectGroupObjectPermission.objects.filter(pull, group__user=principal).values(
        "content_object_id"
    )
    return Project.objects.filter(public | Q(pk__in=as_user) | Q(pk__in=as_group))


def system_settings() -> SystemSettings:
    """The run-time system settings (defaults from the environment until an admin saves them)."""
    return SystemSettings.objects.filter(pk=1).first() or SystemSettings(
        pk=1,
        self_registration=settings.SELF_REGISTRATION,
        project_creation_restriction=settings.PROJECT_CREATION_RESTRICTION,
    )


def can_create_project(principal: Any) -> bool:
    if is_system_admin(principal):
        return True
    if is_robot(principal) or not (principal.is_authenticated and principal.is_active):
        return False
    return system_settings().project_creation_restriction == SystemSettings.ProjectCreation.EVERYONE


def can_manage_users(principal: Any) -> bool:
    """Create, disable and delete users, reset their passwords, grant the admin flag; manage groups."""
    return is_system_admin(principal)


def can_self_register(principal: Any) -> bool:
    return not principal.is_authenticated and system_settings().self_registration


def can_manage_robots(principal: Any, project: Project | None) -> bool:
    """Create and change robots: of a project for its admins, system robots for system admins."""
    if project is None:
        return is_system_admin(principal)
    return not is_robot(principal) and can(principal, Action.ADMIN, project)


def actions_delegable(principal: Any, project: Project, actions: set[Action]) -> bool:
    """Whether `principal` holds every one of `actions` in `project`, so it may give them to a robot."""
    return actions <= project_actions(principal, project)


def projects_with_action(principal: Any, action: Action) -> QuerySet[Project]:
    """Projects where `principal` may perform `action` (public projects grant only pull)."""
    if action is Action.PULL:
        return projects_visible_to(principal)
    if not (principal.is_authenticated and principal.is_active):
        return Project.objects.none()
    if is_system_admin(principal):
        return Project.objects.all()
    if is_robot(principal):
        # A robot has a permission row per project, a handful at most; JSON lookups differ by database.
        ids = [
            row.project_id
            for row in RobotPermission.objects.filter(robot=principal)
            if str(action) in row.actions and principal.project_id in (None, row.project_id)
        ]
        return Project.objects.filter(pk__in=ids)
    granted = Q(permission__codename=action, permission__content_type__app_label="projects")
    as_user = ProjectUserObjectPermission.objects.filter(granted, user=principal).values("content_object_id")
    as_group = ProjectGroupObjectPermission.objects.filter(granted, group__user=principal).values(
        "content_object_id"
    )
    return Project.objects.filter(Q(pk__in=as_user) | Q(pk__in=as_group))


def can_read_all_audit_logs(principal: Any) -> bool:
    return is_system_admin(principal)


def can_manage_labels(principal: Any, project: Project | None) -> bool:
    """Create, change and delete labels: global ones (project None) for system admins, a project's
    for its Maintainers and above (Harbor's label create/update/delete, which a Developer lacks)."""
    if project is None:
        return is_system_admin(principal)
    return Action.MANAGE_RULES in project_actions(principal, project)


def can_read_all_statistics(principal: Any) -> bool:
    """The totals of /statistics (every project, repository and byte) are for system admins."""
    return is_system_admin(principal)
