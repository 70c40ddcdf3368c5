"""User groups: Harbor's LDAP, HTTP and OIDC groups, each the 1:1 companion of a django auth.Group.

A group's id in the API is its auth.Group's id, which project memberships point at. The group's
name is the auth.Group's name, unique; an LDAP group's DN is unique too (case-insensitively).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from audit.services import audit_record
from harborpy.errors import BadRequest, Conflict, Denied
from projects.models import UserGroup
from projects.permissions import can_manage_users

_RESOURCE_TYPE = "usergroup"
_NAME_MAX = Group._meta.get_field("name").max_length
_DN_MAX = UserGroup._meta.get_field("ldap_group_dn").max_length
# An LDAP DN: attribute=value pairs separated by commas (escaped commas may appear in values).
_DN = re.compile(r"^\s*[A-Za-z][\w.-]*\s*=\s*(?:[^,\\]|\\.)+(?:,\s*[A-Za-z][\w.-]*\s*=\s*(?:[^,\\]|\\.)+)*$")


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > _NAME_MAX:
        raise BadRequest(
            _("A group name has 1 to %(max)d characters.") % {"max": _NAME_MAX},
            detail={"fields": {"group_name": ["length"]}},
        )
    return name


def dn_normalize(dn: str) -> str:
    """A DN in one spelling: no spaces around `,` and `=`, lower case (DNs compare case-insensitively).

    The LDAP backend stores group DNs this way (projects.ldap.normalize_dn), so a group an admin
    enters as "CN=Devs, OU=Groups, DC=example, DC=org" is the group a login mirrors.
    """
    parts, current, escaped = [], [], False
    for char in dn.strip():
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            current.append(char)
            escaped = True
        elif char == ",":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    rdns = []
    for part in parts:
        attribute, sep, value = part.partition("=")
        rdns.append(f"{attribute.strip()}{sep}{value.strip()}" if sep else part.strip())
    return ",".join(rdns).lower()


def _check_dn(dn: str) -> str:
    dn = dn_normalize(dn)
    if not dn:
        raise BadRequest(
            _("An LDAP group needs its DN (ldap_group_dn)."),
            detail={"fields": {"ldap_group_dn": ["required"]}},
        )
    if len(dn) > _DN_MAX or not _DN.match(dn):
        raise BadRequest(
            _("Invalid LDAP DN %(dn)s.") % {"dn": dn}, detail={"fields": {"ldap_group_dn": ["invalid"]}}
        )
    return dn


def _check_type(group_type: int) -> UserGroup.Type:
    try:
        return UserGroup.Type(group_type)
    except ValueError:
        raise BadRequest(
            _("Unknown group type %(type)s: 1 (LDAP), 2 (HTTP) or 3 (OIDC).") % {"type": group_type},
            detail={"fields": {"group_type": ["invalid"]}},
        ) from None


def _name_taken(name: str, group: Group | None = None) -> bool:
    taken = Group.objects.filter(name__iexact=name)
    if group is not None:
        taken = taken.exclude(pk=group.pk)
    return taken.exists()


def _create(*, name: str, group_type: int, dn: str) -> UserGroup:
    with transaction.atomic():
        group = Group.objects.create(name=name)
        return UserGroup.objects.create(group=group, group_type=group_type, ldap_group_dn=dn)


def _audit(actor: Any, operation: str, usergroup: UserGroup, address: str | None, **detail: Any) -> None:
    audit_record(
        actor=actor,
        operation=operation,
        resource_type=_RESOURCE_TYPE,
        resource=usergroup.group.name,
        address=address,
        detail={"group_type": usergroup.group_type, **detail},
    )


@transaction.atomic
def usergroup_create(
    *, actor: Any, name: str, group_type: int, ldap_group_dn: str = "", address: str | None = None
) -> UserGroup:
    """Create a group and its auth.Group. An LDAP group (type 1) needs its DN; others have none.

    Raises Denied (not a system admin), BadRequest, Conflict (the name or the DN is taken).
    """
    if not can_manage_users(actor):
        raise Denied(_("Only system admins may manage user groups."))
    group_type = _check_type(group_type)
    name = _check_name(name)
    if group_type == UserGroup.Type.LDAP:
        ldap_group_dn = _check_dn(ldap_group_dn)
        if UserGroup.objects.filter(ldap_group_dn__iexact=ldap_group_dn).exists():
            raise Conflict(_("A group with the DN %(dn)s already exists.") % {"dn": ldap_group_dn})
    elif ldap_group_dn.strip():
        raise BadRequest(
            _("Only an LDAP group (type 1) has a DN."), detail={"fields": {"ldap_group_dn": ["invalid"]}}
        )
    else:
        ldap_group_dn = ""
    if _name_taken(name):
        raise Conflict(_("A group named %(name)s already exists.") % {"name": name})
    try:
        usergroup = _create(name=name, group_type=group_type, dn=ldap_group_dn)
    except IntegrityError:  # created concurrently
        raise Conflict(_("A group named %(name)s already exists.") % {"name": name}) from None
    _audit(actor, "create", usergroup, address)
    return usergroup


@transaction.atomic
def usergroup_update(*, usergroup: UserGroup, actor: Any, name: str, address: str | None = None) -> UserGroup:
    """Rename a group (the only change Harbor allows). Raises Denied, BadRequest, Conflict."""
    if not can_manage_users(actor):
        raise Denied(_("Only system admins may manage user groups."))
    name = _check_name(name)
    group = usergroup.group
    if name == group.name:
        return usergroup
    if _name_taken(name, group):
        raise Conflict(_("A group named %(name)s already exists.") % {"name": name})
    old_name, group.name = group.name, name
    try:
        with transaction.atomic():
            group.save(update_fields=["name"])
    except IntegrityError:
        raise Conflict(_("A group named %(name)s already exists.") % {"name": name}) from None
    usergroup.save(update_fields=["updated_at"])
    _audit(actor, "update", usergroup, address, old_name=old_name)
    return usergroup


@transaction.atomic
def usergroup_delete(*, usergroup: UserGroup, actor: Any, address: str | None = None) -> None:
    """Delete a group, with its project memberships and the permissions they gave."""
    if not can_manage_users(actor):
        raise Denied(_("Only system admins may manage user groups."))
    _audit(actor, "delete", usergroup, address)
    usergroup.group.delete()  # cascades to the UserGroup, memberships and guardian rows


def _free_names(name: str, dn: str) -> list[str]:
    """Names to try for a mirrored LDAP group: `name` unless taken, else the DN, else `name~<hash>`."""
    name = name.strip()[:_NAME_MAX] or dn[:_NAME_MAX]
    suffix = "~" + hashlib.sha256(dn.lower().encode()).hexdigest()[:12]
    hashed = name[: _NAME_MAX - len(suffix)] + suffix
    if not _name_taken(name):
        return [name, hashed]
    if len(dn) <= _NAME_MAX and not _name_taken(dn):
        return [dn, hashed]
    return [hashed]


@transaction.atomic
def usergroup_ensure_ldap(*, dn: str, name: str, actor: Any = None) -> UserGroup:
    """The LDAP group with this DN, created (named `name`, or a free variant) if absent.

    Idempotent, for the LDAP backend mirroring a user's groups at login: an existing group keeps
    the name an admin may have given it. Raises BadRequest for an invalid DN.
    """
    dn = _check_dn(dn)
    groups = UserGroup.objects.select_related("group")
    if (existing := groups.filter(ldap_group_dn__iexact=dn).first()) is not None:
        return existing
    for candidate in _free_names(name, dn):
        try:
            usergroup = _create(name=candidate, group_type=UserGroup.Type.LDAP, dn=dn)
        except IntegrityError:  # another login mirrored it, or took the name, at the same time
            if (existing := groups.filter(ldap_group_dn__iexact=dn).first()) is not None:
                return existing
            continue
        _audit(actor, "create", usergroup, None, ldap_group_dn=dn)
        return usergroup
    raise Conflict(_("No free name for the LDAP group %(dn)s.") % {"dn": dn})
