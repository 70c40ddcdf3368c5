"""Reads of projects."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce

from harborpy import query, sql
from projects.models import Project, ProjectMember, Robot, RobotPermission
from projects.permissions import auth_mode, projects_visible_to, system_settings

# Every anonymous or Basic-authenticated registry request looks its project up: written out
# (see harborpy/sql.py).
_PROJECT_BY_NAME_SQL = f"SELECT id, name, is_public, storage_limit FROM {sql.table(Project)} WHERE name = %s"  # noqa: S608


def project_get_by_name(name: str) -> Project | None:
    """The project called `name` (id, name, public flag and quota only), or None."""
    row = sql.fetch_one(_PROJECT_BY_NAME_SQL, [name])
    if row is None:
        return None
    return Project(id=row[0], name=row[1], is_public=bool(row[2]), storage_limit=row[3])


def principal_by_username(username: str) -> Any:
    """The active user or usable robot called `username`, or None (for a token's subject)."""
    if username.startswith(Robot.PREFIX):
        robot = Robot.objects.filter(username=username).first()
        return robot if robot is not None and robot.is_usable() else None
    return get_user_model().objects.filter(username=username, is_active=True).first()


# Harbor's project list filters: its `q` keys (key -> field and type) and its sort keys.
PROJECT_QUERY_FIELDS = {
    "name": query.Field("name"),
    "public": query.Field("is_public", "bool"),
    "owner": query.Field("owner__username"),
    "project_id": query.Field("pk", "int"),
}
PROJECT_SORT_FIELDS = {
    "name": "name",
    "creation_time": "created_at",
    "update_time": "updated_at",
    "project_id": "pk",
}


def project_list(
    *,
    principal: Any,
    q: str = "",
    sort: str = "",
    name: str = "",
    owner: str = "",
    public: bool | None = None,
) -> QuerySet[Project]:
    """Projects `principal` may see, with their owner and `repo_count`, filtered as Harbor's list is
    (its `q` and `sort`, a part of the name, the owner's username, the visibility); by name unless sorted.

    Raises BadRequest for a malformed q or sort.
    """
    projects = query.query_filter(projects_visible_to(principal), q, PROJECT_QUERY_FIELDS)
    if name:
        projects = projects.filter(name__icontains=name)
    if owner:
        projects = projects.filter(owner__username=owner)
    if public is not None:
        projects = projects.filter(is_public=public)
    # `repositories` is images.Repository's reverse relation: counted without importing the higher app.
    projects = projects.select_related("owner").annotate(repo_count=Count("repositories", distinct=True))
    return query.query_sort(projects, sort, PROJECT_SORT_FIELDS, ["name", "pk"])


def project_find(*, name: str | None = None, pk: int | None = None) -> Project | None:
    """The project with this name or id (with its owner and `repo_count`), whoever asks, or None."""
    lookup = {"name": name} if name is not None else {"pk": pk}
    return (
        Project.objects.filter(**lookup)
        .select_related("owner")
        .annotate(repo_count=Count("repositories", distinct=True))
        .first()
    )


def project_exists(*, name: str) -> bool:
    return Project.objects.filter(name=name).exists()


def member_roles(*, principal: Any, project_ids: Iterable[int]) -> dict[int, list[int]]:
    """The roles `principal` holds in each project, itself or through its groups (one query)."""
    if not principal.is_authenticated or getattr(principal, "is_robot", False):
        return {}
    rows = (
        ProjectMember.objects.filter(project_id__in=list(project_ids))
        .filter(Q(user=principal) | Q(group__user=principal))
        .values_list("project_id", "role")
        .distinct()
    )
    roles: dict[int, list[int]] = {}
    for project_id, role in rows:
        roles.setdefault(project_id, []).append(role)
    return {project_id: sorted(set(found)) for project_id, found in roles.items()}


def member_list(*, project: Project, entity_name: str = "") -> QuerySet[ProjectMember]:
    """A project's members, users and groups, by name; `entity_name` matches part of the name."""
    members = ProjectMember.objects.filter(project=project).select_related("user", "group__harbor")
    if entity_name:
        members = members.filter(
            Q(user__username__icontains=entity_name) | Q(group__name__icontains=entity_name)
        )
    return members.annotate(entity_name=Coalesce("user__username", "group__name")).order_by(
        "entity_name", "pk"
    )


def member_get(*, project: Project, pk: int) -> ProjectMember | None:
    return (
        ProjectMember.objects.filter(project=project, pk=pk).select_related("user", "group__harbor").first()
    )


def member_counts(*, project: Project) -> dict[int, int]:
    """How many members (users and groups) the project has in each role."""
    rows = ProjectMember.objects.filter(project=project).values_list("role").annotate(n=Count("pk"))
    return {role: count for role, count in rows}


ROBOT_QUERY_FIELDS = {"name": query.Field("name")}
ROBOT_SORT_FIELDS = {"name": "name", "creation_time": "created_at", "update_time": "updated_at", "id": "pk"}


def robot_list(
    *, project: Project | None, terms: dict[str, query.Term] | None = None, sort: str = ""
) -> QuerySet[Robot]:
    """The robots of `project`, or the system robots, filtered by Harbor's q `terms` (name) and sorted;
    with their permissions and those projects. Raises BadRequest."""
    robots = (
        Robot.objects.filter(project=project) if project is not None else Robot.objects.filter(project=None)
    )
    robots = query.query_filter(robots, terms or {}, ROBOT_QUERY_FIELDS).prefetch_related(
        Prefetch("permissions", queryset=RobotPermission.objects.select_related("project").order_by("pk"))
    )
    return query.query_sort(robots, sort, ROBOT_SORT_FIELDS, ["pk"])


def robot_get(*, pk: int) -> Robot | None:
    return (
        Robot.objects.filter(pk=pk)
        .select_related("project")
        .prefetch_related(
            Prefetch("permissions", queryset=RobotPermission.objects.select_related("project").order_by("pk"))
        )
        .first()
    )


# Harbor's configuration items harborpy has, and which of them an admin may change at run time
# (the others come from the environment).
EDITABLE_CONFIGURATIONS = frozenset({"self_registration", "project_creation_restriction"})
READ_ONLY_CONFIGURATIONS = frozenset({"auth_mode", "token_expiration"})


def configuration_items() -> dict[str, dict[str, Any]]:
    """GET /configurations: each item as Harbor's {"value", "editable"}."""
    current = system_settings()
    values: dict[str, Any] = {
        "auth_mode": auth_mode(),
        "project_creation_restriction": current.project_creation_restriction,
        "self_registration": current.self_registration,
        # Harbor counts minutes; harborpy's setting is in seconds.
        "token_expiration": settings.REGISTRY_TOKEN_EXPIRATION // 60,
    }
    return {
        key: {"value": value, "editable": key in EDITABLE_CONFIGURATIONS} for key, value in values.items()
    }
