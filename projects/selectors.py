"""Reads of projects."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model

from harborpy import sql
from projects.models import Project, Robot
from projects.permissions import auth_mode, system_settings

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
