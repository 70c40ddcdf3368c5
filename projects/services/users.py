"""Writes on users: create (by an admin or by self-registration), profile, password, admin flag, state.

Every change that affects how a user logs in (password, admin flag, disabling, deletion) forgets
the user's remembered credentials (projects.authentication.credentials_revoke), so it takes
effect on the next request and not when the credential cache expires.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from audit.services import ANONYMOUS, audit_record
from harborpy.errors import BadRequest, Conflict, Denied
from projects.authentication import credentials_revoke
from projects.errors import InvalidPassword
from projects.models import Robot, User
from projects.permissions import (
    can_create_user,
    can_edit_user,
    can_manage_users,
    can_self_register,
    is_system_admin,
    is_user_itself,
)

_RESOURCE_TYPE = "user"
# Names that would be mistaken for someone else: the audit trail's anonymous actor, robots.
_RESERVED_USERNAMES = frozenset({ANONYMOUS})


def _check_password(password: str, user: User) -> None:
    """Harbor's policy and Django's validators (AUTH_PASSWORD_VALIDATORS); raises InvalidPassword."""
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidPassword(" ".join(exc.messages), detail={"password": exc.messages}) from None


def _check_username(username: str) -> None:
    UserModel = get_user_model()
    max_length = UserModel._meta.get_field("username").max_length
    if not username or len(username) > max_length:
        raise BadRequest(
            _("A username has 1 to %(max)d characters.") % {"max": max_length},
            detail={"fields": {"username": ["length"]}},
        )
    try:
        UserModel.username_validator(username)
    except ValidationError:
        raise BadRequest(
            _("Invalid username %(name)s: use letters, digits and @ . + - _ only.") % {"name": username},
            detail={"fields": {"username": ["invalid"]}},
        ) from None
    if username.lower() in _RESERVED_USERNAMES or username.startswith(Robot.PREFIX):
        raise BadRequest(_("The username %(name)s is reserved.") % {"name": username})


def _check_email(email: str, user: User | None = None) -> None:
    """A valid address that no other user has (compared case-insensitively)."""
    if not email:
        raise BadRequest(_("The email address is required."), detail={"fields": {"email": ["required"]}})
    try:
        validate_email(email)
    except ValidationError:
        raise BadRequest(
            _("Invalid email address %(email)s.") % {"email": email},
            detail={"fields": {"email": ["invalid"]}},
        ) from None
    taken = get_user_model().objects.filter(email__iexact=email)
    if user is not None:
        taken = taken.exclude(pk=user.pk)
    if taken.exists():
        raise Conflict(_("The email address %(email)s is already in use.") % {"email": email})


def _lock_other_admins(user: User) -> list[int]:
    """Lock every active system admin's row (in pk order) and return the ids of those besides `user`.

    Two admins removing each other's flag at once: the second waits for the first, then sees
    that it is the last one left.
    """
    admins = (
        get_user_model()
        .objects.select_for_update()
        .filter(is_superuser=True, is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return [pk for pk in admins if pk != user.pk]


def _ensure_not_last_admin(user: User) -> None:
    if user.is_superuser and user.is_active and not _lock_other_admins(user):
        raise Denied(_("%(name)s is the last system admin.") % {"name": user.get_username()})


def _audit(actor: Any, operation: str, username: str, address: str | None, detail: dict[str, Any]) -> None:
    audit_record(
        actor=actor,
        operation=operation,
        resource_type=_RESOURCE_TYPE,
        resource=username,
        address=address,
        detail=detail,
    )


@transaction.atomic
def user_create(
    *,
    actor: Any,
    username: str,
    email: str,
    password: str,
    realname: str = "",
    comment: str = "",
    address: str | None = None,
) -> User:
    """Create a local (database) user, never a system admin: by an admin, or by self-registration.

    Raises Denied (the actor may not create users, or LDAP is on), BadRequest, InvalidPassword,
    Conflict (the username or the email address is taken).
    """
    if not can_create_user(actor):
        raise Denied(_("You may not create users."))
    _check_username(username)
    UserModel = get_user_model()
    user = UserModel(username=username, email=email, realname=realname, comment=comment)
    _check_password(password, user)
    if UserModel.objects.filter(username__iexact=username).exists():
        raise Conflict(_("The username %(name)s is already taken.") % {"name": username})
    _check_email(email)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # a concurrent registration of the same name or address
        raise Conflict(_("The username or email address is already taken.")) from None
    _audit(
        actor,
        "create",
        user.get_username(),
        address,
        {"self_registration": can_self_register(actor) and not is_system_admin(actor)},
    )
    return user


@transaction.atomic
def user_update_profile(
    *,
    user: User,
    actor: Any,
    email: str | None = None,
    realname: str | None = None,
    comment: str | None = None,
    address: str | None = None,
) -> User:
    """Change a user's email address, full name or comment (what is not None).

    Raises Denied (neither the user itself nor an admin; an LDAP user, whose profile LDAP owns),
    BadRequest, Conflict (the email address is another user's).
    """
    if not can_edit_user(actor, user):
        raise Denied(_("You may not change this user."))
    if user.is_ldap:
        raise Denied(_("The profile of an LDAP user is managed in LDAP."))
    changes: dict[str, str] = {}
    if email is not None and email != user.email:
        _check_email(email, user)
        user.email = changes["email"] = email
    if realname is not None and realname != user.realname:
        user.realname = changes["realname"] = realname
    if comment is not None and comment != user.comment:
        user.comment = changes["comment"] = comment
    if changes:
        try:
            with transaction.atomic():
                user.save(update_fields=[*changes, "updated_at"])
        except IntegrityError:
            raise Conflict(_("The email address %(email)s is already in use.") % {"email": email}) from None
        _audit(actor, "update", user.get_username(), address, {"fields": sorted(changes)})
    return user


@transaction.atomic
def user_set_password(
    *,
    user: User,
    actor: Any,
    new_password: str,
    old_password: str | None = None,
    address: str | None = None,
) -> User:
    """Change a user's password. A user changing its own gives the old one; an admin resetting
    another's does not.

    Raises Denied (not allowed; an LDAP user; the old password is wrong), BadRequest (the new
    password is the old one), InvalidPassword (the new password fails the policy).
    """
    if not can_edit_user(actor, user):
        raise Denied(_("You may not change this user's password."))
    if user.is_ldap:
        raise Denied(_("The password of an LDAP user is changed in LDAP."))
    if is_user_itself(actor, user) and not (old_password and user.check_password(old_password)):
        raise Denied(_("The current password is incorrect."))
    if user.check_password(new_password):
        raise BadRequest(_("The new password is the same as the current one."))
    _check_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password", "updated_at"])
    credentials_revoke(username=user.get_username())
    _audit(actor, "update", user.get_username(), address, {"fields": ["password"]})
    return user


@transaction.atomic
def user_set_sysadmin(*, user: User, actor: Any, sysadmin: bool, address: str | None = None) -> User:
    """Grant or revoke the system admin flag. Idempotent.

    Raises Denied (the actor is not a system admin, or it would leave no active system admin).
    """
    if not can_manage_users(actor):
        raise Denied(_("Only system admins may grant or revoke the system admin flag."))
    if user.is_superuser == sysadmin:
        return user
    if not sysadmin:
        _ensure_not_last_admin(user)
    # is_staff too: a system admin may use the admin site (system_admin_ensure creates it so).
    user.is_superuser = user.is_staff = sysadmin
    user.save(update_fields=["is_superuser", "is_staff", "updated_at"])
    credentials_revoke(username=user.get_username())
    _audit(actor, "update", user.get_username(), address, {"sysadmin_flag": sysadmin})
    return user


@transaction.atomic
def user_set_staff(*, user: User, actor: Any, staff: bool, address: str | None = None) -> User:
    """Let a user into the admin site, or no longer (harborpy's, not Harbor's: the admin site shows
    a staff user the projects its roles cover). Idempotent.

    Raises Denied (the actor is not a system admin), BadRequest (a system admin always has it).
    """
    if not can_manage_users(actor):
        raise Denied(_("Only system admins may let users into the admin site."))
    if user.is_staff == staff:
        return user
    if not staff and user.is_superuser:
        raise BadRequest(_("A system admin always has the admin site."))
    user.is_staff = staff
    user.save(update_fields=["is_staff", "updated_at"])
    _audit(actor, "update", user.get_username(), address, {"staff": staff})
    return user


@transaction.atomic
def user_set_active(*, user: User, actor: Any, active: bool, address: str | None = None) -> User:
    """Enable or disable a user (a disabled user cannot log in). Idempotent.

    Raises Denied (the actor is not a system admin, or is the user). The actor, an active admin,
    remains: disabling never leaves the system without one.
    """
    if not can_manage_users(actor):
        raise Denied(_("Only system admins may enable or disable users."))
    if is_user_itself(actor, user):
        raise Denied(_("You cannot disable yourself."))
    if user.is_active == active:
        return user
    user.is_active = active
    user.save(update_fields=["is_active", "updated_at"])
    credentials_revoke(username=user.get_username())
    _audit(actor, "update", user.get_username(), address, {"active": active})
    return user


@transaction.atomic
def user_delete(*, user: User, actor: Any, address: str | None = None) -> None:
    """Delete a user with its memberships and permissions; its projects and robots stay, ownerless.

    Raises Denied (the actor is not a system admin, or is the user). The actor, an active admin,
    remains: deleting never leaves the system without one.
    """
    if not can_manage_users(actor):
        raise Denied(_("Only system admins may delete users."))
    if is_user_itself(actor, user):
        raise Denied(_("You cannot delete yourself."))
    username = user.get_username()
    audit_record(
        actor=actor, operation="delete", resource_type=_RESOURCE_TYPE, resource=username, address=address
    )
    user.delete()
    credentials_revoke(username=username)
