"""Robot accounts: created with an explicit permission list that never exceeds their creator's."""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from audit.services import audit_record
from harborpy.errors import BadRequest, Conflict, Denied
from projects.authentication import credentials_revoke
from projects.models import Project, Robot, RobotPermission
from projects.passwords import HarborPasswordValidator
from projects.permissions import Action, actions_delegable, can_manage_robots

_ROBOT_NAME = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$")
SECRET_LENGTH = 32


@dataclass(frozen=True)
class Grant:
    """Actions a robot may perform in one project (None: in every project, for system robots)."""

    project: Project | None
    actions: frozenset[Action]

    @property
    def namespace(self) -> str:
        """Harbor's name for the grant's scope: the project's name, or "*" for every project."""
        return self.project.name if self.project is not None else "*"


def robot_username(name: str, project: Project | None) -> str:
    """`robot$<project>+<name>` for a project robot, `robot$<name>` for a system robot."""
    return f"{Robot.PREFIX}{project.name}+{name}" if project is not None else f"{Robot.PREFIX}{name}"


def _policy_problems(secret: str) -> list[str]:
    """What Harbor's password policy (projects/passwords.py) finds wrong with a secret."""
    try:
        HarborPasswordValidator().validate(secret)
    except ValidationError as exc:
        return list(exc.messages)
    return []


def _new_secret() -> str:
    """A secret that satisfies Harbor's password policy (upper, lower and digit)."""
    alphabet = string.ascii_letters + string.digits
    while True:
        secret = "".join(secrets.choice(alphabet) for _ in range(SECRET_LENGTH))
        if not _policy_problems(secret):
            return secret


def _grants_save(robot: Robot, grants: list[Grant]) -> None:
    RobotPermission.objects.bulk_create(
        [RobotPermission(robot=robot, project=g.project, actions=sorted(g.actions)) for g in grants]
    )


def _audit(robot: Robot, operation: str, actor: Any, address: str | None) -> None:
    audit_record(
        actor=actor,
        operation=operation,
        resource_type="robot",
        resource=robot.username,
        project=robot.project,
        address=address,
    )


def _check_grants(creator: Any, project: Project | None, grants: list[Grant]) -> None:
    if not grants:
        raise BadRequest(_("A robot account needs at least one permission."))
    seen = set()
    for grant in grants:
        if project is not None and (grant.project is None or grant.project.pk != project.pk):
            raise BadRequest(_("A project robot account may only have permissions in its own project."))
        key = grant.project.pk if grant.project is not None else None
        if key in seen:
            raise BadRequest(_("Each project may appear once in a robot account's permissions."))
        seen.add(key)
        if not grant.actions:
            raise BadRequest(_("A robot account's permission must name at least one action."))
        if not actions_delegable(creator, grant.project, set(grant.actions)):
            raise Denied(
                _("You cannot give a robot account permissions you do not have in project %(project)s.")
                % {"project": grant.namespace}
            )


@transaction.atomic
def robot_create(
    *,
    creator: Any,
    name: str,
    grants: list[Grant],
    project: Project | None = None,
    description: str = "",
    expires_at: datetime | None = None,
    address: str | None = None,
) -> tuple[Robot, str]:
    """Create a robot; returns it and its secret, which is shown this once.

    Raises Denied (the creator may not manage robots there, or lacks a permission it gives),
    BadRequest, Conflict (the name is taken).
    """
    if not can_manage_robots(creator, project):
        raise Denied(_("You may not manage robot accounts here."))
    if not _ROBOT_NAME.match(name) or len(name) > 255:
        raise BadRequest(
            _("Invalid robot name %(name)s: use lowercase letters, digits and . _ -.") % {"name": name}
        )
    _check_grants(creator, project, grants)
    secret = _new_secret()
    try:
        with transaction.atomic():
            robot = Robot.objects.create(
                name=name,
                username=robot_username(name, project),
                project=project,
                description=description,
                secret_hash=make_password(secret),
                expires_at=expires_at,
                creator=creator,
            )
    except IntegrityError:
        raise Conflict(_("A robot account %(name)s already exists.") % {"name": name}) from None
    _grants_save(robot, grants)
    _audit(robot, "create", creator, address)
    return robot, secret


@transaction.atomic
def robot_update(
    *,
    robot: Robot,
    actor: Any,
    grants: list[Grant] | None = None,
    description: str | None = None,
    disabled: bool | None = None,
    expires_at: datetime | type[...] | None = ...,
    address: str | None = None,
) -> Robot:
    """Change a robot's permissions, description, state or expiry (`expires_at=None`: never)."""
    if not can_manage_robots(actor, robot.project):
        raise Denied(_("You may not manage robot accounts here."))
    if grants is not None:
        _check_grants(actor, robot.project, grants)
        RobotPermission.objects.filter(robot=robot).delete()
        _grants_save(robot, grants)
    if description is not None:
        robot.description = description
    if disabled is not None:
        robot.disabled = disabled
    if expires_at is not ...:
        robot.expires_at = expires_at
    robot.save()
    credentials_revoke(username=robot.username)
    _audit(robot, "update", actor, address)
    return robot


@transaction.atomic
def robot_refresh_secret(*, robot: Robot, actor: Any, secret: str = "", address: str | None = None) -> str:
    """Give the robot a new secret (generated, or the one given); returns it, shown this once."""
    if not can_manage_robots(actor, robot.project):
        raise Denied(_("You may not manage robot accounts here."))
    if secret:
        if problems := _policy_problems(secret):
            raise BadRequest(" ".join(problems))
    else:
        secret = _new_secret()
    robot.secret_hash = make_password(secret)
    robot.save(update_fields=["secret_hash", "updated_at"])
    credentials_revoke(username=robot.username)
    _audit(robot, "refresh", actor, address)
    return secret


@transaction.atomic
def robot_delete(*, robot: Robot, actor: Any, address: str | None = None) -> None:
    if not can_manage_robots(actor, robot.project):
        raise Denied(_("You may not manage robot accounts here."))
    _audit(robot, "delete", actor, address)
    credentials_revoke(username=robot.username)
    robot.delete()
