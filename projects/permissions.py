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

# Harbor's robot access items (resource, action) -> project actions. Only these may be given to a
# robot: Harbor's other items name features harborpy does not have, or rights (project settings,
# members, robots) that are the project admin's alone.
ROBOT_ACCESS: dict[tuple[str, str], Action] = {
    ("repository", "pull"): Action.PULL,
    ("repository", "push"): Action.PUSH,
    ("repository", "delete"): Action.DELETE,
    ("artifact", "delete"): Action.DELETE,
    ("tag", "delete"): Action.DELETE,
    ("member", "read"): Action.READ_MEMBERS,
    ("member", "list"): Action.READ_MEMBERS,
    ("log", "list"): Action.READ_LOGS,
}
# How a robot's actions are shown back: one access item for each.
ROBOT_ACCESS_OF: dict[Action, tuple[str, str]] = {
    Action.PULL: ("repository", "pull"),
    Action.PUSH: ("repository", "push"),
    Action.DELETE: ("repository", "delete"),
    Action.READ_MEMBERS: ("member", "read"),
    Action.READ_LOGS: ("log", "list"),
}

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
# A robot's grant in the project and, for a system robot covering every project, its grant there.
_ROBOT_ACTIONS_SQL = (
    f"SELECT actions FROM {sql.table(RobotPermission)} "  # noqa: S608
    "WHERE robot_id = %s AND (project_id = %s OR project_id IS NULL)"
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
        rows = sql.fetch_all(_ROBOT_ACTIONS_SQL, [principal.pk, project.pk])
        granted = {Action(a) for (actions,) in rows for a in sql.json_value(actions) if a in ALL_ACTIONS}
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
        if RobotPermission.objects.filter(robot=principal, project__isnull=True).exists():
            return Project.objects.all()  # a system robot covering every project
        own = RobotPermission.objects.filter(robot=principal).values("project_id")
        return Project.objects.filter(public | Q(pk__in=own))
    return Project.objects.filter(public | _granted_to_user(principal, Action.PULL))


def _granted_to_user(user: Any, action: Action) -> Q:
    """Projects where the user's roles (its own, or its groups') give `action`: guardian's tables."""
    granted = Q(permission__codename=action, permission__content_type__app_label="projects")
    as_user = ProjectUserObjectPermission.objects.filter(granted, user=user).values("content_object_id")
    as_group = ProjectGroupObjectPermission.objects.filter(granted, group__user=user).values(
        "content_object_id"
    )
    return Q(pk__in=as_user) | Q(pk__in=as_group)


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


def can_manage_ldap(principal: Any) -> bool:
    """Test an LDAP configuration, search the directory's users and groups, import its users."""
    return is_system_admin(principal)


def can_self_register(principal: Any) -> bool:
    return not principal.is_authenticated and system_settings().self_registration


def can_manage_robots(principal: Any, project: Project | None) -> bool:
    """Create and change robots: of a project for its admins, system robots for system admins."""
    if project is None:
        return is_system_admin(principal)
    return not is_robot(principal) and can(principal, Action.ADMIN, project)


def actions_delegable(principal: Any, project: Project | None, actions: set[Action]) -> bool:
    """Whether `principal` holds every one of `actions` in `project` (None: in every project, present
    and future), so it may give them to a robot."""
    if project is None:
        return is_system_admin(principal)
    return actions <= project_actions(principal, project)


def project_visible(principal: Any, project: Project, actions: frozenset[Action]) -> bool:
    """Whether `principal`, holding `actions` there, may know that `project` exists (as
    projects_visible_to decides for lists): else the REST API answers 404, never 403."""
    return project.is_public or bool(actions)


def can_read_robots(
    principal: Any, project: Project | None, actions: frozenset[Action] | None = None
) -> bool:
    """See robot accounts (never their secrets): of a project for its members from Guest up, as
    Harbor's roles read robots; system robots for system admins. `actions`: the principal's
    actions in `project`, when the caller knows them already."""
    if project is None:
        return is_system_admin(principal)
    if actions is None:
        actions = project_actions(principal, project)
    return not is_robot(principal) and Action.READ_MEMBERS in actions


def can_change_quota(principal: Any) -> bool:
    """Set a project's storage quota: quotas are the system admin's, in Harbor."""
    return is_system_admin(principal)


def projects_with_action(principal: Any, action: Action) -> QuerySet[Project]:
    """Projects where `principal` may perform `action` (public projects grant only pull)."""
    if action is Action.PULL:
        return projects_visible_to(principal)
    return projects_granting(principal, action)


def projects_granting(principal: Any, action: Action) -> QuerySet[Project]:
    """Projects where `principal` holds `action` through its roles, or as a system admin.

    Unlike projects_with_action, a public project gives nobody anything here: this is the set of
    projects a user is a member of (with `action`), which the admin site lists.
    """
    if not (principal.is_authenticated and principal.is_active):
        return Project.objects.none()
    if is_system_admin(principal):
        return Project.objects.all()
    if is_robot(principal):
        # A robot has a permission row per project, a handful at most; JSON lookups differ by database.
        rows = [row for row in RobotPermission.objects.filter(robot=principal) if str(action) in row.actions]
        if any(row.project_id is None for row in rows):
            return Project.objects.all()  # a system robot covering every project
        ids = [row.project_id for row in rows if principal.project_id in (None, row.project_id)]
        return Project.objects.filter(pk__in=ids)
    return Project.objects.filter(_granted_to_user(principal, action))


# --- The admin site ------------------------------------------------------------------------------
# A staff user works in the admin site on the projects it is a member of, with the actions its role
# gives there (ROLE_ACTIONS): a Guest sees the project, its members, content and logs; a Maintainer
# also deletes artifacts and tags; a Project Admin also changes the project, its members and robots.
# Users, groups, blobs, quotas, system robots and system settings are the system admins' alone.


def can_use_admin_site(principal: Any) -> bool:
    """Enter the admin site: active staff users (Django's rule); never a robot account."""
    return bool(
        principal.is_authenticated
        and principal.is_active
        and getattr(principal, "is_staff", False)
        and not is_robot(principal)
    )


def projects_administered_by(principal: Any) -> QuerySet[Project]:
    """Projects whose settings, members and robots `principal` manages."""
    return projects_with_action(principal, Action.ADMIN)


def holds(principal: Any, action: Action, project_id: int) -> bool:
    """Whether `principal`'s roles (or the system admin flag) give it `action` in the project.

    A public project gives nothing here, unlike can(): the admin site's per-object decision.
    """
    if is_system_admin(principal):
        return True
    return projects_granting(principal, action).filter(pk=project_id).exists()


def can_read_blobs(principal: Any) -> bool:
    """See blobs: they are shared by every project that links them, so system admins only."""
    return is_system_admin(principal)


def can_search_principals(principal: Any) -> bool:
    """Look users and groups up in the admin site to make them members: whoever administers a
    project (anyone logged in may search through the API, can_search_users; the admin site shows
    the search where it is of use, and never the user list itself, can_manage_users)."""
    return is_system_admin(principal) or (
        not is_robot(principal) and projects_administered_by(principal).exists()
    )


def can_read_all_audit_logs(principal: Any) -> bool:
    return is_system_admin(principal)


# --- Users, groups and system settings --------------------------------------------------------

AUTH_MODE_DB = "db_auth"
AUTH_MODE_LDAP = "ldap_auth"


def auth_mode() -> str:
    """Harbor's name for where passwords are checked: "ldap_auth" when LDAP is on, else "db_auth"."""
    return AUTH_MODE_LDAP if getattr(settings, "LDAP_ENABLED", False) else AUTH_MODE_DB


def is_user_itself(principal: Any, user: User) -> bool:
    """Whether `principal` is the person `user` (a robot never is, whatever its id)."""
    return (
        principal.is_authenticated
        and principal.is_active
        and not is_robot(principal)
        and principal.pk == user.pk
    )


def can_create_user(principal: Any) -> bool:
    """Local users are created by system admins, or by anonymous callers under self-registration.

    Harbor refuses local users while another authentication mode (LDAP) is on.
    """
    if auth_mode() != AUTH_MODE_DB:
        return False
    return is_system_admin(principal) or can_self_register(principal)


def can_read_user(principal: Any, user: User) -> bool:
    """A user's profile: the user itself and system admins."""
    return is_system_admin(principal) or is_user_itself(principal, user)


def can_edit_user(principal: Any, user: User) -> bool:
    """Change a user's profile or password: the user itself and system admins."""
    return is_system_admin(principal) or is_user_itself(principal, user)


def can_search_users(principal: Any) -> bool:
    """Look users and groups up by name (to add them as members): anyone logged in."""
    return bool(principal.is_authenticated and principal.is_active)


def can_manage_configurations(principal: Any) -> bool:
    """Read and change the system settings, read the volumes."""
    return is_system_admin(principal)


# The RBAC policies (resource, action) Harbor reports for a project scope, by the harborpy action
# that grants them. Resource "" is the project itself. Written from Harbor's role policies, for the
# resources harborpy has and as harborpy enforces them.
PROJECT_POLICIES: dict[Action, tuple[tuple[str, str], ...]] = {
    Action.PULL: (
        ("", "read"),
        ("quota", "read"),
        ("repository", "list"),
        ("repository", "pull"),
        ("configuration", "read"),
        ("tag", "list"),
        ("accessory", "list"),
        ("artifact", "read"),
        ("artifact", "list"),
        ("artifact-addition", "read"),
    ),
    Action.READ_MEMBERS: (
        ("member", "read"),
        ("member", "list"),
        ("label", "read"),
        ("label", "list"),
        ("repository", "read"),
        ("robot", "read"),
        ("robot", "list"),
    ),
    Action.READ_LOGS: (("log", "list"),),
    Action.PUSH: (
        ("repository", "create"),
        ("repository", "update"),
        ("repository", "push"),
        ("artifact", "create"),
        ("tag", "create"),
        ("artifact-label", "create"),
        ("artifact-label", "delete"),
    ),
    Action.DELETE: (("repository", "delete"), ("artifact", "delete"), ("tag", "delete")),
    Action.MANAGE_RULES: (
        ("metadata", "create"),
        ("metadata", "read"),
        ("metadata", "update"),
        ("metadata", "delete"),
        ("label", "create"),
        ("label", "update"),
        ("label", "delete"),
        ("immutable-tag", "create"),
        ("immutable-tag", "update"),
        ("immutable-tag", "delete"),
        ("immutable-tag", "list"),
        ("tag-retention", "create"),
        ("tag-retention", "read"),
        ("tag-retention", "update"),
        ("tag-retention", "delete"),
        ("tag-retention", "list"),
        ("tag-retention", "operate"),
    ),
    Action.ADMIN: (
        ("", "update"),
        ("", "delete"),
        ("member", "create"),
        ("member", "update"),
        ("member", "delete"),
        ("robot", "create"),
        ("robot", "update"),
        ("robot", "delete"),
        ("configuration", "update"),
    ),
}

# The system-scope policies of a system admin, for the resources harborpy has.
SYSTEM_POLICIES: tuple[tuple[str, str], ...] = (
    ("audit-log", "list"),
    ("configuration", "read"),
    ("configuration", "update"),
    ("project", "create"),
    ("project", "list"),
    ("registry", "create"),
    ("registry", "read"),
    ("registry", "update"),
    ("registry", "delete"),
    ("registry", "list"),
    ("replication", "create"),
    ("replication", "read"),
    ("replication", "list"),
    ("replication-policy", "create"),
    ("replication-policy", "read"),
    ("replication-policy", "update"),
    ("replication-policy", "delete"),
    ("replication-policy", "list"),
    ("robot", "create"),
    ("robot", "read"),
    ("robot", "update"),
    ("robot", "delete"),
    ("robot", "list"),
    ("system-volumes", "read"),
    ("user", "create"),
    ("user", "read"),
    ("user", "update"),
    ("user", "delete"),
    ("user", "list"),
    ("user-group", "create"),
    ("user-group", "read"),
    ("user-group", "update"),
    ("user-group", "delete"),
    ("user-group", "list"),
)


def project_policies(principal: Any, project: Project) -> list[tuple[str, str]]:
    """Harbor's (resource, action) policies `principal` holds in `project`, resources relative to it."""
    actions = project_actions(principal, project)
    policies: dict[tuple[str, str], None] = {}
    for action in Action:  # in the order of the enum, so the answer is stable
        if action in actions:
            policies.update(dict.fromkeys(PROJECT_POLICIES[action]))
    return list(policies)


def system_policies(principal: Any) -> list[tuple[str, str]]:
    """Harbor's (resource, action) policies `principal` holds in the system scope."""
    if is_system_admin(principal):
        return list(SYSTEM_POLICIES)
    if can_create_project(principal):
        return [("project", "create")]
    return []


def can_manage_labels(principal: Any, project: Project | None) -> bool:
    """Create, change and delete labels: global ones (project None) for system admins, a project's
    for its Maintainers and above (Harbor's label create/update/delete, which a Developer lacks)."""
    if project is None:
        return is_system_admin(principal)
    return Action.MANAGE_RULES in project_actions(principal, project)


def can_read_all_statistics(principal: Any) -> bool:
    """The totals of /statistics (every project, repository and byte) are for system admins."""
    return is_system_admin(principal)
