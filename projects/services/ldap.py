"""LDAP users and groups in the database: what a login, an import or `ldap_sync` learnt from the directory.

The directory is the source of truth for an LDAP user's details, LDAP groups and admin flag, and
this module makes the database say the same, exactly: groups the user left are left, an admin
who left the admin group is no longer one. Only LDAP-type user groups are touched, never the
groups an administrator made in harborpy. A project role given to an LDAP group is a guardian
group permission (projects.services.members.member_set_role), so membership of the group's
auth.Group is what grants it.

Nothing here talks to the directory itself (projects/ldap.py does, with python-ldap, an optional
extra): the functions take an `LdapAccount`, what the directory said about one person.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import audit_record
from harborpy.errors import Conflict
from projects.authentication import credentials_revoke
from projects.errors import LdapNotConfigured
from projects.models import User, UserGroup
from projects.services.usergroups import usergroup_ensure_ldap

logger = logging.getLogger(__name__)

# The audit trail's actor for changes the directory made (a group left, an account removed).
LDAP_ACTOR = "ldap"
# Users checked per database query by ldap_sync_all: rows are small, each user costs one LDAP
# search (plus one per level of nested groups), so the batch only bounds the query's memory.
SYNC_BATCH_SIZE = 200


@dataclass(frozen=True)
class LdapGroupEntry:
    """An LDAP group: its DN (normalized, lower case) and its name (cn by default)."""

    dn: str
    name: str


@dataclass(frozen=True)
class LdapAccount:
    """What the directory says about one person.

    `groups` are all the groups the person is in, nested ones included. `is_admin` is None when
    no admin group is configured: then the admin flag is harborpy's own to manage.
    """

    dn: str
    username: str
    email: str = ""
    realname: str = ""
    groups: tuple[LdapGroupEntry, ...] = ()
    is_admin: bool | None = None
    disabled: bool = False


@dataclass
class LdapUserChanges:
    """How a user's row and LDAP groups differ from what the directory says."""

    fields: dict[str, Any] = field(default_factory=dict)
    admin: bool | None = None  # the new admin flag, when it changes
    groups_added: list[LdapGroupEntry] = field(default_factory=list)
    groups_removed: list[UserGroup] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.fields or self.admin is not None or self.groups_added or self.groups_removed)

    def describe(self) -> str:
        """One line for operators (English, like all command output)."""
        parts = [f"{name}={value!r}" for name, value in sorted(self.fields.items()) if name != "ldap_dn"]
        if "ldap_dn" in self.fields:
            parts.append("DN")
        if self.admin is not None:
            parts.append("admin granted" if self.admin else "admin revoked")
        parts += [f"+{group.name}" for group in self.groups_added]
        parts += [f"-{group.group.name}" for group in self.groups_removed]
        return ", ".join(parts) or "no change"


def _ldap_groups_of(user: User) -> dict[str, UserGroup]:
    """The user's LDAP-type user groups by lower-case DN."""
    groups = UserGroup.objects.filter(group_type=UserGroup.Type.LDAP, group__user=user).select_related(
        "group"
    )
    return {group.ldap_group_dn.lower(): group for group in groups}


def _email_taken(email: str, user: User) -> bool:
    return User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists()


def ldap_user_changes(*, user: User, account: LdapAccount) -> LdapUserChanges:
    """What ldap_user_sync would change for `user` (reads only; used for `ldap_sync --dry-run`)."""
    changes = LdapUserChanges()
    wanted = {"ldap_dn": account.dn, "realname": account.realname[:255]}
    if account.email and account.email.lower() != user.email.lower():
        if _email_taken(account.email, user):
            # Emails are unique in harborpy: keep the old one rather than fail the login.
            logger.warning("LDAP email %s of %s belongs to another user: not copied", account.email, user)
        else:
            wanted["email"] = account.email[:254]
    changes.fields = {name: value for name, value in wanted.items() if getattr(user, name) != value}
    if account.is_admin is not None and (user.is_superuser, user.is_staff) != (account.is_admin,) * 2:
        changes.admin = account.is_admin
    current = _ldap_groups_of(user) if user.pk else {}
    directory = {group.dn.lower(): group for group in account.groups}
    changes.groups_added = [group for dn, group in sorted(directory.items()) if dn not in current]
    changes.groups_removed = [current[dn] for dn in sorted(current.keys() - directory.keys())]
    return changes


def ldap_usergroup_ensure(*, dn: str, name: str) -> UserGroup:
    """The LDAP user group of `dn` (any case), created as `name` (or a free variant) if absent."""
    return usergroup_ensure_ldap(dn=dn, name=name, actor=LDAP_ACTOR)


@transaction.atomic
def ldap_user_sync(*, user: User, account: LdapAccount, address: str | None = None) -> User:
    """Make `user` say what the directory says: DN, name, email, admin flag and LDAP groups, exactly.

    Idempotent. Returns `user`, updated in place (the instance a login goes on with).
    """
    locked = User.objects.select_for_update().get(pk=user.pk)
    changes = ldap_user_changes(user=locked, account=account)
    if not changes:
        return user
    update_fields = list(changes.fields)
    for name, value in changes.fields.items():
        setattr(user, name, value)
    if changes.admin is not None:
        user.is_superuser = user.is_staff = changes.admin
        update_fields += ["is_superuser", "is_staff"]
        audit_record(
            actor=LDAP_ACTOR,
            operation="update",
            resource_type="user",
            resource=user.get_username(),
            address=address,
            detail={"sysadmin_flag": changes.admin, "source": "ldap"},
        )
    if update_fields:
        User.objects.filter(pk=user.pk).update(**{name: getattr(user, name) for name in update_fields})
    if changes.groups_added or changes.groups_removed:
        added = [ldap_usergroup_ensure(dn=group.dn, name=group.name).group for group in changes.groups_added]
        user.groups.add(*added)
        user.groups.remove(*(group.group for group in changes.groups_removed))
        audit_record(
            actor=LDAP_ACTOR,
            operation="update",
            resource_type="user",
            resource=user.get_username(),
            address=address,
            detail={
                "ldap_groups_added": [group.name for group in added],
                "ldap_groups_removed": [group.group.name for group in changes.groups_removed],
                "source": "ldap",
            },
        )
    return user


@transaction.atomic
def ldap_user_deactivate(*, user: User, reason: str) -> bool:
    """Deactivate an LDAP user the directory no longer knows (or has disabled), keeping its rows.

    Idempotent: returns whether the user was active. Its remembered credentials are forgotten.
    """
    if not User.objects.filter(pk=user.pk, is_active=True).update(is_active=False):
        return False
    user.is_active = False
    audit_record(
        actor=LDAP_ACTOR,
        operation="update",
        resource_type="user",
        resource=user.get_username(),
        detail={"active": False, "reason": reason, "source": "ldap"},
    )
    username = user.get_username()
    transaction.on_commit(lambda: credentials_revoke(username=username))
    return True


@transaction.atomic
def ldap_user_import(*, account: LdapAccount, actor: Any, address: str | None = None) -> User:
    """The user of an LDAP account, created (password unusable) if harborpy does not know it yet.

    Idempotent for an LDAP user. Raises Conflict when a database user already has the name.
    """
    user = User.objects.filter(username__iexact=account.username).first()
    if user is not None and not user.ldap_dn:
        raise Conflict(_("A database user called %(name)s already exists.") % {"name": account.username})
    if user is None:
        user = User(username=account.username)
        user.set_unusable_password()
        user.save()
        audit_record(
            actor=actor,
            operation="create",
            resource_type="user",
            resource=user.get_username(),
            address=address,
            detail={"source": "ldap"},
        )
    return ldap_user_sync(user=user, account=account, address=address)


@dataclass(frozen=True)
class LdapImportFailure:
    """A uid ldap_users_import could not import, and why (Harbor's LdapFailedImportUser)."""

    uid: str
    error: str


def ldap_users_import(*, uids: list[str], actor: Any, address: str | None = None) -> list[LdapImportFailure]:
    """Create the users of these LDAP uids (with their groups) ahead of their first login.

    Returns the uids that failed, with Harbor's reasons: empty_uid, unknown_user, or
    "failed to import user: <uid>" when a database user has the name. Raises LdapUnavailable.
    """
    if not settings.LDAP_ENABLED:
        raise LdapNotConfigured()
    from projects.ldap import Directory, LdapConfig  # python-ldap is an optional extra

    failures = []
    with Directory(LdapConfig.from_settings()) as directory:
        for uid in uids:
            if not uid.strip():
                failures.append(LdapImportFailure(uid=uid, error="empty_uid"))
                continue
            people = directory.search_users(uid.strip())
            if not people:
                failures.append(LdapImportFailure(uid=uid, error="unknown_user"))
                continue
            try:
                ldap_user_import(account=directory.account(people[0]), actor=actor, address=address)
            except Conflict:
                failures.append(LdapImportFailure(uid=uid, error=f"failed to import user: {uid}"))
    return failures


@dataclass
class LdapSyncSummary:
    """What one ldap_sync run did."""

    checked: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    skipped: int = 0
    dry_run: bool = False

    def describe(self) -> str:
        prefix = "LDAP sync (dry run)" if self.dry_run else "LDAP sync"
        return (
            f"{prefix}: {self.checked} users checked, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.deactivated} deactivated, {self.skipped} skipped"
        )


def ldap_sync_all(
    *, progress: Callable[[str, str], None] | None = None, dry_run: bool = False
) -> LdapSyncSummary:
    """Bring every active LDAP user up to date with the directory; deactivate those it lost.

    Each user is its own transaction. A directory that cannot be reached (or searched) stops the
    run with LdapUnavailable before anyone is deactivated for it. Raises LdapNotConfigured.
    """
    if not settings.LDAP_ENABLED:
        raise LdapNotConfigured()
    from projects.ldap import Directory, LdapConfig  # python-ldap is an optional extra

    summary = LdapSyncSummary(dry_run=dry_run)
    report = progress or (lambda username, outcome: None)
    with Directory(LdapConfig.from_settings()) as directory:
        last_pk = 0
        while True:
            users = list(
                User.objects.filter(pk__gt=last_pk, is_active=True)
                .exclude(ldap_dn="")
                .order_by("pk")[:SYNC_BATCH_SIZE]
            )
            if not users:
                break
            for user in users:
                summary.checked += 1
                outcome = _sync_one(directory, user, summary, dry_run)
                report(user.get_username(), outcome)
            last_pk = users[-1].pk
    return summary


def _sync_one(directory: Any, user: User, summary: LdapSyncSummary, dry_run: bool) -> str:
    people = directory.search_users(user.get_username())
    if len(people) > 1:
        summary.skipped += 1
        return f"skipped: {len(people)} LDAP entries match"
    if not people or people[0].disabled:
        reason = "disabled in LDAP" if people else "not found in LDAP"
        summary.deactivated += 1
        if not dry_run:
            ldap_user_deactivate(user=user, reason=reason)
        return f"deactivated ({reason})"
    account = directory.account(people[0])
    changes = ldap_user_changes(user=user, account=account)
    if not changes:
        summary.unchanged += 1
        return "unchanged"
    summary.updated += 1
    if not dry_run:
        ldap_user_sync(user=user, account=account)
    return f"updated: {changes.describe()}"
