"""Project membership: the one place that grants and revokes guardian permissions on projects."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, get_perms, remove_perm

from audit.services import audit_record
from harborpy.errors import BadRequest, Conflict
from projects.models import Project, ProjectMember, Role, UserGroup
from projects.permissions import ALL_ACTIONS, ROLE_ACTIONS
from projects.services.usergroups import dn_normalize, usergroup_ensure_ldap


def _member_name(member: ProjectMember) -> str:
    return member.user.get_username() if member.user_id else member.group.name


def _grant_exactly(project: Project, holder: Any, actions: frozenset) -> None:
    """Make `holder`'s guardian permissions on `project` exactly `actions`."""
    current = {perm for perm in get_perms(holder, project) if perm in ALL_ACTIONS} if holder.pk else set()
    for action in sorted(set(actions) - current):
        assign_perm(f"projects.{action}", holder, project)
    for action in sorted(current - set(actions)):
        remove_perm(f"projects.{action}", holder, project)


@transaction.atomic
def member_set_role(
    *,
    project: Project,
    role: int,
    actor: Any,
    user: Any = None,
    group: Group | None = None,
    address: str | None = None,
) -> ProjectMember:
    """Add a user or a group to a project with `role`, or change its role. Idempotent."""
    if (user is None) == (group is None):
        raise BadRequest(_("A member is either a user or a group."))
    try:
        role = Role(role)
    except ValueError:
        raise BadRequest(_("Unknown role %(role)s.") % {"role": role}) from None
    holder = user if user is not None else group
    member, created = ProjectMember.objects.update_or_create(
        project=project, user=user, group=group, defaults={"role": role}
    )
    _grant_exactly(project, holder, ROLE_ACTIONS[role])
    audit_record(
        actor=actor,
        operation="create" if created else "update",
        resource_type="member",
        resource=_member_name(member),
        project=project,
        address=address,
        detail={"role_id": int(role), "role": role.name.lower()},
    )
    return member


@transaction.atomic
def member_add(
    *,
    project: Project,
    role: int,
    actor: Any,
    user: Any = None,
    group: Group | None = None,
    address: str | None = None,
) -> ProjectMember:
    """Add a user or a group to a project with `role`. Raises Conflict if it is a member already."""
    if ProjectMember.objects.filter(project=project, user=user, group=group).exists():
        raise Conflict(_("%(name)s is a member of the project already.") % {"name": user or group})
    return member_set_role(project=project, role=role, actor=actor, user=user, group=group, address=address)


@transaction.atomic
def member_remove(*, member: ProjectMember, actor: Any, address: str | None = None) -> None:
    """Remove a member and every permission its role gave."""
    holder = member.user if member.user_id else member.group
    _grant_exactly(member.project, holder, frozenset())
    audit_record(
        actor=actor,
        operation="delete",
        resource_type="member",
        resource=_member_name(member),
        project=member.project,
        address=address,
    )
    member.delete()


def member_user_onboard(*, username: str, actor: Any, address: str | None = None) -> Any:
    """The user called `username`, or None. With LDAP on, a person the directory knows and harborpy
    does not yet is imported first, as Harbor's SearchAndOnBoardUser does. Raises LdapUnavailable."""
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is None and settings.LDAP_ENABLED:
        from projects.services.ldap import ldap_users_import  # the directory only when LDAP is on

        if not ldap_users_import(uids=[username], actor=actor, address=address):
            user = User.objects.filter(username__iexact=username).first()
    return user


def member_ldap_group_onboard(*, dn: str, name: str = "", actor: Any) -> UserGroup | None:
    """The LDAP user group of `dn` (in any spelling), or None. With LDAP on, a group the directory
    has and harborpy does not yet is mirrored first, as Harbor's SearchAndOnBoardGroup does.
    Raises LdapUnavailable, BadRequest (a malformed DN)."""
    dn = dn_normalize(dn)
    groups = UserGroup.objects.select_related("group").filter(group_type=UserGroup.Type.LDAP)
    usergroup = groups.filter(ldap_group_dn__iexact=dn).first()
    if usergroup is None and settings.LDAP_ENABLED:
        from projects.ldap import ldap_groups_search  # python-ldap is an optional extra

        if entries := ldap_groups_search(dn=dn):
            usergroup = usergroup_ensure_ldap(dn=entries[0].dn, name=name or entries[0].name, actor=actor)
    return usergroup
